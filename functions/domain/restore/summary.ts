import { parseSecretName } from '../secrets/naming';
import type { RestoreFailure, RestoreItemResult, RestoreReportEntry, RestoreRun, RestoreSummary } from './types';

/** Bounds that keep the summary small whatever the names look like; counts cover everything. */
export const MAX_LISTED_RESULTS = 50;
export const MAX_LISTED_FAILURES = 25;
/** A failure's reason is cut to this length by the step that reports it. */
export const MAX_REASON_CHARS = 500;

/** Folds one page of per-secret results (the Map state's output) into the running summary. */
export function tallyRestoreResults(summary: RestoreSummary, run: RestoreRun, results: readonly RestoreItemResult[]): RestoreSummary {
  const outcomes = { ...summary.outcomes };
  const listed: RestoreReportEntry[] = [...summary.results];
  const failures: RestoreFailure[] = [...summary.failures];
  let { resultsNotListed, failuresNotListed } = summary;
  for (const result of results) {
    if (result.status === 'failed') {
      outcomes.failed += 1;
      if (failures.length < MAX_LISTED_FAILURES) {
        failures.push({ secretName: result.secretName, error: result.error, ...(result.cause ? { reason: result.cause } : {}) });
      }
      else failuresNotListed += 1;
      continue;
    }
    outcomes[result.outcome] += 1;
    const locator = parseSecretName(run.secretPrefix, result.secretName);
    if (locator && listed.length < MAX_LISTED_RESULTS) {
      listed.push({ ...locator, outcome: result.outcome, ...(result.restoredAs ? { restoredAs: result.restoredAs } : {}) });
    } else {
      resultsNotListed += 1;
    }
  }
  return { ...summary, outcomes, results: listed, resultsNotListed, failures, failuresNotListed };
}
