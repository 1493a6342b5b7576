import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotations, ArnFormat, Duration, Fn, Names, Stack, Stage, TimeZone } from 'aws-cdk-lib';
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
import { parseRotatorConfig, type RotatorConfig, type RotatorConfigInput } from '../functions/domain/config';
import { writeRotatorConfigFile } from '../functions/runtime/config-file';
import { STEPS, stepsOf, type RestoreStep, type RotationStep, type StepOf, type StepSpec, type Workflow } from '../functions/steps';
import { ROTATOR_LOG_GROUP_REMOVAL, RotatorFunction } from './lambda-defaults';
import { createMonitoring, resolveAlarmTopic } from './monitoring';
import { acknowledgeRotatorNagFindings } from './nag-acknowledgements';
import { createReportBucket } from './report-bucket';
import { RestoreWorkflow } from './restore-workflow';
import { RotationWorkflow } from './rotation-workflow';
import { measureSizes, sizeLimitProblems, type SizeMeasurements } from './size-limits';
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
  /**
   * Upper bound for one restore. A restore re-creates credentials `maxConcurrentApps` at a time, about a second each:
   * 1,000,000 secrets at 10 in parallel take about 28 hours.
   * @default Duration.hours(48)
   */
  readonly restoreTimeout?: Duration;
}

/**
 * The whole APIC credential rotator: one Lambda per workflow step, the rotation state machine, its schedule,
 * the key for credential secrets and logs, rotation events, alarms on failed runs and failed apps, and a dashboard.
 * Synthesis fails when a document would pass an AWS size limit (key policy, role policies, secret resource
 * policies, Lambda environments, state machine definitions): see `measureSizes()`.
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
  /** In alarm when a run could not scan part of a catalog (metric `SegmentsFailed`). */
  public readonly failedSegmentsAlarm: cloudwatch.Alarm;
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
  /**
   * The config file every function reads at cold start (as `rotator-config.json` in its asset): the validated config,
   * CA bundle and consumer access included, written at synth under the app's output directory.
   */
  public readonly configFile: string;

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
    // The whole config goes to every function as a file in its asset, not in its 4 KB environment.
    const configFile = (this.configFile = writeRotatorConfigFile(join(Stage.of(this)?.outdir ?? tmpdir(), 'rotator-config'), this.config));
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
          configFile,
        });
        bindStep(fn, spec.access, grantTargets);
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
    this.restoreStateMachine = this.createStateMachine('RestoreStateMachine', stateMachineNames.restore, restore.definition, 'restore-state-machine', props.restoreTimeout ?? Duration.hours(48), logRetention);

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
    this.failedSegmentsAlarm = monitoring.failedSegmentsAlarm;
    this.failedRestoresAlarm = monitoring.failedRestoresAlarm;
    this.dashboard = monitoring.dashboard;
    acknowledgeRotatorNagFindings(this);
    // At synth rather than here, so statements, variables and states added after construction count too.
    this.node.addValidation({ validate: () => sizeLimitProblems(this.measureSizes(), this.config) });
  }

  /**
   * The sizes AWS limits (key policy, role policies, secret policies, environments, definitions), as checked at
   * synth. Asked before synth, a role's default policy counts whole: the CDK moves its overflow into managed policies
   * only when it synthesizes.
   */
  public measureSizes(): SizeMeasurements {
    const key = this.encryptionKey instanceof kms.Key ? (this.encryptionKey.node.defaultChild as kms.CfnKey) : undefined;
    return measureSizes(this, this.config, key);
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
   * Cross-account consumers need the key as well as the secret's resource policy. One statement lets every consumer
   * principal decrypt, only through Secrets Manager and only for secrets under the credential prefix, so the key
   * policy grows by one ARN per principal whatever the number of targets (32 KB is KMS's limit). It does not keep
   * the orgs apart: each secret's resource policy does (functions/domain/access), naming only its own org's
   * principals, and Secrets Manager decrypts for a principal only after that policy let it read the secret.
   */
  private allowConsumersToDecryptTheirSecrets(): void {
    const stack = Stack.of(this);
    const principals = [...new Set(Object.values(this.config.consumerAccess).flat())].sort();
    if (principals.length === 0) return;
    const statement = new iam.PolicyStatement({
      sid: 'ConsumersDecryptCredentialSecretsThroughSecretsManager',
      principals: principals.map((arn) => new iam.ArnPrincipal(arn)),
      actions: ['kms:Decrypt'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` },
        StringLike: { 'kms:EncryptionContext:SecretARN': this.credentialSecretsArn },
      },
    });
    if (!this.encryptionKey.addToResourcePolicy(statement, true).statementAdded) {
      Annotations.of(this).addWarningV2(
        'apic-rotator:consumer-key-policy',
        'consumerAccess is set but the encryption key is imported: add the consumer decrypt statement to its key policy yourself (docs/consumers.md).',
      );
    }
  }
}

function pascalCase(kebab: string): string {
  return kebab.replace(/(^|-)([a-z])/g, (_match, _dash, letter: string) => letter.toUpperCase());
}
