import type { AppFailure, AppResult, RunContext, RunSummary } from './types';

/** Enough failures to act on in the console; the rest are counted (the report lists every one). */
export const MAX_LISTED_FAILURES = 50;
/** Step Functions keeps a Cause up to 32 KB; ours stays short so the summary stays small. */
const MAX_CAUSE_CHARS = 500;

export function emptySummary(run: RunContext): RunSummary {
  return {
    runId: run.runId,
    now: run.now,
    dryRun: run.dryRun,
    pages: 0,
    appsScanned: 0,
    credentialsScanned: 0,
    appsNeedingAttention: 0,
    appsDone: 0,
    appsPlanned: 0,
    appsFailed: 0,
    actions: {},
    failures: [],
    failuresNotListed: 0,
    notices: { sent: 0, failed: 0, undeliverable: 0 },
  };
}

/** Folds one page of per-app results (the Map state's output) into the running summary. */
export function tallyResults(summary: RunSummary, run: RunContext, results: readonly AppResult[]): RunSummary {
  const actions: Record<string, number> = { ...summary.actions };
  const failures: AppFailure[] = [...summary.failures];
  let { appsDone, appsPlanned, appsFailed, failuresNotListed } = summary;
  for (const result of results) {
    if (result.status === 'failed') {
      appsFailed += 1;
      const target = run.targets[result.item.targetIndex];
      if (failures.length < MAX_LISTED_FAILURES && target) {
        failures.push({
          ...target,
          consumerOrg: result.item.consumerOrg,
          app: result.item.app,
          error: result.error,
          ...(result.cause ? { cause: result.cause.slice(0, MAX_CAUSE_CHARS) } : {}),
        });
      } else {
        failuresNotListed += 1;
      }
      continue;
    }
    if (result.status === 'done') appsDone += 1;
    else appsPlanned += 1;
    for (const action of result.actions) actions[action.kind] = (actions[action.kind] ?? 0) + 1;
  }
  return { ...summary, actions, failures, appsDone, appsPlanned, appsFailed, failuresNotListed };
}
