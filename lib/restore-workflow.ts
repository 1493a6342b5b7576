import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ALL_ERRORS } from '../functions/domain/error-names';
import { MAX_PAGES_PER_SEGMENT } from '../functions/domain/restore/listing';
import type { RestoreStep } from '../functions/steps';
import { lambdaStep } from './lambda-step';
import { pagedMapLoop } from './paged-map-loop';

export interface RestoreWorkflowProps {
  readonly functions: Record<RestoreStep, IFunction>;
  /** Secrets restored in parallel; bounds the load on APIC. */
  readonly maxConcurrentSecrets: number;
}

/**
 * Builds the restore state machine body (JSONPath, so the same definition runs in the local interpreter):
 * ```
 * PrepareRestore (takes the run lease) → RestoreLeaseHeld? ─held→ RestoreSkipped
 *   ─taken→ MoreSegments? ─more→ RunSegment (Distributed Map over the one next segment) → MoreSegments?
 *                         ─done→ FinishRestore → ReleaseRestoreLease → RestoreDone
 *   a failure of RunSegment or FinishRestore → ReleaseRestoreLease → RestoreFailed
 * segment child: ListSecretsPage → HasSecrets? ─yes→ ForEachSecret (Distributed Map, one child per secret) → ListSecretsPage
 *                                            └no──→ MoreSecretPages? ─more→ ListSecretsPage
 *                                                                    ─listing done or MAX_PAGES_PER_SEGMENT listed→ SegmentDone
 * secret child:  RestoreCredential (reports a lasting failure as the secret's result) ; an error it could not
 *                report, e.g. a timeout or retries exhausted → SecretFailed (Catch; the run goes on)
 * ```
 * Secrets Manager pages follow one another by NextToken, so the listing cannot be split up front as the rotation's
 * app listing is: each segment lists a bounded number of pages in its own child execution and hands its cursor and
 * summary back, and the next segment goes on from there. The restore's history grows by one loop iteration per
 * segment, a segment's by one per page, and a secret's is constant (test/quota.test.ts). Task state names come from
 * the step registry (functions/steps.ts), through which the local runner finds the handler behind each state.
 */
export class RestoreWorkflow extends Construct {
  public readonly definition: sfn.IChainable;

  constructor(scope: Construct, id: string, props: RestoreWorkflowProps) {
    super(scope, id);
    const task = (step: RestoreStep, payload: Record<string, unknown>, resultPath?: string) =>
      lambdaStep(this, step, props.functions[step], payload, resultPath);

    const prepare = task('restore-prepare', { 'input.$': '$', 'executionName.$': '$$.Execution.Name', 'executionArn.$': '$$.Execution.Id' });
    const finish = task('restore-finish', { 'run.$': '$.run', 'summary.$': '$.segments[0].summary' }, '$.summary');

    const runSegment = new sfn.DistributedMap(this, 'RunSegment', {
      itemsPath: '$.segments',
      itemSelector: {
        'run.$': '$.run',
        'cursor.$': '$$.Map.Item.Value.cursor',
        'summary.$': '$$.Map.Item.Value.summary',
        lastResults: [],
        pagesLeft: MAX_PAGES_PER_SEGMENT,
      },
      maxConcurrency: 1,
      // The segment's output replaces the one it went on from.
      resultPath: '$.segments',
      mapExecutionType: sfn.StateMachineType.STANDARD,
    });
    runSegment.itemProcessor(this.segmentLoop(task, props.maxConcurrentSecrets));
    const moreSegments = new sfn.Choice(this, 'MoreSegments?')
      .when(sfn.Condition.booleanEquals('$.segments[0].cursor.done', true), finish)
      .otherwise(runSegment);
    runSegment.next(moreSegments);

    // Released on every way the restore ends once PrepareRestore took it, as in the rotation.
    const releaseLease = task('restore-release-lease', { 'run.$': '$.run' }, sfn.JsonPath.DISCARD);
    for (const step of [runSegment, finish]) step.addCatch(releaseLease, { errors: [ALL_ERRORS], resultPath: '$.error' });
    finish.next(releaseLease);
    releaseLease.next(
      new sfn.Choice(this, 'RestoreFailed?')
        .when(sfn.Condition.isPresent('$.error'), new sfn.Fail(this, 'RestoreFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }))
        .otherwise(new sfn.Pass(this, 'RestoreDone', { outputPath: '$.summary' })),
    );
    this.definition = prepare.next(
      new sfn.Choice(this, 'RestoreLeaseHeld?')
        .when(sfn.Condition.isPresent('$.skipped'), new sfn.Succeed(this, 'RestoreSkipped', { outputPath: '$.skipped' }))
        .otherwise(moreSegments),
    );
  }

  private segmentLoop(task: (step: RestoreStep, payload: Record<string, unknown>) => sfn.TaskStateBase, maxConcurrentSecrets: number): sfn.IChainable {
    const restoreCredential = task('restore-credential', {
      'dryRun.$': '$.dryRun',
      'secretPrefix.$': '$.secretPrefix',
      'secretName.$': '$.secretName',
    });
    // The Cause is left out: a Lambda's carries the stack trace, and this result travels in every later payload.
    restoreCredential.addCatch(
      new sfn.Pass(this, 'SecretFailed', { parameters: { status: 'failed', 'secretName.$': '$.secretName', 'error.$': '$.error.Error' } }),
      { errors: [ALL_ERRORS], resultPath: '$.error' },
    );
    // ListSecretsPage folds each page's results into the summary, the segment's last call included.
    return pagedMapLoop(this, {
      pageStep: task('restore-list-page', {
        'run.$': '$.run',
        'cursor.$': '$.cursor',
        'summary.$': '$.summary',
        'lastResults.$': '$.lastResults',
        'pagesLeft.$': '$.pagesLeft',
      }),
      hasItemsState: 'HasSecrets',
      morePagesState: 'MoreSecretPages',
      map: {
        state: 'ForEachSecret',
        itemSelector: { 'dryRun.$': '$.run.dryRun', 'secretPrefix.$': '$.run.secretPrefix', 'secretName.$': '$$.Map.Item.Value' },
        maxConcurrency: maxConcurrentSecrets,
        itemProcessor: restoreCredential,
      },
      done: new sfn.Pass(this, 'SegmentDone', { parameters: { 'cursor.$': '$.cursor', 'summary.$': '$.summary' } }),
      doneWhen: sfn.Condition.or(sfn.Condition.booleanEquals('$.cursor.done', true), sfn.Condition.numberEquals('$.pagesLeft', 0)),
    });
  }
}
