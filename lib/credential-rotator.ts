import { Annotations, ArnFormat, Duration, Fn, Names, Stack, TimeZone } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { consumerSecretNamePrefix } from '../functions/domain/access';
import { parseRotatorConfig, type RotatorConfig, type RotatorConfigInput } from '../functions/domain/config';
import { STEPS, stepsOf, type RestoreStep, type RotationStep, type StepId, type StepOf, type StepSpec, type Workflow } from '../functions/steps';
import { LAMBDA_ENVIRONMENT_LIMIT_BYTES, ROTATOR_LOG_GROUP_REMOVAL, RotatorFunction } from './lambda-defaults';
import { createMonitoring, resolveAlarmTopic } from './monitoring';
import { acknowledgeRotatorNagFindings } from './nag-acknowledgements';
import { createReportBucket } from './report-bucket';
import { RestoreWorkflow } from './restore-workflow';
import { RotationWorkflow } from './rotation-workflow';
import { bindStep } from './step-grants';

export interface CredentialRotatorProps {
  /**
   * The rotator configuration (a parsed `RotatorConfig` or its input form, defaults omitted).
   * Validated again here, so every problem surfaces at synth, all at once, as a `ConfigError`.
   */
  readonly config: RotatorConfigInput;
  /**
   * Key for every credential secret, every log group and the alarm topic of the rotator.
   * A key you pass is used as is: if it is imported, its policy must already let CloudWatch Logs use it, let
   * CloudWatch alarms (`cloudwatch.amazonaws.com`) use it for the alarm topic unless `alarmTopic` or `alarmTopicArn`
   * is given, and, with `consumerAccess`, let each consumer org's principals decrypt that org's secrets (see
   * docs/consumers.md).
   * @default - a new customer-managed key with automatic rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Topic notified when a rotation run or a restore fails, times out or is aborted, or when any app fails in a run.
   * Config `alarmTopicArn` and `alarmEmails` must then be unset.
   * @default - config `alarmTopicArn`, else a topic encrypted with `encryptionKey` that mails each `alarmEmails` address
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
  /** In alarm when a restore fails, times out or is aborted. */
  public readonly failedRestoresAlarm: cloudwatch.Alarm;
  /** Every alarm notifies this topic. */
  public readonly alarmTopic: sns.ITopic;
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
  /** The state machines' names, fixed at synth (the run lease steps' grants name their executions). */
  public readonly stateMachineNames: { readonly rotation: string; readonly restore: string };
  public readonly restoreFunctions: Record<RestoreStep, RotatorFunction>;

  /** Every log group of the rotator is under this prefix; the key policy lets CloudWatch Logs use the key there. */
  private readonly logGroupPrefix: string;
  /** `logGroupPrefix` plus the stack instance's id: the prefix of the log group names. */
  private readonly logGroupNamePrefix: string;

  constructor(scope: Construct, id: string, props: CredentialRotatorProps) {
    super(scope, id);
    this.config = parseRotatorConfig(props.config);
    const stack = Stack.of(this);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    // `/aws/vendedlogs/` spares Step Functions a CloudWatch Logs resource policy per log group.
    this.logGroupPrefix = `/aws/vendedlogs/apic-credential-rotator/${Names.uniqueId(this)}`;
    // The log groups outlive a deleted stack. A stack id ends in a UUID that CloudFormation draws for each stack it
    // creates, so a stack created again after `cdk destroy` names its log groups beside the kept ones, not onto them.
    this.logGroupNamePrefix = `${this.logGroupPrefix}/${Fn.select(2, Fn.split('/', stack.stackId))}`;
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
    this.reportBucket = createReportBucket(this, { encryptionKey: this.encryptionKey, retentionDays: this.config.reportRetentionDays });

    // One function per step of the registry (functions/steps.ts), sized and granted as its entry says.
    // Named here rather than by CloudFormation: the lease steps' grants name the executions of both state machines,
    // and a generated name would make each function's policy depend on a state machine that depends on the function.
    const stateMachineNames = (this.stateMachineNames = {
      rotation: Names.uniqueResourceName(this, { maxLength: 70, separator: '-' }) + '-rotation',
      restore: Names.uniqueResourceName(this, { maxLength: 70, separator: '-' }) + '-restore',
    });
    const grantTargets = {
      stateMachineNames: [stateMachineNames.rotation, stateMachineNames.restore],
      config: this.config,
      encryptionKey: this.encryptionKey,
      credentialSecretsArn: this.credentialSecretsArn,
      reportBucket: this.reportBucket,
      eventBus: this.eventBus,
    };
    const createFunctions = <W extends Workflow>(workflow: W) => {
      const functions = {} as Record<StepOf<W>, RotatorFunction>;
      for (const step of stepsOf(workflow)) {
        const spec: StepSpec = STEPS[step];
        const fn = new RotatorFunction(this, pascalCase(step), {
          handlerName: spec.handler,
          logGroupName: `${this.logGroupNamePrefix}/${step}`,
          logRetention,
          encryptionKey: this.encryptionKey,
          timeout: Duration.seconds(spec.timeoutSeconds),
          memorySize: spec.memoryMb,
        });
        bindStep(fn, spec.access, grantTargets);
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
    this.stateMachine = this.createStateMachine('StateMachine', stateMachineNames.rotation, workflow.definition, 'state-machine', props.stateMachineTimeout ?? Duration.hours(12), logRetention);
    const restore = new RestoreWorkflow(this, 'RestoreWorkflow', {
      functions: this.restoreFunctions,
      maxConcurrentSecrets: this.config.maxConcurrentApps,
    });
    this.restoreStateMachine = this.createStateMachine('RestoreStateMachine', stateMachineNames.restore, restore.definition, 'restore-state-machine', Duration.hours(6), logRetention);

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'Starts the APIC credential rotation run',
      schedule: scheduler.ScheduleExpression.expression(this.config.schedule.cron, TimeZone.of(this.config.schedule.timeZone)),
      target: new StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({ trigger: 'schedule' }),
        retryAttempts: 2,
      }),
      enabled: this.config.schedule.enabled,
    });

    this.alarmTopic = resolveAlarmTopic(this, { config: this.config, encryptionKey: this.encryptionKey, alarmTopic: props.alarmTopic });
    const monitoring = createMonitoring(this, {
      stateMachine: this.stateMachine,
      restoreStateMachine: this.restoreStateMachine,
      alarmTopic: this.alarmTopic,
    });
    this.failedExecutionsAlarm = monitoring.failedExecutionsAlarm;
    this.failedAppsAlarm = monitoring.failedAppsAlarm;
    this.failedRestoresAlarm = monitoring.failedRestoresAlarm;
    this.dashboard = monitoring.dashboard;
    acknowledgeRotatorNagFindings(this);
  }

  private createStateMachine(id: string, name: string, definition: sfn.IChainable, logName: string, timeout: Duration, retention: logs.RetentionDays) {
    return new sfn.StateMachine(this, id, {
      stateMachineName: name,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout,
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, `${id}LogGroup`, {
          logGroupName: `${this.logGroupNamePrefix}/${logName}`,
          retention,
          encryptionKey: this.encryptionKey,
          removalPolicy: ROTATOR_LOG_GROUP_REMOVAL,
        }),
        level: sfn.LogLevel.ERROR,
        // Errors are enough to find the failing state; the payloads are in the execution history.
        includeExecutionData: false,
      },
    });
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
