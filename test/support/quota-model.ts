/**
 * A worst-case model of Step Functions quotas for the rotation workflow: history events per execution, computed by
 * walking the synthesized ASL (so a new state changes the count; each Distributed Map starts child executions that
 * keep their own history), and the largest payload of each execution, built from the product's own types, limits
 * and policy with names at their longest.
 */
import type { ApicApp, ApicCredential } from '../../functions/domain/model';
import { assessApp } from '../../functions/domain/policy';
import type { RotationAction } from '../../functions/domain/policy';
import { MAX_NOTICE_INVOCATIONS, NO_RECIPIENT_REASON } from '../../functions/domain/workflow/finish';
import { MAX_SEGMENTS, SEGMENT_APPS } from '../../functions/domain/workflow/prepare';
import {
  MAX_FAILURES_PER_SEGMENT,
  failuresListedPerSegment,
  MAX_LISTED_FAILED_SEGMENTS,
  MAX_LISTED_FAILURES,
  MAX_LISTED_PLANNED,
  MAX_LISTED_UNDELIVERABLE,
  emptySummary,
} from '../../functions/domain/workflow/summary';
import type { AppFailure, AppResult, RunContext, RunSummary, ScanCursor, WorkItem } from '../../functions/domain/workflow/types';
import { DAY_MS } from '../../functions/domain/time';
import { parseRotatorConfig } from '../../functions/domain/config';
import { MAX_REASON_CHARS, MAX_LISTED_FAILURES as MAX_LISTED_RESTORE_FAILURES, MAX_LISTED_RESULTS, MAX_SECRETS_PER_PAGE, RESTORED_NAME_SUFFIX, RESTORE_OUTCOMES, prepareRestore } from '../../functions/domain/restore';
import type { RestoreCursor, RestoreItemResult, RestoreReportEntry, RestoreRun, RestoreSummary } from '../../functions/domain/restore';
import { MAX_SECRET_NAME_LENGTH, parseSecretName, secretNameFor } from '../../functions/domain/secrets';

export const HISTORY_EVENT_QUOTA = 25_000;
export const PAYLOAD_QUOTA_BYTES = 262_144;
export const QUOTA_SHARE = 0.8;

/** APIC documents no name length; 255 is the usual database column limit and what the brief assumes. */
export const MAX_NAME_CHARS = 255;
/** Names are URL path segments (APIC derives them as slugs), so one byte per character. */
const LONGEST_NAME = 'n'.repeat(MAX_NAME_CHARS);
/** The longest error name a task reports (a Lambda service error; the rotator's own are shorter). */
const LONGEST_ERROR_NAME = 'Lambda.ClientExecutionTimeoutException';
/** The step handler cuts an error's message to this many characters and its stack to one line (step-handler.ts). */
const STEP_ERROR_MESSAGE_CHARS = 300;
/**
 * Secrets Manager documents no length for ListSecrets' NextToken; the SDK's model gives it none either. 4 KiB is
 * far above any opaque token AWS hands out for paging.
 */
const LONGEST_PAGE_TOKEN_CHARS = 4096;
/** A summary keeps this much of a failure's cause (summary.ts). */
const SUMMARY_CAUSE_CHARS = 300;
/** The longest outcome an action step other than queue-notice reports (actions.ts). */
const LONGEST_ACTION_OUTCOME = 'already-deleted';

/**
 * The Cause Step Functions records for a failed Lambda task: the Node.js runtime's error JSON, from the error the
 * step handler throws (message at its cap, stack reduced to `name: message`).
 */
export function lambdaErrorCause(): string {
  const errorMessage = `${'m'.repeat(STEP_ERROR_MESSAGE_CHARS - 1)}…`;
  return JSON.stringify({ errorType: LONGEST_ERROR_NAME, errorMessage, trace: [`${LONGEST_ERROR_NAME}: ${errorMessage}`] });
}

// ---------------------------------------------------------------------------------------------------------------
// History events

interface AslProcessor {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly ProcessorConfig?: { readonly Mode?: string };
}

export interface AslState {
  readonly Type: string;
  readonly Next?: string;
  readonly Default?: string;
  readonly Choices?: readonly { readonly Next: string }[];
  readonly Catch?: readonly { readonly Next: string }[];
  readonly Retry?: readonly { readonly MaxAttempts?: number }[];
  readonly ItemSelector?: Record<string, unknown>;
  readonly ItemProcessor?: AslProcessor;
  readonly Iterator?: AslProcessor;
  readonly Branches?: readonly AslProcessor[];
}

export interface AslMachine {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
}

/** ExecutionStarted and ExecutionSucceeded (or Failed). */
const EXECUTION_EVENTS = 2;
/** StateEntered, Scheduled, Started, Succeeded, StateExited. */
const TASK_EVENTS = 5;
/** Each retried attempt adds Scheduled, Started and Failed. */
const EVENTS_PER_RETRY = 3;
/** ASL's MaxAttempts when a retrier omits it. */
const DEFAULT_MAX_ATTEMPTS = 3;
/**
 * MapStateEntered, MapStateStarted, MapRunStarted, MapRunSucceeded, MapStateSucceeded, MapStateExited; the children
 * have their own histories. The HistoryEvent reference lists all six types
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html) and no AWS document we found
 * says which of them a Distributed Map leaves out, so all six are counted (an inline Map writes the four Map ones).
 */
const DISTRIBUTED_MAP_EVENTS = 6;
/** MapStateEntered, MapStateStarted, MapStateSucceeded, MapStateExited (Parallel: the same four). */
const INLINE_CONTAINER_EVENTS = 4;
/** MapIterationStarted, MapIterationSucceeded. */
const ITERATION_EVENTS = 2;

function processorOf(state: AslState): AslProcessor | undefined {
  return state.ItemProcessor ?? state.Iterator;
}

function isDistributedMap(state: AslState): boolean {
  return state.Type === 'Map' && processorOf(state)?.ProcessorConfig?.Mode === 'DISTRIBUTED';
}

function successors(state: AslState): string[] {
  const next = [state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next), ...(state.Catch ?? []).map((c) => c.Next)];
  return [...new Set(next.filter((name): name is string => name !== undefined))];
}

export interface HistoryAssumptions {
  /** Iterations of every inline Map (the actions of one app). */
  readonly inlineMapIterations: number;
  /** Worst case: every task attempt fails until its last retry. */
  readonly retriesUsed: boolean;
}

/** Events one visit of a state writes into the history of the execution it runs in. */
export function stateEvents(state: AslState, assumptions: HistoryAssumptions): number {
  switch (state.Type) {
    case 'Task': {
      const retries = (state.Retry ?? []).reduce((sum, retrier) => sum + (retrier.MaxAttempts ?? DEFAULT_MAX_ATTEMPTS), 0);
      return TASK_EVENTS + (assumptions.retriesUsed ? retries * EVENTS_PER_RETRY : 0);
    }
    case 'Map': {
      if (isDistributedMap(state)) return DISTRIBUTED_MAP_EVENTS;
      const processor = processorOf(state);
      if (!processor) throw new Error('a Map state without an ItemProcessor');
      const perIteration = ITERATION_EVENTS + longestAcyclicPath(processor, assumptions);
      return INLINE_CONTAINER_EVENTS + assumptions.inlineMapIterations * perIteration;
    }
    case 'Parallel':
      return INLINE_CONTAINER_EVENTS + (state.Branches ?? []).reduce((sum, branch) => sum + longestAcyclicPath(branch, assumptions), 0);
    case 'Fail':
      // FailStateEntered; ExecutionFailed is one of the execution's own events.
      return 1;
    default:
      // Choice, Pass, Wait, Succeed: Entered and Exited.
      return 2;
  }
}

/** The costliest path from `StartAt` to an end; throws on a loop (use `loopHistory` for a looping execution). */
export function longestAcyclicPath(machine: AslMachine, assumptions: HistoryAssumptions): number {
  const memo = new Map<string, number>();
  const visit = (name: string, onPath: ReadonlySet<string>): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    if (onPath.has(name)) throw new Error(`state ${name} is part of a loop the model does not expect`);
    const state = stateAt(machine, name);
    const path = new Set(onPath).add(name);
    const rest = Math.max(0, ...successors(state).map((next) => visit(next, path)));
    const total = stateEvents(state, assumptions) + rest;
    memo.set(name, total);
    return total;
  };
  return visit(machine.StartAt, new Set());
}

function stateAt(machine: AslMachine, name: string): AslState {
  const state = machine.States[name];
  if (!state) throw new Error(`the definition names a state ${name} it does not define`);
  return state;
}

/** Worst-case history of an execution without a loop: its costliest path from start to end. */
export function acyclicExecutionEvents(machine: AslMachine, assumptions: HistoryAssumptions): number {
  return EXECUTION_EVENTS + longestAcyclicPath(machine, assumptions);
}

/**
 * The Distributed Map states of one execution (also those inside its inline Maps and Parallels) by name, each with
 * the machine its child executions run.
 */
export function childExecutions(machine: AslMachine): Record<string, AslMachine> {
  const found: Record<string, AslMachine> = {};
  for (const [name, state] of Object.entries(machine.States)) {
    const processor = processorOf(state);
    const inline = [...(processor && !isDistributedMap(state) ? [processor] : []), ...(state.Branches ?? [])];
    if (processor && isDistributedMap(state)) found[name] = processor;
    for (const nested of inline) Object.assign(found, childExecutions(nested));
  }
  return found;
}

export function childExecution(machine: AslMachine, mapStateName: string): AslMachine {
  const child = childExecutions(machine)[mapStateName];
  if (!child) throw new Error(`the execution has no Distributed Map named ${mapStateName}`);
  return child;
}

interface Path {
  readonly states: readonly string[];
  readonly events: number;
  readonly runsDistributedMap: boolean;
}

/** Every simple path from `from` that stops when `stop` says so (the stopping state is included). */
function simplePaths(machine: AslMachine, from: string, stop: (name: string, length: number) => boolean, assumptions: HistoryAssumptions): Path[] {
  const paths: Path[] = [];
  const walk = (name: string, trail: string[]) => {
    const state = stateAt(machine, name);
    const next = [...trail, name];
    const nexts = successors(state);
    if (stop(name, trail.length) || nexts.length === 0) {
      paths.push({
        states: next,
        events: next.reduce((sum, s) => sum + stateEvents(stateAt(machine, s), assumptions), 0),
        runsDistributedMap: next.some((s) => isDistributedMap(stateAt(machine, s))),
      });
      return;
    }
    for (const successor of nexts) if (!next.includes(successor) || successor === from) walk(successor, next);
  };
  walk(from, []);
  return paths;
}

export interface LoopHistory {
  /** The state where each loop iteration begins (the scan task). */
  readonly loopEntry: string;
  /** Events before the loop is first entered. */
  readonly prefixEvents: number;
  /** Events of one full iteration that runs a Distributed Map, and of one that does not. */
  readonly iterationEvents: { readonly withMap: number; readonly withoutMap: number };
  /** Events of the last pass from the loop entry to the end of the execution, on its costliest path. */
  readonly exitEvents: number;
}

/** The state a back edge returns to, earliest on a walk from `StartAt`. */
function firstLoopEntry(machine: AslMachine): string | undefined {
  let entry: { name: string; depth: number } | undefined;
  const walk = (name: string, trail: readonly string[]) => {
    const next = [...trail, name];
    for (const successor of successors(stateAt(machine, name))) {
      const depth = next.indexOf(successor);
      if (depth >= 0) {
        if (!entry || depth < entry.depth) entry = { name: successor, depth };
      } else {
        walk(successor, next);
      }
    }
  };
  walk(machine.StartAt, []);
  return entry?.name;
}

/** A looping execution as a prefix, one loop (the paging loop) and an exit, each costed on its worst path. */
export function loopHistory(machine: AslMachine, assumptions: HistoryAssumptions): LoopHistory {
  const entry = firstLoopEntry(machine);
  if (entry === undefined) throw new Error('the execution has no paging loop: the model expects one');
  const entryEvents = stateEvents(stateAt(machine, entry), assumptions);
  const prefix = simplePaths(machine, machine.StartAt, (name) => name === entry, assumptions).filter(
    (p) => p.states[p.states.length - 1] === entry,
  );
  const prefixEvents = Math.max(...prefix.map((p) => p.events - entryEvents));
  const fromEntry = simplePaths(machine, entry, (name, length) => length > 0 && name === entry, assumptions);
  const cycles = fromEntry.filter((p) => p.states[p.states.length - 1] === entry).map((p) => ({ ...p, events: p.events - entryEvents }));
  const exits = fromEntry.filter((p) => p.states[p.states.length - 1] !== entry);
  const worst = (paths: readonly Path[], what: string) => {
    if (paths.length === 0) throw new Error(`no path ${what}`);
    return Math.max(...paths.map((p) => p.events));
  };
  const withMap = worst(cycles, 'through the loop');
  const cyclesWithoutMap = cycles.filter((p) => !p.runsDistributedMap);
  return {
    loopEntry: entry,
    prefixEvents,
    iterationEvents: {
      withMap,
      // A loop whose every iteration runs a Distributed Map is charged for one on every iteration.
      withoutMap: cyclesWithoutMap.length > 0 ? worst(cyclesWithoutMap, 'through the loop without a Distributed Map') : withMap,
    },
    exitEvents: worst(exits, 'out of the loop'),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Segments and their scans

export interface CatalogShapeForQuotas {
  readonly credentials: number;
  readonly consumerOrgs: number;
  readonly apps: number;
  /** The most credentials one app holds (drives one app execution's actions). */
  readonly maxCredentialsPerApp: number;
  /** Share of apps the scan hands to the Map: 1 for every app due, 0 for a quiet day. */
  readonly dueShare: number;
}

export interface ScanLimits {
  readonly payloadBudgetBytes: number;
  readonly resultOverheadBytes: number;
  readonly maxPagesPerScan: number;
  readonly pageSize: number;
}

/** The largest work item: the last target's index and the longest names. */
export function worstWorkItem(targetCount: number): WorkItem {
  return { targetIndex: targetCount - 1, consumerOrg: LONGEST_NAME, app: LONGEST_NAME };
}

export function byteSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/** Apps in the largest segment, as PrepareRun plans them (the last segment of a target also takes apps added meanwhile). */
export function largestSegmentApps(apps: number): number {
  return Math.max(SEGMENT_APPS, Math.ceil(apps / MAX_SEGMENTS));
}

/** Segments at most: every target rounds its own count up, so each target beyond the first may add one. */
export function maxSegments(targetCount: number): number {
  return MAX_SEGMENTS + targetCount - 1;
}

/** A cursor with every number at its longest. */
function largestCursor(targetCount: number): ScanCursor {
  return { targetIndex: targetCount - 1, offset: 1e9, end: 1e9, consumerOrgIndex: 1e9, done: false };
}

/** Items one scan hands to the Map, by the scan's own rule: what the state leaves of the budget, per item and result. */
export function itemsPerScan(limits: ScanLimits, run: RunContext, summary: RunSummary): number {
  const item = worstWorkItem(run.targets.length);
  const budget = limits.payloadBudgetBytes - byteSize({ run, cursor: largestCursor(run.targets.length), summary });
  return Math.floor(budget / (2 * byteSize(item) + limits.resultOverheadBytes));
}

export interface SegmentScans {
  readonly segmentApps: number;
  readonly itemsPerScan: number;
  /** Scans that hand items to the Map, then loop back to ScanPage. */
  readonly withItems: number;
  /** Scans that hand nothing over and loop back through MorePages. */
  readonly withoutItems: number;
}

/**
 * How often one segment's loop runs: a scan stops after `maxPagesPerScan` pages or when the next due item no longer
 * fits; the scan that finds the segment done (after the last items, or the last quiet pages) leaves the loop.
 */
export function segmentScans(shape: CatalogShapeForQuotas, limits: ScanLimits, items: number): SegmentScans {
  const segmentApps = largestSegmentApps(shape.apps);
  const appsPerScanByPages = limits.maxPagesPerScan * limits.pageSize;
  if (shape.dueShare === 0) {
    const scans = Math.ceil(Math.ceil(segmentApps / limits.pageSize) / limits.maxPagesPerScan);
    return { segmentApps, itemsPerScan: items, withItems: 0, withoutItems: scans - 1 };
  }
  // Due apps spread evenly: a scan ends on whichever comes first, its pages or its item budget.
  const withItems = Math.ceil(segmentApps / Math.min(appsPerScanByPages, items / shape.dueShare));
  return { segmentApps, itemsPerScan: items, withItems, withoutItems: 0 };
}

export function loopExecutionEvents(loop: LoopHistory, scans: SegmentScans): number {
  return (
    EXECUTION_EVENTS +
    loop.prefixEvents +
    scans.withItems * loop.iterationEvents.withMap +
    scans.withoutItems * loop.iterationEvents.withoutMap +
    loop.exitEvents
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Largest app and its actions, from the product's policy

/** An app whose every credential is due today, with the longest names a replacement still fits. */
export function worstDueApp(credentialCount: number, run: RunContext): ApicApp {
  const now = Date.parse(run.now);
  const originalName = (i: number) => `${String(i).padStart(4, '0')}${'c'.repeat(MAX_NAME_CHARS - 4 - run.policy.replacementSuffix.length)}`;
  const credentials: ApicCredential[] = Array.from({ length: credentialCount }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    name: originalName(i),
    title: originalName(i),
    clientId: 'f'.repeat(32),
    createdAt: new Date(now - run.policy.expiryDays * DAY_MS).toISOString(),
  }));
  return {
    id: '00000000-0000-4000-8000-appappappapp',
    name: LONGEST_NAME,
    title: LONGEST_NAME,
    consumerOrg: { id: '00000000-0000-4000-8000-corgcorgcorg', name: LONGEST_NAME },
    credentials,
  };
}

export function worstActions(credentialCount: number, run: RunContext): RotationAction[] {
  return assessApp({
    app: worstDueApp(credentialCount, run),
    store: new Map(),
    verifiedCurrent: new Map(),
    now: new Date(run.now),
    settings: run.policy,
    ownerEmailKnown: false,
  }).actions;
}

// ---------------------------------------------------------------------------------------------------------------
// Largest payloads

export interface PayloadAssumptions {
  readonly targets: number;
  /** Names in the execution input's `consumerOrgs` and `apps` filters (each). */
  readonly filterEntries: number;
  /** Consumer org overrides in the config (bounded by Lambda's 4 KB environment). */
  readonly overrides: number;
  readonly maxCredentialsPerApp: number;
}

export function largestRunContext(assumptions: Pick<PayloadAssumptions, 'targets' | 'filterEntries' | 'overrides'>): RunContext {
  return {
    runId: 'r'.repeat(80),
    now: '2030-01-01T00:00:00.000Z',
    dryRun: false,
    trigger: 'schedule',
    targets: Array.from({ length: assumptions.targets }, (_, i) => ({ providerOrg: `${i}${LONGEST_NAME}`.slice(0, MAX_NAME_CHARS), catalog: LONGEST_NAME })),
    policy: { expiryDays: 90, deletionDays: 100, warnDays: 14, replacementSuffix: '_new' },
    consumerOrgOverrides: Object.fromEntries(
      Array.from({ length: assumptions.overrides }, (_, i) => [`${i}-${'o'.repeat(40)}`, { expiryDays: 30, deletionDays: 40, warnDays: 7 }]),
    ),
    filter: {
      consumerOrgs: Array.from({ length: assumptions.filterEntries }, (_, i) => `${i}${LONGEST_NAME}`.slice(0, MAX_NAME_CHARS)),
      apps: Array.from({ length: assumptions.filterEntries }, (_, i) => `${i}${LONGEST_NAME}`.slice(0, MAX_NAME_CHARS) + `/${LONGEST_NAME}`),
    },
    pageSize: 1000,
    verifyEveryDays: 365,
    failuresPerSegment: failuresListedPerSegment(maxSegments(assumptions.targets)),
  };
}

/** A credential as a dry run's summary lists it: the longest names and every action one credential can get. */
const LARGEST_PLANNED = {
  consumerOrg: LONGEST_NAME,
  app: LONGEST_NAME,
  credential: LONGEST_NAME,
  action: 'create-replacement+queue-notice:replacement-ready+queue-notice:action-needed+delete-original+queue-notice:old-removed+rename-replacement',
};

/** A failure as a summary lists it: the longest names, error name and the part of a cause a summary keeps. */
function largestFailure(): AppFailure {
  return {
    providerOrg: LONGEST_NAME,
    catalog: LONGEST_NAME,
    consumerOrg: LONGEST_NAME,
    app: LONGEST_NAME,
    error: LONGEST_ERROR_NAME,
    cause: lambdaErrorCause().slice(0, SUMMARY_CAUSE_CHARS),
  };
}

/** A summary with every count at its longest, `listedFailures` failures and `listedUndeliverable` notices at their largest. */
export function largestSummary(run: RunContext, listedFailures: number, listedUndeliverable = 0, listedFailedSegments = 0): RunSummary {
  const failure = largestFailure();
  const failedSegment = { providerOrg: LONGEST_NAME, catalog: LONGEST_NAME, stoppedAt: 1e9, end: 1e9, consumerOrg: LONGEST_NAME, error: LONGEST_ERROR_NAME };
  const undeliverable = { consumerOrg: LONGEST_NAME, app: LONGEST_NAME, credential: LONGEST_NAME, kind: 'replacement-ready', reason: NO_RECIPIENT_REASON };
  const huge = 1e9;
  return {
    runId: run.runId,
    now: run.now,
    dryRun: run.dryRun,
    pages: huge,
    appsScanned: huge,
    credentialsScanned: huge,
    appsNeedingAttention: huge,
    appsDone: huge,
    appsPlanned: huge,
    appsFailed: huge,
    deletionsHeld: huge,
    actions: Object.fromEntries(['create-replacement', 'finish-replacement', 'repair-replacement', 'delete-original', 'rename-replacement', 'queue-notice'].map((k) => [k, huge])),
    failures: Array.from({ length: listedFailures }, () => failure),
    failuresNotListed: huge,
    ...(listedFailedSegments > 0 && { segmentsFailed: huge, failedSegments: Array.from({ length: listedFailedSegments }, () => failedSegment) }),
    notices: {
      sent: huge,
      failed: huge,
      undeliverable: huge,
      ...(listedUndeliverable > 0 && { undeliverableNotices: Array.from({ length: listedUndeliverable }, () => undeliverable), undeliverableNotListed: huge, leftQueued: true }),
    },
  };
}

/** The result one app execution hands back, in each of its shapes, at its largest. */
export function largestAppResults(item: WorkItem, run: RunContext, maxCredentialsPerApp: number): Record<AppResult['status'], AppResult> {
  const actions = worstActions(maxCredentialsPerApp, run);
  return {
    done: {
      status: 'done',
      item,
      actions: actions.map((a) => ({ kind: a.kind, outcome: a.kind === 'queue-notice' ? `queued ${a.notice}` : LONGEST_ACTION_OUTCOME })),
    },
    planned: { status: 'planned', item, actions: actions.map(({ kind }) => ({ kind })) },
    failed: { status: 'failed', item, error: LONGEST_ERROR_NAME, cause: lambdaErrorCause() },
  };
}

/** Bytes each shape of app result adds beyond its work item: what the scan charges with `resultBytesFor`. */
export function resultOverheads(run: RunContext, maxCredentialsPerApp: number): Record<AppResult['status'], number> {
  const item = worstWorkItem(run.targets.length);
  const results = largestAppResults(item, run, maxCredentialsPerApp);
  const beyondItem = (result: AppResult) => byteSize(result) - byteSize(item);
  return { done: beyondItem(results.done), planned: beyondItem(results.planned), failed: beyondItem(results.failed) };
}

export type ExecutionLevel = 'parent' | 'segment' | 'app';

/** Bytes per payload of each execution, by where it travels. */
export type PayloadSizes = Record<ExecutionLevel, Record<string, number>>;

function parentPayloads(filteredRun: RunContext, targets: number): Record<string, number> {
  // A run filtered to consumer orgs plans one segment per target; only an unfiltered one has every segment.
  const run = { ...filteredRun, filter: { ...filteredRun.filter, consumerOrgs: undefined } };
  const prepared = {
    run,
    segments: Array.from({ length: maxSegments(targets) }, () => largestCursor(targets)),
    summary: emptySummary(run),
  };
  // Every segment failed after listing its most failures: its summary comes with where it stopped.
  const caughtFailure = {
    failedSegment: { cursor: largestCursor(targets), error: LONGEST_ERROR_NAME },
    summary: largestSummary(run, failuresListedPerSegment(maxSegments(targets))),
  };
  const mapped = { ...prepared, segmentSummaries: prepared.segments.map(() => caughtFailure) };
  // FinishRun replaces the state: the segments' summaries stay behind, and where its sending goes on comes along.
  const finished = {
    run,
    summary: largestSummary(run, MAX_LISTED_FAILURES, MAX_LISTED_UNDELIVERABLE, MAX_LISTED_FAILED_SEGMENTS),
    segmentSummaries: [],
    delivery: { pageToken: 't'.repeat(LONGEST_PAGE_TOKEN_CHARS), invocations: MAX_NOTICE_INVOCATIONS, done: false },
  };
  const report = { bucket: 'b'.repeat(63), csvKey: 'k'.repeat(1024), jsonKey: 'k'.repeat(1024), manifestKey: 'k'.repeat(1024), rows: 1e9 };
  return {
    'PrepareRun output (every segment planned)': byteSize(prepared),
    'ForEachSegment output (every segment failed, with its summary and listed failures)': byteSize(mapped),
    'FinishRun output (the run, its merged summary and where sending goes on)': byteSize(finished),
    'BuildReport output (the execution output)': byteSize({ ...finished.summary, report }),
    // A dry run sends no notice (none undeliverable) and lists the credentials it would act on.
    'BuildReport output (a dry run, every planned credential listed)': byteSize({
      ...largestSummary(run, MAX_LISTED_FAILURES),
      planned: Array.from({ length: MAX_LISTED_PLANNED }, () => LARGEST_PLANNED),
      plannedNotListed: 1e9,
      report,
    }),
  };
}

function segmentPayloads(limits: ScanLimits, run: RunContext, maxCredentialsPerApp: number): Record<string, number> {
  const targets = run.targets.length;
  const item = worstWorkItem(targets);
  // The most items a scan hands over: it measures the summary as it starts; apps APIC returns malformed are added
  // to the summary's listed failures (up to the segment's bound) after the items are chosen.
  const items = Array.from({ length: itemsPerScan(limits, run, emptySummary(run)) }, () => item);
  const cursor = largestCursor(targets);
  const summary = largestSummary(run, MAX_FAILURES_PER_SEGMENT);
  const scanned = { run, cursor, summary, lastResults: [], items };
  const sizes: Record<string, number> = {
    'child input': byteSize({ run, cursor, summary: emptySummary(run), lastResults: [] }),
    'ScanPage output (most items, summary with every listed failure)': byteSize(scanned),
    'SegmentDone output (its summary)': byteSize(largestSummary(run, MAX_FAILURES_PER_SEGMENT)),
  };
  for (const [status, result] of Object.entries(largestAppResults(item, run, maxCredentialsPerApp))) {
    sizes[`ForEachApp output (most items, every app ${status}, summary with every listed failure)`] = byteSize({
      ...scanned,
      lastResults: items.map(() => result),
    });
  }
  return sizes;
}

function appPayloads(run: RunContext, maxCredentialsPerApp: number): Record<string, number> {
  const item = worstWorkItem(run.targets.length);
  const actions = worstActions(maxCredentialsPerApp, run);
  const app = { providerOrg: LONGEST_NAME, catalog: LONGEST_NAME, consumerOrg: LONGEST_NAME, app: LONGEST_NAME, targetIndex: 0, ownerEmail: `${'e'.repeat(64)}@${'d'.repeat(180)}.com` };
  const assessed = { run, item, assessment: { app, actions, plan: actions.map(({ kind }) => ({ kind })) } };
  const results = largestAppResults(item, run, maxCredentialsPerApp);
  const done = results.done.status === 'done' ? results.done.actions : [];
  return {
    'child input': byteSize({ run, item }),
    'AssessApp output': byteSize(assessed),
    'action task input': Math.max(...actions.map((action) => byteSize({ run, app, action }))),
    'ExecuteActions output': byteSize({ ...assessed, actionResults: done }),
    'AppFailed input (caught after the assessment)': byteSize({ ...assessed, error: { Error: LONGEST_ERROR_NAME, Cause: lambdaErrorCause() } }),
    ...Object.fromEntries(Object.entries(results).map(([status, result]) => [`result (${status})`, byteSize(result)])),
  };
}

/** Builds the largest payload of each kind each execution passes between its states, and measures it. */
export function largestPayloads(limits: ScanLimits, assumptions: PayloadAssumptions): PayloadSizes {
  const sizes: PayloadSizes = { parent: {}, segment: {}, app: {} };
  const keepLarger = (level: ExecutionLevel, measured: Record<string, number>) => {
    for (const [name, bytes] of Object.entries(measured)) sizes[level][name] = Math.max(sizes[level][name] ?? 0, bytes);
  };
  // A smaller run context leaves a scan room for more items, so both ends are measured.
  for (const run of [largestRunContext(assumptions), largestRunContext({ targets: assumptions.targets, filterEntries: 0, overrides: 0 })]) {
    keepLarger('parent', parentPayloads(run, assumptions.targets));
    keepLarger('segment', segmentPayloads(limits, run, assumptions.maxCredentialsPerApp));
    keepLarger('app', appPayloads(run, assumptions.maxCredentialsPerApp));
  }
  return sizes;
}

// ---------------------------------------------------------------------------------------------------------------
// Restore: the secret listing, its segments and their payloads

export interface RestoreListingForQuotas {
  readonly secrets: number;
  /**
   * Secrets on one page. ListSecrets "might return fewer results than the maximum even when there are more results
   * available" (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html), so 1 is the
   * worst case; a page holds at most MAX_SECRETS_PER_PAGE.
   */
  readonly secretsPerPage: number;
  /** The task state that lists one page (the registry's restore-list-page). */
  readonly listingState: string;
}

export interface ExecutionHistory {
  readonly events: number;
  /** Loop iterations counted: pages the execution lists, or segments it runs; 0 without a loop. */
  readonly iterations: number;
}

/** The page budget a Distributed Map hands each child (`pagesLeft` in its ItemSelector), if it sets one. */
export function pageBudgetOf(mapState: AslState): number | undefined {
  const budget = mapState.ItemSelector?.pagesLeft;
  return typeof budget === 'number' ? budget : undefined;
}

function listsPages(machine: AslMachine, listingState: string): boolean {
  return listingState in machine.States;
}

/**
 * Worst-case history of one restore execution. Its loop, if it has one, runs once per page it lists itself (all pages
 * unless its parent gave it a page budget), or once per segment when it hands the listing to child executions that
 * each list at most their budget of pages.
 */
function restoreExecutionHistory(machine: AslMachine, listing: RestoreListingForQuotas, pageBudget: number | undefined, assumptions: HistoryAssumptions): ExecutionHistory {
  if (firstLoopEntry(machine) === undefined) return { events: acyclicExecutionEvents(machine, assumptions), iterations: 0 };
  const pages = Math.ceil(listing.secrets / listing.secretsPerPage);
  let iterations: number;
  if (listsPages(machine, listing.listingState)) {
    iterations = Math.min(pages, pageBudget ?? pages);
  } else {
    const listingMaps = Object.entries(childExecutions(machine)).filter(([, child]) => listsPages(child, listing.listingState));
    const [listingMap, ...others] = listingMaps.map(([name]) => stateAt(machine, name));
    if (!listingMap || others.length > 0) throw new Error('the model expects one Distributed Map whose children list the secrets');
    const childBudget = pageBudgetOf(listingMap);
    iterations = childBudget === undefined ? 1 : Math.ceil(pages / childBudget);
  }
  const loop = loopHistory(machine, assumptions);
  return { events: EXECUTION_EVENTS + loop.prefixEvents + iterations * loop.iterationEvents.withMap + loop.exitEvents, iterations };
}

/**
 * The history of every execution level of a restore, by the Distributed Map that starts it ('restore' for the
 * execution itself). The restore's Distributed Maps are top-level states of their execution.
 */
export function restoreHistories(restore: AslMachine, listing: RestoreListingForQuotas, assumptions: HistoryAssumptions): Record<string, ExecutionHistory> {
  const histories: Record<string, ExecutionHistory> = {};
  const visit = (label: string, machine: AslMachine, pageBudget: number | undefined) => {
    histories[label] = restoreExecutionHistory(machine, listing, pageBudget, assumptions);
    for (const [mapName, child] of Object.entries(childExecutions(machine))) visit(mapName, child, pageBudgetOf(stateAt(machine, mapName)));
  };
  visit('restore', restore, undefined);
  return histories;
}

export interface RestorePayloadAssumptions {
  readonly targets: number;
  /** Apps in the execution input's `apps` filter: each becomes a listing scope per target. */
  readonly filterEntries: number;
}

/** The longest secret prefix the config accepts. */
const LONGEST_SECRET_PREFIX = 'p'.repeat(256);
/** Step Functions execution names are at most 80 characters. */
const LONGEST_EXECUTION_NAME = 'r'.repeat(80);
/** ListSecrets' NextToken is at most 4,096 characters (API_ListSecrets, NextToken length constraints). */
const LONGEST_NEXT_TOKEN = 't'.repeat(4096);

/** A restore run as PrepareRestore makes it from the longest config and input, with the leases it then holds. */
export function largestRestoreRun(assumptions: RestorePayloadAssumptions): RestoreRun {
  const targets = Array.from({ length: assumptions.targets }, (_, i) => ({ providerOrg: `${i}${LONGEST_NAME}`.slice(0, MAX_NAME_CHARS), catalog: LONGEST_NAME }));
  const config = parseRotatorConfig({
    targets,
    apicBaseUrl: 'https://apic.example.com/api/',
    notificationSender: 'rotation@example.com',
    secretPrefix: LONGEST_SECRET_PREFIX,
  });
  const apps = Array.from({ length: assumptions.filterEntries }, (_, i) => `${LONGEST_NAME}/${`${i}${LONGEST_NAME}`.slice(0, MAX_NAME_CHARS)}`);
  const { run } = prepareRestore(config, { input: { dryRun: false, ...(apps.length > 0 && { apps }) }, executionName: LONGEST_EXECUTION_NAME });
  const holderArn = `arn:aws:states:us-east-1:123456789012:execution:${'s'.repeat(80)}:${run.runId}`;
  return { ...run, lease: { holder: run.runId, holderArn, workflow: 'restore', keys: run.leaseKeys ?? [] } };
}

/**
 * The secret whose report entry is the largest: a whole secret name (the shortest prefix) with the credential
 * name at its longest, so that the name it is restored under when its own is taken is the longest too.
 */
function largestRestoredSecret(): { readonly name: string; readonly entry: RestoreReportEntry } {
  const prefix = 'p';
  const rest = MAX_SECRET_NAME_LENGTH - prefix.length - 5 - MAX_NAME_CHARS;
  const part = (i: number) => 'n'.repeat(Math.floor(rest / 4) + (i < rest % 4 ? 1 : 0));
  const name = secretNameFor(prefix, { providerOrg: part(0), catalog: part(1), consumerOrg: part(2), app: part(3), credential: LONGEST_NAME });
  const locator = parseSecretName(prefix, name);
  if (!locator) throw new Error('the largest secret name does not parse back');
  return { name, entry: { ...locator, outcome: 'would-restore', restoredAs: `${locator.credential}${RESTORED_NAME_SUFFIX}` } };
}

/** The largest result one secret child hands back: a lasting failure with its reason at the cut, or a restore under another name. */
export function largestRestoreResults(): RestoreItemResult[] {
  const { name, entry } = largestRestoredSecret();
  return [
    { status: 'failed', secretName: name, error: LONGEST_ERROR_NAME, cause: 'm'.repeat(MAX_REASON_CHARS) },
    { status: 'done', secretName: name, outcome: 'secret-mismatch', ...(entry.restoredAs && { restoredAs: entry.restoredAs }) },
  ];
}

/** A restore summary with every count at its longest and every listed result and failure at its largest. */
export function largestRestoreSummary(run: RestoreRun): RestoreSummary {
  const { name, entry } = largestRestoredSecret();
  const huge = 1e9;
  return {
    runId: run.runId,
    dryRun: run.dryRun,
    secretsInScope: huge,
    outcomes: Object.fromEntries(RESTORE_OUTCOMES.map((outcome) => [outcome, huge])) as RestoreSummary['outcomes'],
    results: Array.from({ length: MAX_LISTED_RESULTS }, () => ({ ...entry, outcome: 'secret-mismatch' })),
    resultsNotListed: huge,
    failures: Array.from({ length: MAX_LISTED_RESTORE_FAILURES }, () => ({ secretName: name, error: LONGEST_ERROR_NAME, reason: 'm'.repeat(MAX_REASON_CHARS) })),
    failuresNotListed: huge,
  };
}

export type RestoreExecutionLevel = 'restore' | 'segment' | 'secret';

/** Builds the largest payload of each kind each restore execution passes between its states, and measures it. */
export function largestRestorePayloads(assumptions: RestorePayloadAssumptions): Record<RestoreExecutionLevel, Record<string, number>> {
  const run = largestRestoreRun(assumptions);
  const cursor: RestoreCursor = { scopeIndex: 1e9, nextToken: LONGEST_NEXT_TOKEN, done: false };
  const summary = largestRestoreSummary(run);
  const segment = { cursor, summary };
  const caught = { Error: LONGEST_ERROR_NAME, Cause: lambdaErrorCause() };
  const items = Array.from({ length: MAX_SECRETS_PER_PAGE }, () => 's'.repeat(MAX_SECRET_NAME_LENGTH));
  const child = { run, cursor, summary, lastResults: [], pagesLeft: 1e9 };
  const results = largestRestoreResults();
  const item = { dryRun: false, secretPrefix: LONGEST_SECRET_PREFIX, secretName: items[0] };
  return {
    restore: {
      'PrepareRestore output (the first segment)': byteSize({ run, segments: [{ cursor: { scopeIndex: 0, done: false }, summary: { ...summary, results: [], failures: [] } }] }),
      'RunSegment output (the next segment, summary at its largest)': byteSize({ run, segments: [segment] }),
      'ReleaseRestoreLease input (a failure caught)': byteSize({ run, segments: [segment], error: caught }),
      'FinishRestore output': byteSize({ run, segments: [segment], summary }),
      'RestoreDone output (the execution output)': byteSize(summary),
    },
    segment: {
      'child input': byteSize(child),
      'ListSecretsPage output (a full page)': byteSize({ ...child, items }),
      ...Object.fromEntries(
        results.map((result) => [`ForEachSecret output (a full page, every secret ${result.status})`, byteSize({ ...child, items, lastResults: items.map(() => result) })]),
      ),
      'SegmentDone output': byteSize(segment),
    },
    secret: {
      'child input': byteSize(item),
      'SecretFailed input (caught)': byteSize({ ...item, error: caught }),
      ...Object.fromEntries(results.map((result) => [`result (${result.status})`, byteSize(result)])),
    },
  };
}
