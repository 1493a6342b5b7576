import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ALL_ERRORS } from '../functions/domain/error-names';
import { lambdaStep } from './rotation-workflow';

/** The Lambda behind each task state of the restore workflow; keys are the handler file names in `functions/handlers/`. */
export const RESTORE_STEPS = ['restore-prepare', 'restore-list-page', 'restore-credential', 'restore-finish'] as const;
export type RestoreStep = (typeof RESTORE_STEPS)[number];

/** Task state name → handler; the local runner uses it to put the real handlers behind the synthesized states. */
export const RESTORE_TASK_STATE_STEPS: Record<string, RestoreStep> = {
  PrepareRestore: 'restore-prepare',
  ListSecretsPage: 'restore-list-page',
  RestoreCredential: 'restore-credential',
  FinishRestore: 'restore-finish',
};

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
 * MoreSecretPages? ─more→ ListSecretsPage ; ─done→ FinishRestore
 * ForEachSecret child: RestoreCredential (reports a lasting failure as the secret's result) ; an error it could not
 *   report, e.g. a timeout or retries exhausted → SecretFailed (Catch; the run goes on)
 * ```
 * State names are part of the contract with the local runner (`RESTORE_TASK_STATE_STEPS`).
 */
export class RestoreWorkflow extends Construct {
  public readonly definition: sfn.IChainable;

  constructor(scope: Construct, id: string, props: RestoreWorkflowProps) {
    super(scope, id);
    const task = (stateName: string, step: RestoreStep, payload: Record<string, unknown>) =>
      lambdaStep(this, stateName, props.functions[step], payload);
    const state = { 'run.$': '$.run', 'cursor.$': '$.cursor', 'summary.$': '$.summary', 'lastResults.$': '$.lastResults' };

    const prepare = task('PrepareRestore', 'restore-prepare', { 'input.$': '$', 'executionName.$': '$$.Execution.Name' });
    const listPage = task('ListSecretsPage', 'restore-list-page', state);
    const finish = task('FinishRestore', 'restore-finish', { 'run.$': '$.run', 'summary.$': '$.summary', 'lastResults.$': '$.lastResults' });

    const restoreCredential = task('RestoreCredential', 'restore-credential', {
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
    // far from the 25,000-event limit of one execution.
    const forEachSecret = new sfn.DistributedMap(this, 'ForEachSecret', {
      itemsPath: '$.items',
      itemSelector: { 'dryRun.$': '$.run.dryRun', 'secretPrefix.$': '$.run.secretPrefix', 'secretName.$': '$$.Map.Item.Value' },
      maxConcurrency: props.maxConcurrentSecrets,
      resultPath: '$.lastResults',
      mapExecutionType: sfn.StateMachineType.STANDARD,
    });
    forEachSecret.itemProcessor(restoreCredential);

    const morePages = new sfn.Choice(this, 'MoreSecretPages')
      .when(sfn.Condition.booleanEquals('$.cursor.done', true), finish)
      .otherwise(listPage);
    forEachSecret.next(morePages);

    const hasSecrets = new sfn.Choice(this, 'HasSecrets')
      .when(sfn.Condition.isPresent('$.items[0]'), forEachSecret)
      .otherwise(morePages);

    this.definition = prepare.next(listPage).next(hasSecrets);
  }
}
