import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ALL_ERRORS } from '../functions/domain/error-names';
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
 * PrepareRestore → ListSecretsPage → HasSecrets? ─yes→ ForEachSecret (Map) → MoreSecretPages?
 *                                                └no─────────────────────→ MoreSecretPages?
 * MoreSecretPages? ─more→ ListSecretsPage ; ─done→ FinishRestore → ReleaseRestoreLease → RestoreDone
 * PrepareRestore takes the run lease; when it is held: RestoreLeaseHeld? → RestoreSkipped. A failure of
 *   ListSecretsPage, ForEachSecret or FinishRestore → ReleaseRestoreLease → RestoreFailed
 * ForEachSecret child: RestoreCredential (reports a lasting failure as the secret's result) ; an error it could not
 *   report, e.g. a timeout or retries exhausted → SecretFailed (Catch; the run goes on)
 * ```
 * Task state names come from the step registry (functions/steps.ts), through which the local runner finds the
 * handler behind each state.
 */
export class RestoreWorkflow extends Construct {
  public readonly definition: sfn.IChainable;

  constructor(scope: Construct, id: string, props: RestoreWorkflowProps) {
    super(scope, id);
    const task = (step: RestoreStep, payload: Record<string, unknown>, resultPath?: string) =>
      lambdaStep(this, step, props.functions[step], payload, resultPath);
    const state = { 'run.$': '$.run', 'cursor.$': '$.cursor', 'summary.$': '$.summary', 'lastResults.$': '$.lastResults' };

    const prepare = task('restore-prepare', { 'input.$': '$', 'executionName.$': '$$.Execution.Name', 'executionArn.$': '$$.Execution.Id' });
    const listPage = task('restore-list-page', state);
    const finish = task('restore-finish', { 'run.$': '$.run', 'summary.$': '$.summary', 'lastResults.$': '$.lastResults' }, '$.summary');

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

    // Distributed, like the rotation's per-app Map: each child has its own history, so thousands of secrets stay
    // far from the 25,000-event limit of one execution. ListSecretsPage folds the previous page's results into the
    // summary, and FinishRestore the last page's.
    const loop = pagedMapLoop(this, {
      pageStep: listPage,
      hasItemsState: 'HasSecrets',
      morePagesState: 'MoreSecretPages',
      map: {
        state: 'ForEachSecret',
        itemSelector: { 'dryRun.$': '$.run.dryRun', 'secretPrefix.$': '$.run.secretPrefix', 'secretName.$': '$$.Map.Item.Value' },
        maxConcurrency: props.maxConcurrentSecrets,
        itemProcessor: restoreCredential,
      },
      resultsTakenBy: 'done',
      done: finish,
    });

    // Released on every way the restore ends once PrepareRestore took it, as in the rotation.
    const releaseLease = task('restore-release-lease', { 'run.$': '$.run' }, sfn.JsonPath.DISCARD);
    const forEachSecret = this.node.findChild('ForEachSecret') as sfn.DistributedMap;
    for (const step of [listPage, forEachSecret, finish]) step.addCatch(releaseLease, { errors: [ALL_ERRORS], resultPath: '$.error' });
    finish.next(releaseLease);
    releaseLease.next(
      new sfn.Choice(this, 'RestoreFailed?')
        .when(sfn.Condition.isPresent('$.error'), new sfn.Fail(this, 'RestoreFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }))
        .otherwise(new sfn.Pass(this, 'RestoreDone', { outputPath: '$.summary' })),
    );
    this.definition = prepare.next(
      new sfn.Choice(this, 'RestoreLeaseHeld?')
        .when(sfn.Condition.isPresent('$.skipped'), new sfn.Succeed(this, 'RestoreSkipped', { outputPath: '$.skipped' }))
        .otherwise(loop),
    );
  }
}
