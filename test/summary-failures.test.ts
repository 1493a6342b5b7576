/**
 * Failures counted per segment whatever the segment lists: `failuresPerSegment` (PrepareRun sizes it by the segment
 * count) shortens the list, never the counts, and a run context from before the field existed lists the old five.
 */
import { describe, expect, it } from 'vitest';
import { runContextSchema } from '../functions/domain/workflow/schemas';
import { emptySummary, MAX_FAILURES_PER_SEGMENT, mergeSegmentResults, recordRejectedApps, tallyResults } from '../functions/domain/workflow/summary';
import type { AppResult, RunContext, RunSummary } from '../functions/domain/workflow/types';
import { runContext } from './support/run-context';

/** A run context as a run started before the deploy carries it: no `failuresPerSegment`. */
const EARLIER_RUN = runContextSchema.parse(
  runContext({ now: '2026-06-01T00:00:00.000Z', trigger: 'schedule', policy: { expiryDays: 90, deletionDays: 120, warnDays: 14, replacementSuffix: '_new' } }),
) as RunContext;

const failed = (app: string): AppResult => ({ status: 'failed', item: { targetIndex: 0, consumerOrg: 'bank', app }, error: 'ApicUnavailableError' });
const rejected = (app: string) => ({ providerOrg: 'acme', catalog: 'prod', consumerOrg: 'bank', app, position: 0, reason: 'no created_at' });

/** A segment's summary after `apps` failed results and two apps the scan rejected. */
function segment(run: RunContext, apps: number): RunSummary {
  const results = Array.from({ length: apps }, (_, index) => failed(`app-${index}`));
  return recordRejectedApps(tallyResults(emptySummary(run), run, results), run, [rejected('bad-1'), rejected('bad-2')]);
}

describe('failures of a run', () => {
  it.each([
    ['a run context without failuresPerSegment (started before the deploy, or redriven)', EARLIER_RUN, MAX_FAILURES_PER_SEGMENT],
    ['failuresPerSegment 1 (a run of 80 or more segments)', { ...EARLIER_RUN, failuresPerSegment: 1 }, 1],
  ])('%s: a segment lists fewer of its 9 failures, and the run still counts all 27', (_, run, listedEach) => {
    const segments = [segment(run, 7), segment(run, 7), segment(run, 7)];
    for (const summary of segments) {
      expect(summary.appsFailed).toBe(9);
      expect(summary.failures).toHaveLength(listedEach);
      expect(summary.failuresNotListed).toBe(9 - listedEach);
    }
    const merged = mergeSegmentResults(emptySummary(run), run, segments);
    expect(merged.appsFailed).toBe(27);
    expect(merged.failures.length + merged.failuresNotListed).toBe(27);
  });
});
