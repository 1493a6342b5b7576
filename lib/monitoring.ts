import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { StepMetric } from '../functions/steps';
import { ROTATOR_METRICS_NAMESPACE, ROTATOR_SERVICE_NAME } from './lambda-defaults';

export interface MonitoringProps {
  /** The rotation state machine. */
  readonly stateMachine: sfn.StateMachine;
  /** Notified when either alarm fires; none when absent. */
  readonly alarmTopic?: sns.ITopic;
}

export interface Monitoring {
  readonly failedExecutionsAlarm: cloudwatch.Alarm;
  readonly failedAppsAlarm: cloudwatch.Alarm;
  readonly failedSegmentsAlarm: cloudwatch.Alarm;
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
 * The rotator's alarms and dashboard (ids `FailedExecutionsAlarm`, `FailedAppsAlarm`, `FailedSegmentsAlarm` and
 * `Dashboard` in `scope`): an alarm on failed, timed-out or aborted runs, one on any app a run could not finish, one
 * on any segment of a catalog a run could not scan, and a dashboard of the alarms with the runs and the rotator's counts.
 */
export function createMonitoring(scope: Construct, props: MonitoringProps): Monitoring {
  const failedExecutionsAlarm = createFailedExecutionsAlarm(scope, props);
  const failedAppsAlarm = createFailedAppsAlarm(scope, props);
  const failedSegmentsAlarm = alarmOnFirstOccurrence(
    scope,
    rotatorMetric('SegmentsFailed', Duration.hours(1)),
    'FailedSegmentsAlarm',
    'A rotation run could not scan part of a catalog (a segment failed after its retries): the run summary (FinishRun ' +
      'output, `failedSegments`) names where it stopped and the error; the apps it did not reach wait for the next run.',
    props.alarmTopic,
  );
  const dashboard = createDashboard(scope, props.stateMachine, [failedExecutionsAlarm, failedAppsAlarm, failedSegmentsAlarm]);
  return { failedExecutionsAlarm, failedAppsAlarm, failedSegmentsAlarm, dashboard };
}

function createFailedExecutionsAlarm(scope: Construct, { stateMachine, alarmTopic }: MonitoringProps): cloudwatch.Alarm {
  const period = Duration.minutes(5);
  // FILL: a period with, say, one failure and no timeouts would otherwise have no sum at all.
  const unsuccessfulExecutions = new cloudwatch.MathExpression({
    expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
    usingMetrics: {
      failed: stateMachine.metricFailed({ period }),
      timedOut: stateMachine.metricTimedOut({ period }),
      aborted: stateMachine.metricAborted({ period }),
    },
    label: 'Failed, timed-out and aborted rotation runs',
    period,
  });
  return alarmOnFirstOccurrence(
    scope,
    unsuccessfulExecutions,
    'FailedExecutionsAlarm',
    'A credential rotation run failed, timed out or was aborted: see the state machine executions.',
    alarmTopic,
  );
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
  alarmTopic: sns.ITopic | undefined,
): cloudwatch.Alarm {
  const alarm = metric.createAlarm(scope, id, {
    alarmDescription,
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  if (alarmTopic) alarm.addAlarmAction(new SnsAction(alarmTopic));
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
