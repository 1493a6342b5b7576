import type { CatalogTarget } from '../model';
import type { RejectedApp } from '../ports';
import type { AppFailure, AppResult, FailedSegment, RunContext, RunSummary, SegmentResult } from './types';
import { DELETION_HELD_ERROR } from '../error-names';

/** Enough failures to act on in the console; the rest are counted, and every one is in the step's logs. */
export const MAX_LISTED_FAILURES = 50;
/** Credentials with planned actions a dry run's summary names (BuildReport lists them; the report has them all). */
export const MAX_LISTED_PLANNED = 100;
/** Undeliverable notices the run's summary names (FinishRun alone lists them); the rest are counted and logged. */
export const MAX_LISTED_UNDELIVERABLE = 50;
/**
 * Failures a segment lists at most. A segment's summary travels in every payload of its loop, and all segments'
 * summaries in one payload of the run, so this bound keeps the first far below the 256 KiB quota, and
 * `MAX_FAILURES_LISTED_BY_SEGMENTS` the second.
 */
export const MAX_FAILURES_PER_SEGMENT = 5;
/** Failures all segments of a run list together, at least one each (ForEachSegment returns them in one payload). */
export const MAX_FAILURES_LISTED_BY_SEGMENTS = 80;

/** Failures each segment lists in a run of `segmentCount` segments (PrepareRun puts it in the run context). */
export function failuresListedPerSegment(segmentCount: number): number {
  const share = Math.floor(MAX_FAILURES_LISTED_BY_SEGMENTS / Math.max(1, segmentCount));
  return Math.min(MAX_FAILURES_PER_SEGMENT, Math.max(1, share));
}
/** Failed segments the run's summary names; the rest are counted in `segmentsFailed`. */
export const MAX_LISTED_FAILED_SEGMENTS = 50;
/** Step Functions keeps a Cause up to 32 KB; ours stays short so the summary stays small. */
const MAX_CAUSE_CHARS = 300;

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
    deletionsHeld: 0,
    actions: {},
    failures: [],
    failuresNotListed: 0,
    notices: { sent: 0, failed: 0, undeliverable: 0 },
  };
}

/** Counts a failed app of a segment, listing it while the segment's list has room. */
function withFailure(summary: RunSummary, run: RunContext, failure: AppFailure): RunSummary {
  const listed = summary.failures.length < (run.failuresPerSegment ?? MAX_FAILURES_PER_SEGMENT);
  return {
    ...summary,
    appsFailed: summary.appsFailed + 1,
    deletionsHeld: summary.deletionsHeld + (failure.error === DELETION_HELD_ERROR ? 1 : 0),
    failures: listed ? [...summary.failures, { ...failure, ...(failure.cause ? { cause: failure.cause.slice(0, MAX_CAUSE_CHARS) } : {}) }] : summary.failures,
    failuresNotListed: summary.failuresNotListed + (listed ? 0 : 1),
  };
}

/** Apps the scan had to skip because APIC's data about them is malformed count as failed apps of the run. */
export function recordRejectedApps(summary: RunSummary, run: RunContext, rejected: ReadonlyArray<RejectedApp & CatalogTarget>): RunSummary {
  return rejected.reduce(
    (current, entry) =>
      withFailure(current, run, {
        providerOrg: entry.providerOrg,
        catalog: entry.catalog,
        consumerOrg: entry.consumerOrg,
        app: entry.app,
        error: 'ApicDataError',
        cause: entry.reason,
      }),
    summary,
  );
}

function addCounts(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> {
  const sum: Record<string, number> = { ...a };
  for (const [key, value] of Object.entries(b)) sum[key] = (sum[key] ?? 0) + value;
  return sum;
}

/** Where a segment stopped, named by its target rather than the target's index. */
function failedSegmentOf(run: RunContext, result: Exclude<SegmentResult, RunSummary>): FailedSegment {
  if (!('failedSegment' in result)) return { error: result.Error };
  const { cursor, error } = result.failedSegment;
  const target = run.targets[cursor.targetIndex];
  const consumerOrg = run.filter.consumerOrgs?.[cursor.consumerOrgIndex];
  return {
    ...(target ? { providerOrg: target.providerOrg, catalog: target.catalog } : {}),
    stoppedAt: cursor.offset,
    ...(cursor.end !== undefined ? { end: cursor.end } : {}),
    ...(consumerOrg !== undefined ? { consumerOrg } : {}),
    error,
  };
}

/**
 * The run's summary from what its segments returned: each segment's summary, the part done by a segment that failed
 * included, and every failed segment counted (the first `MAX_LISTED_FAILED_SEGMENTS` named).
 */
export function mergeSegmentResults(base: RunSummary, run: RunContext, results: readonly SegmentResult[]): RunSummary {
  const summaries: RunSummary[] = [];
  const failed: FailedSegment[] = [];
  for (const result of results) {
    if ('runId' in result) {
      summaries.push(result);
      continue;
    }
    if ('summary' in result) summaries.push(result.summary);
    failed.push(failedSegmentOf(run, result));
  }
  const merged = mergeSummaries(base, summaries);
  const listed = [...(base.failedSegments ?? []), ...failed].slice(0, MAX_LISTED_FAILED_SEGMENTS);
  return {
    ...merged,
    segmentsFailed: (base.segmentsFailed ?? 0) + failed.length,
    ...(listed.length > 0 ? { failedSegments: listed } : {}),
  };
}

/** The run's summary from its segments' summaries. */
function mergeSummaries(base: RunSummary, segments: readonly RunSummary[]): RunSummary {
  return segments.reduce((merged, segment) => {
    const failures = [...merged.failures, ...segment.failures];
    const listed = failures.slice(0, MAX_LISTED_FAILURES);
    return {
      ...merged,
      pages: merged.pages + segment.pages,
      appsScanned: merged.appsScanned + segment.appsScanned,
      credentialsScanned: merged.credentialsScanned + segment.credentialsScanned,
      appsNeedingAttention: merged.appsNeedingAttention + segment.appsNeedingAttention,
      appsDone: merged.appsDone + segment.appsDone,
      appsPlanned: merged.appsPlanned + segment.appsPlanned,
      appsFailed: merged.appsFailed + segment.appsFailed,
      deletionsHeld: merged.deletionsHeld + segment.deletionsHeld,
      actions: addCounts(merged.actions, segment.actions),
      failures: listed,
      failuresNotListed: merged.failuresNotListed + segment.failuresNotListed + failures.length - listed.length,
    };
  }, base);
}

/** Folds one page of per-app results (the Map state's output) into the running summary. */
export function tallyResults(summary: RunSummary, run: RunContext, results: readonly AppResult[]): RunSummary {
  let tallied = summary;
  for (const result of results) {
    if (result.status === 'failed') {
      const target = run.targets[result.item.targetIndex];
      const location = target ?? { providerOrg: '(unknown)', catalog: '(unknown)' };
      tallied = withFailure(tallied, run, {
        ...location,
        consumerOrg: result.item.consumerOrg,
        app: result.item.app,
        error: result.error,
        ...(result.cause ? { cause: result.cause } : {}),
      });
      continue;
    }
    const actions: Record<string, number> = { ...tallied.actions };
    for (const action of result.actions) actions[action.kind] = (actions[action.kind] ?? 0) + 1;
    tallied = {
      ...tallied,
      actions,
      appsDone: tallied.appsDone + (result.status === 'done' ? 1 : 0),
      appsPlanned: tallied.appsPlanned + (result.status === 'planned' ? 1 : 0),
    };
  }
  return tallied;
}
