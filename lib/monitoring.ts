import { Annotations, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { ConfigError, type RotatorConfig } from '../functions/domain/config';
import type { StepMetric } from '../functions/steps';
import { ROTATOR_METRICS_NAMESPACE, ROTATOR_SERVICE_NAME } from './lambda-defaults';

export interface AlarmTopicProps {
  readonly config: Pick<RotatorConfig, 'alarmEmails' | 'alarmTopicArn'>;
  /** Encrypts the topic created here; its key policy gets a statement for CloudWatch alarms. */
  readonly encryptionKey: kms.IKey;
  /** A topic the construct was given. @default - `config.alarmTopicArn`, else a topic created here */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * The topic every alarm notifies (id `AlarmTopic` in `scope` when imported or created): the `alarmTopic` prop, else
 * `config.alarmTopicArn`, else a topic created here, encrypted with the rotator key, with an e-mail subscription per
 * `config.alarmEmails` address. Addresses are only subscribed to the topic created here: a topic of your own keeps
 * the subscriptions you give it.
 */
export function resolveAlarmTopic(scope: Construct, props: AlarmTopicProps): sns.ITopic {
  const { alarmEmails, alarmTopicArn } = props.config;
  if (props.alarmTopic) {
    const ignored = [...(alarmTopicArn === undefined ? [] : ['alarmTopicArn']), ...(alarmEmails.length > 0 ? ['alarmEmails'] : [])];
    if (ignored.length > 0) {
      throw new ConfigError(
        'rotator config',
        ignored.map((path) => ({ path, message: 'has no effect when the construct is given an alarmTopic; remove it, or the alarmTopic prop' })),
      );
    }
    return props.alarmTopic;
  }
  if (alarmTopicArn !== undefined) return sns.Topic.fromTopicArn(scope, 'AlarmTopic', alarmTopicArn);

  const topic = new sns.Topic(scope, 'AlarmTopic', {
    displayName: 'APIC credential rotator alarms',
    masterKey: props.encryptionKey,
    enforceSSL: true,
  });
  allowCloudWatchAlarmsToPublish(topic, props.encryptionKey);
  for (const address of alarmEmails) topic.addSubscription(new EmailSubscription(address));
  return topic;
}

/**
 * CloudWatch publishes alarm notifications as `cloudwatch.amazonaws.com`. The topic's policy must allow it
 * (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger): the topic policy `enforceSSL` makes
 * the CDK write replaces the default one. An encrypted topic's key policy must let it `kms:GenerateDataKey*` and
 * `kms:Decrypt` (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
 */
function allowCloudWatchAlarmsToPublish(topic: sns.Topic, key: kms.IKey): void {
  const stack = Stack.of(topic);
  const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowAlarmsOfThisAccount',
      principals: [cloudWatch],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
      },
    }),
  );
  const { statementAdded } = key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToUseEncryptedTopic',
      principals: [cloudWatch],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }),
    true,
  );
  if (!statementAdded) {
    Annotations.of(topic).addWarningV2(
      'apic-rotator:alarm-topic-key-policy',
      'The encryption key is imported: let cloudwatch.amazonaws.com use it (kms:Decrypt, kms:GenerateDataKey*) in its key policy, or alarms cannot publish to the alarm topic.',
    );
  }
}

export interface MonitoringProps {
  /** The rotation state machine. */
  readonly stateMachine: sfn.StateMachine;
  /** The restore state machine. */
  readonly restoreStateMachine: sfn.StateMachine;
  /** Notified when any alarm fires. */
  readonly alarmTopic: sns.ITopic;
}

export interface Monitoring {
  readonly failedExecutionsAlarm: cloudwatch.Alarm;
  readonly failedAppsAlarm: cloudwatch.Alarm;
  readonly failedSegmentsAlarm: cloudwatch.Alarm;
  readonly failedRestoresAlarm: cloudwatch.Alarm;
  readonly dashboard: cloudwatch.Dashboard;
}

/** Rotator metrics on the dashboard, with their labels (published by the step handlers, see functions/steps.ts). */
const DASHBOARD_METRICS: ReadonlyArray<readonly [name: StepMetric, label: string]> = [
  ['CredentialsScanned', 'Credentials scanned'],
  ['ReplacementsCreated', 'Replacements created'],
  ['OriginalsDeleted', 'Originals deleted'],
  ['AppsFailed', 'Apps failed'],
  ['NoticesSent', 'Notices sent'],
  ['NoticesFailed', 'Notices failed'],
  ['RunsSkipped', 'Runs skipped (run lease held)'],
];

/**
 * The rotator's alarms and dashboard (ids `FailedExecutionsAlarm`, `FailedAppsAlarm`, `FailedSegmentsAlarm`,
 * `FailedRestoresAlarm` and `Dashboard` in `scope`): an alarm on failed, timed-out or aborted rotation runs, one on
 * any app a run could not finish, one on any segment of a catalog a run could not scan, one on failed, timed-out or
 * aborted restores, each notifying `alarmTopic`, and a dashboard of the alarms with the runs and the rotator's counts.
 */
export function createMonitoring(scope: Construct, props: MonitoringProps): Monitoring {
  const failedExecutionsAlarm = createUnsuccessfulExecutionsAlarm(scope, 'FailedExecutionsAlarm', props.stateMachine, props.alarmTopic, {
    label: 'Failed, timed-out and aborted rotation runs',
    description: 'A credential rotation run failed, timed out or was aborted: see the state machine executions.',
  });
  const failedAppsAlarm = createFailedAppsAlarm(scope, props);
  const failedSegmentsAlarm = alarmOnFirstOccurrence(
    scope,
    rotatorMetric('SegmentsFailed', Duration.hours(1)),
    'FailedSegmentsAlarm',
    'A rotation run could not scan part of a catalog (a segment failed after its retries): the run summary (FinishRun ' +
      'output, `failedSegments`) names where it stopped and the error; the apps it did not reach wait for the next run.',
    props.alarmTopic,
  );
  const failedRestoresAlarm = createUnsuccessfulExecutionsAlarm(scope, 'FailedRestoresAlarm', props.restoreStateMachine, props.alarmTopic, {
    label: 'Failed, timed-out and aborted restores',
    description:
      'A credential restore failed, timed out or was aborted: see the restore state machine executions; a restore can be ' +
      'started again, it skips the credentials already present.',
  });
  const dashboard = createDashboard(scope, props.stateMachine, [failedExecutionsAlarm, failedAppsAlarm, failedSegmentsAlarm, failedRestoresAlarm]);
  return { failedExecutionsAlarm, failedAppsAlarm, failedSegmentsAlarm, failedRestoresAlarm, dashboard };
}

function createUnsuccessfulExecutionsAlarm(
  scope: Construct,
  id: string,
  stateMachine: sfn.StateMachine,
  alarmTopic: sns.ITopic,
  text: { label: string; description: string },
): cloudwatch.Alarm {
  const period = Duration.minutes(5);
  // FILL: a period with, say, one failure and no timeouts would otherwise have no sum at all.
  const unsuccessfulExecutions = new cloudwatch.MathExpression({
    expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
    usingMetrics: {
      failed: stateMachine.metricFailed({ period }),
      timedOut: stateMachine.metricTimedOut({ period }),
      aborted: stateMachine.metricAborted({ period }),
    },
    label: text.label,
    period,
  });
  return alarmOnFirstOccurrence(scope, unsuccessfulExecutions, id, text.description, alarmTopic);
}

function createFailedAppsAlarm(scope: Construct, { alarmTopic }: MonitoringProps): cloudwatch.Alarm {
  // An hour keeps the alarm visible for a while after the run that reported the failure.
  return alarmOnFirstOccurrence(
    scope,
    rotatorMetric('AppsFailed', Duration.hours(1)),
    'FailedAppsAlarm',
    'A rotation run could not finish every app: the run summary (FinishRun output) lists each failed app and why; ' +
      'the next run retries them.',
    alarmTopic,
  );
}

/** Alarms as soon as one period counts one occurrence; a period without data is not a breach. */
function alarmOnFirstOccurrence(
  scope: Construct,
  metric: cloudwatch.Metric | cloudwatch.MathExpression,
  id: string,
  alarmDescription: string,
  alarmTopic: sns.ITopic,
): cloudwatch.Alarm {
  const alarm = metric.createAlarm(scope, id, {
    alarmDescription,
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new SnsAction(alarmTopic));
  return alarm;
}

function createDashboard(scope: Construct, stateMachine: sfn.StateMachine, alarms: cloudwatch.IAlarm[]): cloudwatch.Dashboard {
  const period = Duration.days(1);
  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', { defaultInterval: Duration.days(30) });
  dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Rotator alarms', alarms, width: 24, height: 3 }));
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Rotation runs per day',
      left: [
        stateMachine.metricSucceeded({ period, label: 'Succeeded' }),
        stateMachine.metricFailed({ period, label: 'Failed' }),
        stateMachine.metricTimedOut({ period, label: 'Timed out' }),
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
