import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  ALL_ERRORS,
  APIC_THROTTLED_ERROR,
  APIC_UNAVAILABLE_ERROR,
  EVENT_PUBLISH_ERROR,
  LAMBDA_SERVICE_ERRORS,
  SECRET_STORE_UNAVAILABLE_ERROR,
} from '../functions/domain/error-names';

/** The Lambda behind each task state; keys are the handler file names in `functions/handlers/`. */
export const ROTATION_STEPS = [
  'prepare-run',
  'scan-page',
  'assess-app',
  'create-replacement',
  'finish-replacement',
  'repair-replacement',
  'delete-original',
  'rename-replacement',
  'queue-notice',
  'finish-run',
  'build-report',
] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** Action kinds the policy emits, mapped to the task state that carries each one out. */
export const ACTION_STATES = {
  'create-replacement': 'CreateReplacement',
  'finish-replacement': 'FinishReplacement',
  'repair-replacement': 'RepairReplacement',
  'delete-original': 'DeleteOriginal',
  'rename-replacement': 'RenameReplacement',
  'queue-notice': 'QueueNotice',
} as const satisfies Record<string, string>;

/** Task state name → handler; the local runner uses it to put the real handlers behind the synthesized states. */
export const TASK_STATE_STEPS: Record<string, RotationStep> = {
  PrepareRun: 'prepare-run',
  ScanPage: 'scan-page',
  AssessApp: 'assess-app',
  CreateReplacement: 'create-replacement',
  FinishReplacement: 'finish-replacement',
  RepairReplacement: 'repair-replacement',
  DeleteOriginal: 'delete-original',
  RenameReplacement: 'rename-replacement',
  QueueNotice: 'queue-notice',
  FinishRun: 'finish-run',
  BuildReport: 'build-report',
};

/** Errors worth another attempt: Lambda's own hiccups, APIC throttling/outages, Secrets Manager throttling. */
const TRANSIENT_ERRORS = [
  ...LAMBDA_SERVICE_ERRORS,
  APIC_UNAVAILABLE_ERROR,
  APIC_THROTTLED_ERROR,
  SECRET_STORE_UNAVAILABLE_ERROR,
  // Every action is idempotent, so publishing a refused event again by re-running the step is safe.
  EVENT_PUBLISH_ERROR,
];

/**
 * A task state calling one Lambda, retried with jittered back-off on transient errors only (business errors go to
 * the Catch). Without `resultPath` the result replaces the state, ASL's default for an absent ResultPath.
 */
export function lambdaStep(
  scope: Construct,
  stateName: string,
  lambdaFunction: IFunction,
  payload: Record<string, unknown>,
  resultPath?: string,
): tasks.LambdaInvoke {
  const invoke = new tasks.LambdaInvoke(scope, stateName, {
    stateName,
    lambdaFunction,
    payloadResponseOnly: true,
    payload: sfn.TaskInput.fromObject(payload),
    ...(resultPath ? { resultPath } : {}),
    retryOnServiceExceptions: false,
  });
  invoke.addRetry({
    errors: TRANSIENT_ERRORS,
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 4,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return invoke;
}

export interface RotationWorkflowProps {
  readonly functions: Record<RotationStep, IFunction>;
  /** Apps assessed and rotated in parallel; bounds the load on APIC and on Secrets Manager's 50 writes/s. */
  readonly maxConcurrentApps: number;
}

/**
 * Builds the rotation state machine body (JSONPath, so the same definition runs in the local interpreter).
 *
 * ```
 * PrepareRun → ForEachSegment (Distributed Map, one child execution per segment of the app listings) → FinishRun → BuildReport
 * segment child: ScanPage → HasItems? ─yes→ ForEachApp (Distributed Map, one child execution per app) → ScanPage
 *                                    └no──→ MorePages? ─more→ ScanPage ; ─done→ SegmentDone (its summary)
 * app child:     AssessApp → IsDryRun? ─yes→ AppPlanned ; ─no→ ExecuteActions (inline Map, one at a time) → AppDone
 *                any failure → AppFailed (Catch; the run goes on)
 * ```
 * Each segment's loop runs in its own execution, so the run's history holds a constant number of events whatever the
 * catalog size. State names are part of the contract with the local runner (`TASK_STATE_STEPS`).
 */
export class RotationWorkflow extends Construct {
  public readonly definition: sfn.IChainable;

  constructor(scope: Construct, id: string, props: RotationWorkflowProps) {
    super(scope, id);
    const task = (stateName: string, step: RotationStep, payload: Record<string, unknown>, resultPath?: string) =>
      lambdaStep(this, stateName, props.functions[step], payload, resultPath);

    const prepareRun = task('PrepareRun', 'prepare-run', {
      'input.$': '$',
      'executionName.$': '$$.Execution.Name',
      'executionStartTime.$': '$$.Execution.StartTime',
    });
    const finishRun = task('FinishRun', 'finish-run', {
      'run.$': '$.run',
      'summary.$': '$.summary',
      'segmentSummaries.$': '$.segmentSummaries',
    });
    finishRun.next(task('BuildReport', 'build-report', { 'run.$': '$.run', 'summary.$': '$.summary' }));

    const forEachSegment = new sfn.DistributedMap(this, 'ForEachSegment', {
      itemsPath: '$.segments',
      itemSelector: { 'run.$': '$.run', 'cursor.$': '$$.Map.Item.Value', 'summary.$': '$.summary', lastResults: [] },
      // One segment at a time: apps inside a segment already run `maxConcurrentApps` in parallel against APIC.
      maxConcurrency: 1,
      resultPath: '$.segmentSummaries',
      mapExecutionType: sfn.StateMachineType.STANDARD,
    });
    forEachSegment.itemProcessor(this.segmentLoop(task, props.maxConcurrentApps));

    this.definition = prepareRun.next(forEachSegment).next(finishRun);
  }

  private segmentLoop(
    task: (stateName: string, step: RotationStep, payload: Record<string, unknown>, resultPath?: string) => sfn.TaskStateBase,
    maxConcurrentApps: number,
  ): sfn.IChainable {
    const scanPage = task('ScanPage', 'scan-page', {
      'run.$': '$.run',
      'cursor.$': '$.cursor',
      'summary.$': '$.summary',
      'lastResults.$': '$.lastResults',
    });
    const forEachApp = new sfn.DistributedMap(this, 'ForEachApp', {
      itemsPath: '$.items',
      itemSelector: { 'run.$': '$.run', 'item.$': '$$.Map.Item.Value' },
      maxConcurrency: maxConcurrentApps,
      resultPath: '$.lastResults',
      mapExecutionType: sfn.StateMachineType.STANDARD,
    });
    forEachApp.itemProcessor(this.appFlow(task));
    forEachApp.next(scanPage);
    const segmentDone = new sfn.Pass(this, 'SegmentDone', { outputPath: '$.summary' });
    const morePages = new sfn.Choice(this, 'MorePages')
      .when(sfn.Condition.booleanEquals('$.cursor.done', true), segmentDone)
      .otherwise(scanPage);
    const hasItems = new sfn.Choice(this, 'HasItems')
      .when(sfn.Condition.isPresent('$.items[0]'), forEachApp)
      .otherwise(morePages);
    return scanPage.next(hasItems);
  }

  private appFlow(
    task: (stateName: string, step: RotationStep, payload: Record<string, unknown>, resultPath?: string) => sfn.TaskStateBase,
  ): sfn.IChainable {
    // Results stay small: every app's result of a page travels in one payload of the segment.
    const appFailed = new sfn.Pass(this, 'AppFailed', {
      parameters: { status: 'failed', 'item.$': '$.item', 'error.$': '$.error.Error', 'cause.$': '$.error.Cause' },
    });
    const appPlanned = new sfn.Pass(this, 'AppPlanned', {
      parameters: { status: 'planned', 'item.$': '$.item', 'actions.$': '$.assessment.plan' },
    });
    const appDone = new sfn.Pass(this, 'AppDone', {
      parameters: { status: 'done', 'item.$': '$.item', 'actions.$': '$.actionResults' },
    });

    const actionKind = new sfn.Choice(this, 'ActionKind');
    for (const [kind, stateName] of Object.entries(ACTION_STATES)) {
      const payload = { 'run.$': '$.run', 'app.$': '$.app', 'action.$': '$.action' };
      actionKind.when(sfn.Condition.stringEquals('$.action.kind', kind), task(stateName, kind as RotationStep, payload));
    }
    actionKind.otherwise(new sfn.Fail(this, 'UnknownAction', { error: 'UnknownAction', causePath: '$.action.kind' }));

    const executeActions = new sfn.Map(this, 'ExecuteActions', {
      itemsPath: '$.assessment.actions',
      itemSelector: { 'run.$': '$.run', 'app.$': '$.assessment.app', 'action.$': '$$.Map.Item.Value' },
      maxConcurrency: 1,
      resultPath: '$.actionResults',
    });
    executeActions.itemProcessor(actionKind);
    executeActions.addCatch(appFailed, { errors: [ALL_ERRORS], resultPath: '$.error' });
    executeActions.next(appDone);

    const assessApp = task('AssessApp', 'assess-app', { 'run.$': '$.run', 'item.$': '$.item' }, '$.assessment');
    assessApp.addCatch(appFailed, { errors: [ALL_ERRORS], resultPath: '$.error' });
    return assessApp.next(
      new sfn.Choice(this, 'IsDryRun')
        .when(sfn.Condition.booleanEquals('$.run.dryRun', true), appPlanned)
        .otherwise(executeActions),
    );
  }
}
