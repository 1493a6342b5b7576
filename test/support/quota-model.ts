/**
 * A worst-case model of Step Functions quotas for the rotation workflow: history events per execution, computed by
 * walking the synthesized ASL (so a new state changes the count), and the largest state payload, built from the
 * product's own types and policy with names at their longest.
 */
import type { ApicApp, ApicCredential } from '../../functions/core/model';
import { assessApp } from '../../functions/core/policy';
import type { RotationAction } from '../../functions/core/policy';
import { MAX_LISTED_FAILURES } from '../../functions/core/workflow/summary';
import type { ActionResult, AppResult, RunContext, RunSummary, ScanOutput, WorkItem } from '../../functions/core/workflow/types';

export const HISTORY_EVENT_QUOTA = 25_000;
export const PAYLOAD_QUOTA_BYTES = 262_144;
export const QUOTA_SHARE = 0.8;

/** APIC documents no name length; 255 is the usual database column limit and what the brief assumes. */
export const MAX_NAME_CHARS = 255;
/** Names are URL path segments (APIC derives them as slugs), so one byte per character. */
const LONGEST_NAME = 'n'.repeat(MAX_NAME_CHARS);
/** Step Functions keeps a Cause up to 32 KB; a Node.js Lambda error's cause is its type, message and stack. */
const LAMBDA_ERROR_CAUSE = JSON.stringify({
  errorType: 'ApicUnavailableError',
  errorMessage: `APIC answered 503 to GET apps/${LONGEST_NAME}/${LONGEST_NAME}/${LONGEST_NAME}/${LONGEST_NAME}/credentials`,
  trace: Array.from({ length: 12 }, (_, i) => `    at step${i} (file:///var/task/index.mjs:1:${100_000 + i})`),
});

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
/** MapStateEntered, MapRunStarted, MapRunSucceeded, MapStateExited: the children have their own histories. */
const DISTRIBUTED_MAP_EVENTS = 4;
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

/** The costliest path from `StartAt` to an end; throws on a loop (use `loopHistory` for the top level). */
export function longestAcyclicPath(machine: AslMachine, assumptions: HistoryAssumptions): number {
  const memo = new Map<string, number>();
  const visit = (name: string, onPath: ReadonlySet<string>): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    if (onPath.has(name)) throw new Error(`state ${name} is part of a loop inside a Map or Parallel processor`);
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
  /** Events of the last iteration through to the end of the execution. */
  readonly lastIterationEvents: { readonly withMap: number; readonly withoutMap: number };
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

/** The top-level machine as a prefix, one loop (the paging loop) and an exit, each costed on its worst path. */
export function loopHistory(machine: AslMachine, assumptions: HistoryAssumptions): LoopHistory {
  const entry = firstLoopEntry(machine);
  if (entry === undefined) throw new Error('the workflow has no paging loop: the model expects one');
  const prefix = simplePaths(machine, machine.StartAt, (name) => name === entry, assumptions).filter(
    (p) => p.states[p.states.length - 1] === entry,
  );
  const prefixEvents = Math.max(...prefix.map((p) => p.events - stateEvents(stateAt(machine, entry), assumptions)));
  const fromEntry = simplePaths(machine, entry, (name, length) => length > 0 && name === entry, assumptions);
  const cycles = fromEntry
    .filter((p) => p.states[p.states.length - 1] === entry)
    .map((p) => ({ ...p, events: p.events - stateEvents(stateAt(machine, entry), assumptions) }));
  const exits = fromEntry.filter((p) => p.states[p.states.length - 1] !== entry);
  const worst = (paths: readonly Path[], withMap: boolean) => {
    const eligible = paths.filter((p) => withMap || !p.runsDistributedMap);
    if (eligible.length === 0) throw new Error(`no path through the loop ${withMap ? 'with' : 'without'} a Distributed Map`);
    return Math.max(...eligible.map((p) => p.events));
  };
  return {
    loopEntry: entry,
    prefixEvents,
    iterationEvents: { withMap: worst(cycles, true), withoutMap: worst(cycles, false) },
    lastIterationEvents: { withMap: worst(exits, true), withoutMap: worst(exits, false) },
  };
}

export function distributedMapProcessors(machine: AslMachine): AslProcessor[] {
  const found: AslProcessor[] = [];
  for (const state of Object.values(machine.States)) {
    const processor = processorOf(state);
    if (!processor) continue;
    if (isDistributedMap(state)) found.push(processor);
    found.push(...distributedMapProcessors(processor));
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------------------
// Catalog shape → scan iterations

export interface CatalogShapeForQuotas {
  readonly credentials: number;
  readonly consumerOrgs: number;
  readonly apps: number;
  /** The most credentials one app holds (drives one child execution's actions). */
  readonly maxCredentialsPerApp: number;
  /** Share of apps the scan hands to the Map: 1 for every app due, 0 for a quiet day. */
  readonly dueShare: number;
}

export interface ScanLimits {
  readonly itemBudgetBytes: number;
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

export interface ScanIterations {
  readonly iterations: number;
  readonly withItems: number;
  readonly itemsPerScan: number;
  readonly itemBytes: number;
}

/**
 * How often the paging loop runs over a catalog-wide listing: a scan stops after `maxPagesPerScan` pages or when
 * the next due item no longer fits the item budget.
 */
export function scanIterations(shape: CatalogShapeForQuotas, limits: ScanLimits, targetCount: number): ScanIterations {
  const itemBytes = byteSize(worstWorkItem(targetCount));
  const appsPerScanByPages = limits.maxPagesPerScan * limits.pageSize;
  const dueApps = Math.ceil(shape.apps * shape.dueShare);
  const itemsPerScan = Math.floor(limits.itemBudgetBytes / itemBytes);
  if (dueApps === 0) {
    const iterations = Math.max(1, Math.ceil(Math.ceil(shape.apps / limits.pageSize) / limits.maxPagesPerScan));
    return { iterations, withItems: 0, itemsPerScan, itemBytes };
  }
  // Due apps spread evenly: a scan ends on whichever comes first, its pages or its item budget.
  const appsPerScanByBudget = itemsPerScan / shape.dueShare;
  const iterations = Math.ceil(shape.apps / Math.min(appsPerScanByPages, appsPerScanByBudget));
  return { iterations, withItems: iterations, itemsPerScan, itemBytes };
}

export function parentHistoryEvents(loop: LoopHistory, scans: ScanIterations): number {
  const withMap = scans.withItems;
  const withoutMap = scans.iterations - withMap;
  const last = withMap > 0 ? loop.lastIterationEvents.withMap : loop.lastIterationEvents.withoutMap;
  const fullWithMap = Math.max(0, withMap - (withMap > 0 ? 1 : 0));
  const fullWithoutMap = Math.max(0, withoutMap - (withMap > 0 ? 0 : 1));
  return (
    EXECUTION_EVENTS +
    loop.prefixEvents +
    fullWithMap * loop.iterationEvents.withMap +
    fullWithoutMap * loop.iterationEvents.withoutMap +
    last
  );
}

export function childHistoryEvents(machine: AslMachine, assumptions: HistoryAssumptions): number {
  const processors = distributedMapProcessors(machine);
  if (processors.length === 0) throw new Error('the workflow has no Distributed Map: the model expects child executions');
  return EXECUTION_EVENTS + Math.max(...processors.map((p) => longestAcyclicPath(p, assumptions)));
}

// ---------------------------------------------------------------------------------------------------------------
// Largest app and its actions, from the product's policy

const DAY_MS = 86_400_000;

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

export function largestRunContext(assumptions: PayloadAssumptions): RunContext {
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
  };
}

function largestSummary(run: RunContext): RunSummary {
  const failure = {
    providerOrg: LONGEST_NAME,
    catalog: LONGEST_NAME,
    consumerOrg: LONGEST_NAME,
    app: LONGEST_NAME,
    error: 'ApicUnavailableError',
    cause: LAMBDA_ERROR_CAUSE.slice(0, 500),
  };
  return {
    runId: run.runId,
    now: run.now,
    dryRun: run.dryRun,
    pages: 1e9,
    appsScanned: 1e9,
    credentialsScanned: 1e9,
    appsNeedingAttention: 1e9,
    appsDone: 1e9,
    appsPlanned: 1e9,
    appsFailed: 1e9,
    actions: Object.fromEntries(['create-replacement', 'finish-replacement', 'repair-replacement', 'delete-original', 'rename-replacement', 'queue-notice'].map((k) => [k, 1e9])),
    failures: Array.from({ length: MAX_LISTED_FAILURES }, () => failure),
    failuresNotListed: 1e9,
    notices: { sent: 1e9, failed: 1e9, undeliverable: 1e9 },
  };
}

/** The result one child execution hands back, in each of its shapes, at its largest. */
export function largestAppResults(item: WorkItem, run: RunContext, maxCredentialsPerApp: number): Record<AppResult['status'], AppResult> {
  const actions = worstActions(maxCredentialsPerApp, run);
  const done: ActionResult[] = actions.map((a) => ({ kind: a.kind, base: a.base, outcome: 'replacement-created' }));
  return {
    done: { status: 'done', item, actions: done },
    planned: { status: 'planned', item, actions },
    failed: { status: 'failed', item, error: 'ApicUnavailableError', cause: LAMBDA_ERROR_CAUSE },
  };
}

export interface PayloadReport {
  /** Bytes per payload, by where it travels. */
  readonly sizes: Record<string, number>;
  readonly largest: { readonly name: string; readonly bytes: number };
}

/** Builds the largest payload of each kind the workflow passes between states and measures it. */
export function largestPayloads(limits: ScanLimits, assumptions: PayloadAssumptions): PayloadReport {
  const run = largestRunContext(assumptions);
  const item = worstWorkItem(assumptions.targets);
  const items = Array.from({ length: Math.floor(limits.itemBudgetBytes / byteSize(item)) }, () => item);
  const scanOutput: ScanOutput = {
    run,
    cursor: { targetIndex: assumptions.targets - 1, offset: 1e9, consumerOrgIndex: 1e9, done: false },
    summary: largestSummary(run),
    lastResults: [],
    items,
  };
  const results = largestAppResults(item, run, assumptions.maxCredentialsPerApp);
  const actions = worstActions(assumptions.maxCredentialsPerApp, run);
  const app = { providerOrg: LONGEST_NAME, catalog: LONGEST_NAME, consumerOrg: LONGEST_NAME, app: LONGEST_NAME, targetIndex: 0, ownerEmail: `${'e'.repeat(64)}@${'d'.repeat(180)}.com` };
  const sizes: Record<string, number> = {
    'ScanPage output (items at the budget)': byteSize(scanOutput),
    'child execution input': byteSize({ run, item }),
    'AssessApp output': byteSize({ run, item, assessment: { app, actions } }),
    'action task input': Math.max(...actions.map((action) => byteSize({ run, app, action }))),
  };
  for (const [status, result] of Object.entries(results)) {
    sizes[`ForEachApp output (every app ${status})`] = byteSize({ ...scanOutput, lastResults: items.map(() => result) });
  }
  const [name, bytes] = Object.entries(sizes).reduce((a, b) => (b[1] > a[1] ? b : a));
  return { sizes, largest: { name, bytes } };
}
