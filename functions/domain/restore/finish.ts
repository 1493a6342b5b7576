import { tallyRestoreResults } from './summary';
import type { RestoreState, RestoreSummary } from './types';

/** The FinishRestore step: the last page's results folded in; the summary becomes the execution output. */
export function finishRestore(state: Pick<RestoreState, 'run' | 'summary' | 'lastResults'>): RestoreSummary {
  return tallyRestoreResults(state.summary, state.run, state.lastResults);
}
