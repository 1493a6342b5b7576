import { Annotations, ArnFormat, Duration, Names, Stack, TimeZone } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { consumerSecretNamePrefix } from '../functions/domain/access';
import { parseRotatorConfig, type RotatorConfig, type RotatorConfigInput } from '../functions/domain/config';
import { REPORT_PREFIX } from '../functions/domain/report/keys';
import { STEPS, stepsOf, type RestoreStep, type RotationStep, type StepAccess, type StepId, type StepMetric, type StepOf, type StepSpec, type Workflow } from '../functions/steps';
import { LAMBDA_ENVIRONMENT_LIMIT_BYTES, ROTATOR_METRICS_NAMESPACE, ROTATOR_SERVICE_NAME, RotatorFunction } from './lambda-defaults';
import { acknowledgeRotatorNagFindings } from './nag-acknowledgements';
import { RestoreWorkflow } from './restore-workflow';
import { RotationWorkflow } from './rotation-workflow';

export interface CredentialRotatorProps {
  /**
   * The rotator configuration (a parsed `RotatorConfig` or its input form, defaults omitted).
   * Validated again here, so every problem surfaces at synth, all at once, as a `ConfigError`.
   */
  readonly config: RotatorConfigInput;
  /**
   * Key for every credential secret and every log group of the rotator.
   * A key you pass is used as is: if it is imported, its policy must already let CloudWatch Logs use it and, with
   * `consumerAccess`, let each consumer org's principals decrypt that org's secrets (see docs/consumers.md).
   * @default - a new customer-managed key with automatic rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Topic notified when a rotation run fails, times out or is aborted, or when any app fails in a run.
   * @default - none; the alarms are still created
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Bus that receives the `Replacement Ready` and `Old Credential Removed` events (source `apic.credential-rotator`).
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;
  /**
   * Retention of the Lambda and state machine logs.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Upper bound for one rotation run.
   * @default Duration.hours(12)
   */
  readonly stateMachineTimeout?: Duration;
}

/** Thrown when a function's environment would exceed Lambda's 4 KB limit, which CloudFormation reports only at deploy. */
export class EnvironmentTooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvironmentTooLargeError';
  }
}

/** Config that only the synth or specific binders need; left out of `ROTATOR_CONFIG` to keep it small. */
const OUTSIDE_RUN_CONFIG: ReadonlySet<string> = new Set(['consumerAccess', 'apicCaBundle']);

const SECRET_READ_ACTIONS = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
const SECRET_WRITE_ACTIONS = [
  'secretsmanager:CreateSecret',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
  'secretsmanager:TagResource',
];
const NOTICE_LEDGER_ACTIONS = ['secretsmanager:DescribeSecret', 'secretsmanager:TagResource', 'secretsmanager:UntagResource'];
const KEY_ENCRYPT_ACTIONS = ['kms:Encrypt', 'kms:GenerateDataKey'];

/** Rotator metrics on the dashboard, with their labels (published by the step handlers, see functions/steps.ts). */
const DASHBOARD_METRICS: ReadonlyArray<readonly [name: StepMetric, label: string]> = [
  ['CredentialsScanned', 'Credentials scanned'],
  ['ReplacementsCreated', 'Replacements created'],
  ['OriginalsDeleted', 'Originals deleted'],
  ['AppsFailed', 'Apps failed'],
  ['NoticesSent', 'Notices sent'],
  ['NoticesFailed', 'Notices failed'],
];

/**
 * The whole APIC credential rotator: one Lambda per workflow step, the rotation state machine, its schedule,
 * the key for credential secrets and logs, rotation events, alarms on failed runs and failed apps, and a dashboard.
 */
export class CredentialRotator extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly functions: Record<RotationStep, RotatorFunction>;
  public readonly encryptionKey: kms.IKey;
  /** Starts a run on `config.schedule.cron`; present but disabled when `config.schedule.enabled` is false. */
  public readonly schedule: scheduler.Schedule;
  public readonly failedExecutionsAlarm: cloudwatch.Alarm;
  /** In alarm when a run reports any app it could not rotate (metric `AppsFailed`). */
  public readonly failedAppsAlarm: cloudwatch.Alarm;
  public readonly dashboard: cloudwatch.Dashboard;
  /** Where rotation events go. */
  public readonly eventBus: events.IEventBus;
  /** The validated config, defaults applied. */
  public readonly config: RotatorConfig;
  /** Every credential secret lives under this ARN pattern. */
  public readonly credentialSecretsArn: string;
  /** Holds each run's inventory report (`reports/<date>/<run>/report.csv|json`), kept `reportRetentionDays`. */
  public readonly reportBucket: s3.Bucket;
  /** Started by hand after an API Manager rebuild: re-creates credentials from their secrets (dry run by default). */
  public readonly restoreStateMachine: sfn.StateMachine;
  public readonly restoreFunctions: Record<RestoreStep, RotatorFunction>;

  private readonly logGroupPrefix: string;

  constructor(scope: Construct, id: string, props: CredentialRotatorProps) {
    super(scope, id);
    this.config = parseRotatorConfig(props.config);
    const stack = Stack.of(this);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    // `/aws/vendedlogs/` spares Step Functions a CloudWatch Logs resource policy per log group.
    this.logGroupPrefix = `/aws/vendedlogs/apic-credential-rotator/${Names.uniqueId(this)}`;
    this.credentialSecretsArn = stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${this.config.secretPrefix}/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    this.encryptionKey =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        description: 'Encrypts the APIC credential secrets and the logs of the credential rotator',
        enableKeyRotation: true,
      });
    this.allowLogsToUseKey();
    this.allowConsumersToDecryptTheirSecrets();
    this.eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultEventBus', 'default');
    this.reportBucket = this.createReportBucket();

    const binders: Record<StepAccess, (fn: RotatorFunction) => void> = {
      apic: (fn) => this.grantApicAccess(fn),
      'credential-reads': (fn) => this.grantCredentialSecretReads(fn),
      'credential-writes': (fn) => this.grantCredentialSecretWrites(fn),
      'notice-ledger': (fn) => this.grantNoticeLedger(fn),
      'notice-delivery': (fn) => this.grantNoticeDelivery(fn),
      'rotation-events': (fn) => this.grantRotationEvents(fn),
      'report-parts': (fn) => this.grantReportWrites(fn),
      'report-build': (fn) => this.grantReportBuild(fn),
      'secret-listing': (fn) => this.grantCredentialSecretListing(fn),
    };
    // One function per step of the registry (functions/steps.ts), sized and granted as its entry says.
    const createFunctions = <W extends Workflow>(workflow: W) => {
      const functions = {} as Record<StepOf<W>, RotatorFunction>;
      for (const step of stepsOf(workflow)) {
        const spec: StepSpec = STEPS[step];
        const fn = new RotatorFunction(this, pascalCase(step), {
          handlerName: spec.handler,
          logGroupName: `${this.logGroupPrefix}/${step}`,
          logRetention,
          encryptionKey: this.encryptionKey,
          timeout: Duration.seconds(spec.timeoutSeconds),
          memorySize: spec.memoryMb,
        });
        this.bindRunConfig(fn);
        for (const access of spec.access) binders[access](fn);
        assertEnvironmentFits(step, fn);
        functions[step] = fn;
      }
      return functions;
    };
    this.functions = createFunctions('rotation');
    this.restoreFunctions = createFunctions('restore');

    const workflow = new RotationWorkflow(this, 'Workflow', {
      functions: this.functions,
      maxConcurrentApps: this.config.maxConcurrentApps,
    });
    this.stateMachine = this.createStateMachine('StateMachine', workflow.definition, 'state-machine', props.stateMachineTimeout ?? Duration.hours(12), logRetention);
    const restore = new RestoreWorkflow(this, 'RestoreWorkflow', {
      functions: this.restoreFunctions,
      maxConcurrentSecrets: this.config.maxConcurrentApps,
    });
    this.restoreStateMachine = this.createStateMachine('RestoreStateMachine', restore.definition, 'restore-state-machine', Duration.hours(6), logRetention);

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'Starts the APIC credential rotation run',
      schedule: scheduler.ScheduleExpression.expression(this.config.schedule.cron, TimeZone.of(this.config.schedule.timeZone)),
      target: new StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({ trigger: 'schedule' }),
        retryAttempts: 2,
      }),
      enabled: this.config.schedule.enabled,
    });

    this.failedExecutionsAlarm = this.createFailedExecutionsAlarm(props.alarmTopic);
    this.failedAppsAlarm = this.createFailedAppsAlarm(props.alarmTopic);
    this.dashboard = this.createDashboard();
    acknowledgeRotatorNagFindings(this);
  }

  /**
   * Gives `fn` the run configuration, which the function runtime parses on start (everything except consumer access
   * and the CA bundle, which only some steps read).
   */
  public bindRunConfig(fn: RotatorFunction): void {
    const runConfig = Object.fromEntries(Object.entries(this.config).filter(([key]) => !OUTSIDE_RUN_CONFIG.has(key)));
    fn.addEnvironment('ROTATOR_CONFIG', JSON.stringify(runConfig));
  }

  /** Lets `fn` call APIC: read the admin secret (that one only) and trust the configured CA bundle. */
  public grantApicAccess(fn: RotatorFunction): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: adminSecretArns(Stack.of(this), this.config.adminSecretName),
      }),
    );
    fn.addEnvironment('ADMIN_SECRET_ID', this.config.adminSecretName);
    if (this.config.apicCaBundle !== undefined) fn.addEnvironment('APIC_CA_BUNDLE', this.config.apicCaBundle);
  }

  /** Lets `fn` describe and read credential secrets. */
  public grantCredentialSecretReads(fn: RotatorFunction): void {
    this.bindCredentialSecrets(fn, SECRET_READ_ACTIONS);
    this.grantKeyUse(fn, ['kms:Decrypt']);
  }

  /** Lets `fn` stage and promote credential secrets (and share them with consumers when `consumerAccess` is set). */
  public grantCredentialSecretWrites(fn: RotatorFunction): void {
    this.grantCredentialSecretReads(fn);
    const sharesWithConsumers = Object.keys(this.config.consumerAccess).length > 0;
    this.bindCredentialSecrets(fn, [...SECRET_WRITE_ACTIONS, ...(sharesWithConsumers ? ['secretsmanager:PutResourcePolicy'] : [])]);
    this.grantKeyUse(fn, KEY_ENCRYPT_ACTIONS);
    if (sharesWithConsumers) fn.addEnvironment('CONSUMER_ACCESS', JSON.stringify(this.config.consumerAccess));
  }

  /** Lets `fn` queue notices: create a credential secret without a value (the ledger) and tag it. */
  public grantNoticeLedger(fn: RotatorFunction): void {
    this.bindCredentialSecrets(fn, ['secretsmanager:CreateSecret', ...NOTICE_LEDGER_ACTIONS]);
    this.grantKeyUse(fn, [...KEY_ENCRYPT_ACTIONS, 'kms:Decrypt']);
  }

  /** Lets `fn` find secrets with queued notices, send the digests from the configured sender and mark them sent. */
  public grantNoticeDelivery(fn: RotatorFunction): void {
    this.bindCredentialSecrets(fn, NOTICE_LEDGER_ACTIONS);
    this.grantCredentialSecretListing(fn);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail', 'ses:SendRawEmail'],
        resources: [Stack.of(this).formatArn({ service: 'ses', resource: 'identity', resourceName: '*' })],
        conditions: { StringEquals: { 'ses:FromAddress': this.config.notificationSender } },
      }),
    );
    fn.addEnvironment('NOTIFICATION_SENDER', this.config.notificationSender);
  }

  /** Lets `fn` write report parts of a run (objects under `reports/` only). */
  public grantReportWrites(fn: RotatorFunction): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.reportBucket.arnForObjects(`${REPORT_PREFIX}*`)] }));
    this.grantKeyUse(fn, ['kms:GenerateDataKey'], 's3');
    fn.addEnvironment('REPORT_BUCKET', this.reportBucket.bucketName);
  }

  /** Lets `fn` list and read a run's report parts and write the assembled report. */
  public grantReportBuild(fn: RotatorFunction): void {
    this.grantReportWrites(fn);
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.reportBucket.arnForObjects(`${REPORT_PREFIX}*`)] }));
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.reportBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': `${REPORT_PREFIX}*` } },
      }),
    );
    this.grantKeyUse(fn, ['kms:Decrypt'], 's3');
  }

  /** Lets `fn` list credential secrets by name and tags (never values). */
  public grantCredentialSecretListing(fn: RotatorFunction): void {
    // ListSecrets cannot be scoped to resources; it returns names and tags only, never values.
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:ListSecrets'], resources: ['*'] }));
    fn.addEnvironment('SECRET_PREFIX', this.config.secretPrefix);
  }

  /** Lets `fn` publish rotation events to the bus. */
  public grantRotationEvents(fn: RotatorFunction): void {
    this.eventBus.grantPutEventsTo(fn);
    fn.addEnvironment('EVENT_BUS_NAME', this.eventBus.eventBusName);
  }

  private createStateMachine(id: string, definition: sfn.IChainable, logName: string, timeout: Duration, retention: logs.RetentionDays) {
    return new sfn.StateMachine(this, id, {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout,
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, `${id}LogGroup`, {
          logGroupName: `${this.logGroupPrefix}/${logName}`,
          retention,
          encryptionKey: this.encryptionKey,
        }),
        level: sfn.LogLevel.ERROR,
        // Errors are enough to find the failing state; the payloads are in the execution history.
        includeExecutionData: false,
      },
    });
  }

  /** Private, encrypted with the rotator's key, TLS only, expiring after `reportRetentionDays`, with access logs. */
  private createReportBucket(): s3.Bucket {
    const accessLogs = new s3.Bucket(this, 'ReportAccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(this.config.reportRetentionDays) }],
    });
    return new s3.Bucket(this, 'Reports', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'reports/',
      lifecycleRules: [{ prefix: REPORT_PREFIX, expiration: Duration.days(this.config.reportRetentionDays) }],
    });
  }

  private bindCredentialSecrets(fn: RotatorFunction, actions: string[]): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [this.credentialSecretsArn] }));
    fn.addEnvironment('SECRET_PREFIX', this.config.secretPrefix);
    fn.addEnvironment('SECRET_KMS_KEY_ID', this.encryptionKey.keyArn);
  }

  /** Key use only through the one service that needs it, so the grant cannot be used to decrypt anything else with the key. */
  private grantKeyUse(fn: RotatorFunction, actions: string[], viaService: 'secretsmanager' | 's3' = 'secretsmanager'): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions,
        resources: [this.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `${viaService}.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }

  /** CloudWatch Logs encrypts with the caller's key only when the key policy names it; scoped to our log groups. */
  private allowLogsToUseKey(): void {
    const stack = Stack.of(this);
    this.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsForRotatorLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: `${this.logGroupPrefix}/*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
      // An imported key's policy cannot be changed from here; the prop's documentation says so.
      true,
    );
  }

  /**
   * Cross-account consumers need the key as well as the secret's resource policy. Each consumer org's principals may
   * decrypt only through Secrets Manager and only secrets under that org's names, so principals listed for one org
   * cannot read another org's secret whatever their own account lets them do.
   */
  private allowConsumersToDecryptTheirSecrets(): void {
    const stack = Stack.of(this);
    const consumerOrgs = Object.entries(this.config.consumerAccess).filter(([, principals]) => principals.length > 0);
    const added = consumerOrgs.map(([consumerOrg, principals], index) => {
      const secretArns = this.config.targets.map((target) =>
        stack.formatArn({
          service: 'secretsmanager',
          resource: 'secret',
          resourceName: `${consumerSecretNamePrefix(this.config.secretPrefix, target, consumerOrg)}*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      );
      const statement = new iam.PolicyStatement({
        sid: `ConsumerOrg${index}DecryptOwnSecrets`,
        principals: principals.map((arn) => new iam.ArnPrincipal(arn)),
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` },
          StringLike: { 'kms:EncryptionContext:SecretARN': secretArns },
        },
      });
      return this.encryptionKey.addToResourcePolicy(statement, true).statementAdded;
    });
    if (added.includes(false)) {
      Annotations.of(this).addWarningV2(
        'apic-rotator:consumer-key-policy',
        'consumerAccess is set but the encryption key is imported: add the consumer decrypt statements to its key policy yourself (docs/consumers.md).',
      );
    }
  }

  private createFailedExecutionsAlarm(alarmTopic: sns.ITopic | undefined): cloudwatch.Alarm {
    const period = Duration.minutes(5);
    // FILL: a period with, say, one failure and no timeouts would otherwise have no sum at all.
    const unsuccessfulExecutions = new cloudwatch.MathExpression({
      expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
      usingMetrics: {
        failed: this.stateMachine.metricFailed({ period }),
        timedOut: this.stateMachine.metricTimedOut({ period }),
        aborted: this.stateMachine.metricAborted({ period }),
      },
      label: 'Failed, timed-out and aborted rotation runs',
      period,
    });
    return this.alarmOnFirstOccurrence(
      unsuccessfulExecutions,
      'FailedExecutionsAlarm',
      'A credential rotation run failed, timed out or was aborted: see the state machine executions.',
      alarmTopic,
    );
  }

  private createFailedAppsAlarm(alarmTopic: sns.ITopic | undefined): cloudwatch.Alarm {
    // An hour keeps the alarm visible for a while after the run that reported the failure.
    return this.alarmOnFirstOccurrence(
      rotatorMetric('AppsFailed', Duration.hours(1)),
      'FailedAppsAlarm',
      'A rotation run could not finish every app: the run summary (FinishRun output) lists each failed app and why; ' +
        'the next run retries them.',
      alarmTopic,
    );
  }

  /** Alarms as soon as one period counts one occurrence; a period without data is not a breach. */
  private alarmOnFirstOccurrence(
    metric: cloudwatch.Metric | cloudwatch.MathExpression,
    id: string,
    alarmDescription: string,
    alarmTopic: sns.ITopic | undefined,
  ): cloudwatch.Alarm {
    const alarm = metric.createAlarm(this, id, {
      alarmDescription,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (alarmTopic) alarm.addAlarmAction(new SnsAction(alarmTopic));
    return alarm;
  }

  private createDashboard(): cloudwatch.Dashboard {
    const period = Duration.days(1);
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.days(30) });
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Rotator alarms', alarms: [this.failedExecutionsAlarm, this.failedAppsAlarm], width: 24, height: 3 }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Rotation runs per day',
        left: [
          this.stateMachine.metricSucceeded({ period, label: 'Succeeded' }),
          this.stateMachine.metricFailed({ period, label: 'Failed' }),
          this.stateMachine.metricTimedOut({ period, label: 'Timed out' }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Credentials per day',
        left: DASHBOARD_METRICS.map(([name, label]) => rotatorMetric(name, period, label)),
        width: 12,
      }),
    );
    return dashboard;
  }
}

/** A metric the step handlers publish (Powertools adds the `service` dimension), summed over `period`. */
function rotatorMetric(metricName: StepMetric, period: Duration, label?: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: ROTATOR_METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: ROTATOR_SERVICE_NAME },
    statistic: cloudwatch.Stats.SUM,
    period,
    ...(label !== undefined && { label }),
  });
}

/** The admin secret's ARN patterns: a name gets Secrets Manager's random 6-character suffix; an ARN may be complete or partial. */
function adminSecretArns(stack: Stack, nameOrArn: string): string[] {
  if (nameOrArn.startsWith('arn:')) return [nameOrArn, `${nameOrArn}-??????`];
  return [
    stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${nameOrArn}-??????`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
  ];
}

function assertEnvironmentFits(step: StepId, fn: RotatorFunction): void {
  const { totalBytes, variables } = fn.environmentFootprint();
  if (totalBytes <= LAMBDA_ENVIRONMENT_LIMIT_BYTES) return;
  const largest = variables
    .slice(0, 3)
    .map((variable) => `${variable.name} (${variable.bytes} bytes)`)
    .join(', ');
  throw new EnvironmentTooLargeError(
    `The ${step} function's environment would be about ${totalBytes} bytes, over Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}-byte limit. ` +
      `Largest: ${largest}. Shorten the config behind them (for APIC_CA_BUNDLE keep only the issuing CA certificate; ` +
      `for ROTATOR_CONFIG fewer consumerOrgOverrides).`,
  );
}

function pascalCase(kebab: string): string {
  return kebab.replace(/(^|-)([a-z])/g, (_match, _dash, letter: string) => letter.toUpperCase());
}
