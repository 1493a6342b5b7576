import { parseSecretName } from '../secrets/naming';
import type { RestoreFailure, RestoreItemResult, RestoreReportEntry, RestoreRun, RestoreSummary } from './types';

/** Bounds that keep the summary small whatever the names look like; counts cover everything. */
export const MAX_LISTED_RESULTS = 50;
export const MAX_LISTED_FAILURES = 25;
const MAX_REASON_CHARS = 500;

/**
 * The failure's message. A deployed Lambda's Cause is JSON with `errorMessage` (and a stack trace, left out);
 * the local interpreter passes the message itself.
 */
export function reasonOf(cause: string | undefined): string | undefined {
  if (cause === undefined) return undefined;
  let message = cause;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // Not JSON: the message as it came.
  }
  return message.slice(0, MAX_REASON_CHARS);
}

/** Folds one page of per-secret results (the Map state's output) into the running summary. */
export function tallyRestoreResults(summary: RestoreSummary, run: RestoreRun, results: readonly RestoreItemResult[]): RestoreSummary {
  const outcomes = { ...summary.outcomes };
  const listed: RestoreReportEntry[] = [...summary.results];
  const failures: RestoreFailure[] = [...summary.failures];
  let { resultsNotListed, failuresNotListed } = summary;
  for (const result of results) {
    if (result.status === 'failed') {
      outcomes.failed += 1;
      const reason = reasonOf(result.cause);
      if (failures.length < MAX_LISTED_FAILURES) failures.push({ secretName: result.secretName, error: result.error, ...(reason ? { reason } : {}) });
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
