import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ALL_ERRORS, DELETION_HELD_ERROR } from '../functions/domain/error-names';
import { ACTION_STEPS, type RotationStep, type StateMachineAction } from '../functions/steps';
import { lambdaStep } from './lambda-step';
import { pagedMapLoop } from './paged-map-loop';

type Task = (step: RotationStep, payload: Record<string, unknown>, resultPath?: string) => sfn.TaskStateBase;

export interface RotationWorkflowProps {
  readonly functions: Record<RotationStep, IFunction>;
  /** Apps assessed and rotated in parallel; bounds the load on APIC and on Secrets Manager's 50 writes/s. */
  readonly maxConcurrentApps: number;
}

/**
 * Builds the rotation state machine body (JSONPath, so the same definition runs in the local interpreter).
 *
 * ```
 * PrepareRun (takes the run lease) → LeaseHeld? ─held→ RunSkipped
 *   ─taken→ ForEachSegment (Distributed Map, one child execution per segment of the app listings) → StartNotices
 *   → FinishRun (one batch of notices) → NoticesLeft? ─yes→ FinishRun ; ─no→ BuildReport → ReleaseLease → RunDone
 *   a failure of PrepareRun → RunFailed (it takes the lease as its last act, so a failed PrepareRun holds none)
 *   a failure of ForEachSegment or FinishRun → BuildReport (the report of what was done) → ReleaseLease → RunFailed
 *   a failure of BuildReport → ReleaseLease → RunFailed
 * segment child: ScanPage → HasItems? ─yes→ ForEachApp (Distributed Map, one child execution per app) → ScanPage
 *                                    └no──→ MorePages? ─more→ ScanPage ; ─done→ SegmentDone (its summary)
 *                a failure of ScanPage or ForEachApp → SegmentFailed (where it stopped, the error's name and its
 *                summary so far; the other segments go on and FinishRun counts it in `segmentsFailed`)
 * app child:     AssessApp → IsDryRun? ─yes→ AppPlanned ; ─no→ ExecuteActions (inline Map, one at a time) → AppDone
 *                any failure → AppFailed (Catch; the run goes on)
 * ```
 * Each segment's loop runs in its own execution, so the run's history holds a constant number of events whatever the
 * catalog size. Task state names come from the step registry (functions/steps.ts), through which the local runner
 * finds the handler behind each state.
 */
export class RotationWorkflow extends Construct {
  public readonly definition: sfn.IChainable;

  constructor(scope: Construct, id: string, props: RotationWorkflowProps) {
    super(scope, id);
    const task: Task = (step, payload, resultPath) => lambdaStep(this, step, props.functions[step], payload, resultPath);

    const prepareRun = task('prepare-run', {
      'input.$': '$',
      'executionName.$': '$$.Execution.Name',
      'executionStartTime.$': '$$.Execution.StartTime',
      'executionArn.$': '$$.Execution.Id',
    });
    const finishRun = task('finish-run', {
      'run.$': '$.run',
      'summary.$': '$.summary',
      'segmentSummaries.$': '$.segmentSummaries',
      'delivery.$': '$.delivery',
    });
    const buildReport = task('build-report', { 'run.$': '$.run', 'summary.$': '$.summary' }, '$.summary');

    const forEachSegment = new sfn.DistributedMap(this, 'ForEachSegment', {
      itemsPath: '$.segments',
      itemSelector: { 'run.$': '$.run', 'cursor.$': '$$.Map.Item.Value', 'summary.$': '$.summary', lastResults: [] },
      // One segment at a time: apps inside a segment already run `maxConcurrentApps` in parallel against APIC.
      maxConcurrency: 1,
      resultPath: '$.segmentSummaries',
      mapExecutionType: sfn.StateMachineType.STANDARD,
      // A segment's execution catches its own failures (SegmentFailed); this covers those it cannot catch (the child
      // execution itself failing or timing out): FinishRun counts each in `segmentsFailed` and the alarm fires.
      // The local interpreter ignores it (aws-notes.md).
      toleratedFailurePercentage: 100,
    });
    forEachSegment.itemProcessor(this.segmentLoop(task, props.maxConcurrentApps));

    // The run lease is released on every way the run ends once PrepareRun took it: after BuildReport, and on a
    // failure of any later run-level step (caught, the report of what was done written, the lease released, then failed
    // with the same error so the failed-runs alarm fires). The run's output and BuildReport's carry the summary.
    const runFailed = new sfn.Fail(this, 'RunFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const releaseLease = task('release-lease', { 'run.$': '$.run' }, sfn.JsonPath.DISCARD);
    const caught = { errors: [ALL_ERRORS], resultPath: '$.error' };
    prepareRun.addCatch(runFailed, caught);
    forEachSegment.addCatch(buildReport, caught);
    finishRun.addCatch(buildReport, caught);
    buildReport.addCatch(releaseLease, caught);
    releaseLease.next(
      new sfn.Choice(this, 'RunFailed?')
        .when(sfn.Condition.isPresent('$.error'), runFailed)
        .otherwise(new sfn.Pass(this, 'RunDone', { outputPath: '$.summary' })),
    );

    // A run that found its catalog's lease held ends at once, successfully, with who holds it.
    const leaseHeld = new sfn.Choice(this, 'LeaseHeld?')
      .when(sfn.Condition.isPresent('$.skipped'), new sfn.Succeed(this, 'RunSkipped', { outputPath: '$.skipped' }))
      .otherwise(forEachSegment);
    // FinishRun sends the queued notices one batch per invocation, as many as it can mark sent in time, until it says
    // it is done; it stops after MAX_NOTICE_INVOCATIONS, which bounds the history the loop adds.
    const startNotices = new sfn.Pass(this, 'StartNotices', { result: sfn.Result.fromObject({ invocations: 0 }), resultPath: '$.delivery' });
    const noticesLeft = new sfn.Choice(this, 'NoticesLeft?')
      .when(sfn.Condition.booleanEquals('$.delivery.done', false), finishRun)
      .otherwise(buildReport);
    forEachSegment.next(startNotices).next(finishRun).next(noticesLeft);
    buildReport.next(releaseLease);
    this.definition = prepareRun.next(leaseHeld);
  }

  private segmentLoop(task: Task, maxConcurrentApps: number): sfn.IChainable {
    const scanPage = task('scan-page', {
      'run.$': '$.run',
      'cursor.$': '$.cursor',
      'summary.$': '$.summary',
      'lastResults.$': '$.lastResults',
    });
    // A segment that fails for good ends with where it stopped and why instead of failing the run: the other segments'
    // results are kept. Only the error's name travels (its cause may hold a stack or APIC's words).
    const segmentFailed = new sfn.Pass(this, 'SegmentFailed', {
      parameters: { failedSegment: { 'cursor.$': '$.cursor', 'error.$': '$.error.Error' }, 'summary.$': '$.summary' },
    });
    scanPage.addCatch(segmentFailed, { errors: [ALL_ERRORS], resultPath: '$.error' });
    // ScanPage folds the apps' results into the summary, so it runs once more after the last page with items.
    return pagedMapLoop(this, {
      pageStep: scanPage,
      hasItemsState: 'HasItems',
      morePagesState: 'MorePages',
      map: {
        state: 'ForEachApp',
        itemSelector: { 'run.$': '$.run', 'item.$': '$$.Map.Item.Value' },
        maxConcurrency: maxConcurrentApps,
        itemProcessor: this.appFlow(task),
      },
      done: new sfn.Pass(this, 'SegmentDone', { outputPath: '$.summary' }),
      onMapFailure: segmentFailed,
    });
  }

  private appFlow(task: Task): sfn.IChainable {
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

    // Each action kind of the policy runs in the step of the same id (the registry's action steps).
    const actionKind = new sfn.Choice(this, 'ActionKind');
    for (const kind of ACTION_STEPS) {
      const payload = { 'run.$': '$.run', 'app.$': '$.app', 'action.$': '$.action' };
      actionKind.when(sfn.Condition.stringEquals('$.action.kind', kind), task(kind, payload));
    }
    // A held deletion needs no Lambda: the app fails with the policy's reason, so the run lists it and the alarm fires.
    const holdDeletion: StateMachineAction = 'hold-deletion';
    actionKind.when(
      sfn.Condition.stringEquals('$.action.kind', holdDeletion),
      new sfn.Fail(this, 'DeletionHeld', { error: DELETION_HELD_ERROR, causePath: '$.action.reason' }),
    );
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

    const assessApp = task('assess-app', { 'run.$': '$.run', 'item.$': '$.item' }, '$.assessment');
    assessApp.addCatch(appFailed, { errors: [ALL_ERRORS], resultPath: '$.error' });
    return assessApp.next(
      new sfn.Choice(this, 'IsDryRun')
        .when(sfn.Condition.booleanEquals('$.run.dryRun', true), appPlanned)
        .otherwise(executeActions),
    );
  }
}
