/**
 * Step Functions quotas at 1,000,000 credentials (50,000 consumer orgs, 400,000 apps), computed from the synthesized
 * definition for each of its three executions (the run, one segment of the app listing, one app): history events
 * per execution (quota 25,000) and the largest payload (quota 262,144 bytes), each allowed up to 80 % of its quota.
 * The same for a restore of 1,000,000 secrets (the restore, one segment of the secret listing, one secret).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_TARGETS, parseRotatorConfig } from '../functions/domain/config';
import { MAX_PAGES_PER_SCAN, PAYLOAD_BUDGET_BYTES, resultBytesFor } from '../functions/domain/workflow/scan';
import { TAG_CALLS_PER_SECOND } from '../functions/adapters/secrets-manager/secret-store';
import { INVOCATION_SAFETY_MARGIN_MS } from '../functions/runtime/step-handler';
import { batchCapacity, MAX_NOTICE_INVOCATIONS } from '../functions/domain/workflow/finish';
import { MAX_FAILURES_LISTED_BY_SEGMENTS, MAX_FAILURES_PER_SEGMENT, failuresListedPerSegment } from '../functions/domain/workflow/summary';
import { MAX_PAGES_PER_SEGMENT, MAX_SECRETS_PER_PAGE, prepareRestore } from '../functions/domain/restore';
import { STEPS } from '../functions/steps';
import { synthesizeDefinition, synthesizeRestoreDefinition } from '../tools/runner/workflow-runner';
import {
  type AslMachine,
  type CatalogShapeForQuotas,
  acyclicExecutionEvents,
  byteSize,
  childExecution,
  childExecutions,
  HISTORY_EVENT_QUOTA,
  type HistoryAssumptions,
  itemsPerScan,
  largestPayloads,
  largestRestorePayloads,
  largestRestoreSummary,
  largestRunContext,
  largestSummary,
  loopExecutionEvents,
  loopHistory,
  PAYLOAD_QUOTA_BYTES,
  QUOTA_SHARE,
  type RestoreListingForQuotas,
  restoreHistories,
  resultOverheads,
  type ScanLimits,
  segmentScans,
  stateEvents,
  worstActions,
} from './support/quota-model';

const CONFIG = {
  targets: [{ providerOrg: 'acme', catalog: 'production' }],
  apicBaseUrl: 'https://apic.example.com/api/',
  notificationSender: 'rotation@example.com',
};
const MILLION: Omit<CatalogShapeForQuotas, 'dueShare'> = {
  credentials: 1_000_000,
  consumerOrgs: 50_000,
  apps: 400_000,
  // The estate averages 2.5 per app; one app may hold many more.
  maxCredentialsPerApp: 10,
};
const PAYLOAD_ASSUMPTIONS = { targets: CONFIG.targets.length, filterEntries: 20, overrides: 20, maxCredentialsPerApp: MILLION.maxCredentialsPerApp };
const EVENT_LIMIT = Math.floor(HISTORY_EVENT_QUOTA * QUOTA_SHARE);
const PAYLOAD_LIMIT = Math.floor(PAYLOAD_QUOTA_BYTES * QUOTA_SHARE);

let parent: AslMachine;
let segment: AslMachine;
let app: AslMachine;
let limits: ScanLimits;
let assumptions: HistoryAssumptions;
/** Items per scan when the summary already lists every failure it may: the fewest, so the most loop iterations. */
let fewestItemsPerScan: number;

beforeAll(() => {
  parent = synthesizeDefinition(CONFIG) as unknown as AslMachine;
  segment = childExecution(parent, 'ForEachSegment');
  app = childExecution(segment, 'ForEachApp');
  limits = {
    payloadBudgetBytes: PAYLOAD_BUDGET_BYTES,
    resultOverheadBytes: resultBytesFor(MILLION.maxCredentialsPerApp),
    maxPagesPerScan: MAX_PAGES_PER_SCAN,
    pageSize: parseRotatorConfig(CONFIG).pageSize,
  };
  const run = largestRunContext(PAYLOAD_ASSUMPTIONS);
  assumptions = { inlineMapIterations: worstActions(MILLION.maxCredentialsPerApp, run).length, retriesUsed: true };
  fewestItemsPerScan = itemsPerScan(limits, run, largestSummary(run, MAX_FAILURES_PER_SEGMENT));
});

function segmentEvents(dueShare: number, machine: AslMachine = segment) {
  const scans = segmentScans({ ...MILLION, dueShare }, limits, fewestItemsPerScan);
  const loop = loopHistory(machine, assumptions);
  return { scans, loop, events: loopExecutionEvents(loop, scans) };
}

describe('history model', () => {
  it('finds three levels of execution: the run starts one per segment, a segment one per app', () => {
    expect(Object.keys(childExecutions(parent))).toEqual(['ForEachSegment']);
    expect(Object.keys(childExecutions(segment))).toEqual(['ForEachApp']);
    expect(Object.keys(childExecutions(app))).toEqual([]);
  });

  it('walks the definition: one more state in the paging loop costs its events on every iteration', () => {
    const before = segmentEvents(0);
    const morePages = segment.States.MorePages;
    if (!morePages) throw new Error('the segment has no MorePages state');
    const withPass: AslMachine = {
      ...segment,
      States: {
        ...segment.States,
        MorePages: { ...morePages, Default: 'Breather' },
        Breather: { Type: 'Pass', Next: before.loop.loopEntry },
      },
    };
    const after = segmentEvents(0, withPass);
    expect(before.loop.loopEntry).toBe('ScanPage');
    expect(before.scans.withoutItems).toBeGreaterThan(0);
    expect(after.events - before.events).toBe(2 * before.scans.withoutItems);
  });

  it('walks the definition: one more state in an app costs its events once', () => {
    const assessApp = app.States.AssessApp;
    if (!assessApp) throw new Error('the app execution has no AssessApp state');
    const withPass: AslMachine = {
      ...app,
      States: { ...app.States, AssessApp: { ...assessApp, Next: 'Breather' }, Breather: { Type: 'Pass', Next: assessApp.Next } },
    };
    expect(acyclicExecutionEvents(withPass, assumptions) - acyclicExecutionEvents(app, assumptions)).toBe(2);
  });

  it('counts every retry a task may take as three more events', () => {
    const once = loopHistory(segment, { ...assumptions, retriesUsed: false });
    const retried = loopHistory(segment, assumptions);
    const scanRetries = (segment.States.ScanPage?.Retry ?? []).reduce((sum, r) => sum + (r.MaxAttempts ?? 3), 0);
    expect(retried.iterationEvents.withoutMap - once.iterationEvents.withoutMap).toBe(3 * scanRetries);
  });

  it('a quiet day runs a segment loop once per MAX_PAGES_PER_SCAN pages of the segment', () => {
    const { scans } = segmentEvents(0);
    expect(scans.withoutItems + 1).toBe(Math.ceil(scans.segmentApps / limits.pageSize / limits.maxPagesPerScan));
  });
});

describe('1,000,000 credentials: history events within 80 % of 25,000', () => {
  it('parent execution (one Distributed Map over the segments, then FinishRun invoked as often as it may be)', () => {
    const loop = loopHistory(parent, assumptions);
    expect(loop.loopEntry).toBe('FinishRun');
    const events = loopExecutionEvents(loop, { segmentApps: 0, itemsPerScan: 0, withItems: 0, withoutItems: MAX_NOTICE_INVOCATIONS - 1 });
    expect(events).toBeLessThanOrEqual(EVENT_LIMIT);
  });

  it('FinishRun sends 1,000,000 pending notices within its invocation limit, at the tag-call rate and its timeout', () => {
    const timeoutMs = STEPS['finish-run'].timeoutSeconds * 1000;
    const ledger = { marksPerSecond: TAG_CALLS_PER_SECOND / 2 };
    const perInvocation = batchCapacity({ ledger, clock: { now: () => new Date(0) } }, timeoutMs - INVOCATION_SAFETY_MARGIN_MS);
    expect(MAX_NOTICE_INVOCATIONS * perInvocation).toBeGreaterThanOrEqual(MILLION.credentials);
  });

  it('segment execution, no credential due', () => {
    expect(segmentEvents(0).events).toBeLessThanOrEqual(EVENT_LIMIT);
  });

  it('segment execution, every app due (longest names, every task retried to its limit)', () => {
    const { events, scans, loop } = segmentEvents(1);
    const iterationsAllowed = Math.floor((EVENT_LIMIT - 2 - loop.prefixEvents - loop.exitEvents) / loop.iterationEvents.withMap);
    expect(
      events,
      `the ${scans.segmentApps} apps of a segment take ${scans.withItems} loop iterations of ${scans.itemsPerScan} items ` +
        `(${loop.iterationEvents.withMap} events each); at most ${iterationsAllowed} fit, i.e. ≥ ${Math.ceil(scans.segmentApps / iterationsAllowed)} items per scan`,
    ).toBeLessThanOrEqual(EVENT_LIMIT);
  });

  it('app execution: the largest app, every credential due, every task retried to its limit', () => {
    expect(acyclicExecutionEvents(app, assumptions)).toBeLessThanOrEqual(EVENT_LIMIT);
  });
});

describe('payloads within 80 % of 256 KiB', () => {
  it.each(['parent', 'segment', 'app'] as const)('every payload between states of the %s execution, at its largest', (level) => {
    const sizes = largestPayloads(limits, PAYLOAD_ASSUMPTIONS)[level];
    const largest = Math.max(...Object.values(sizes));
    const over = Object.entries(sizes)
      .filter(([, bytes]) => bytes > PAYLOAD_LIMIT)
      .map(([name, bytes]) => `${name}: ${bytes} bytes`);
    expect(largest, `over ${PAYLOAD_LIMIT} bytes: ${over.join('; ')}`).toBeLessThanOrEqual(PAYLOAD_LIMIT);
  });

  it.each(['parent', 'segment'] as const)(`every payload of the %s execution with ${MAX_TARGETS} targets (the most the config allows), every segment failed`, (level) => {
    const sizes = largestPayloads(limits, { ...PAYLOAD_ASSUMPTIONS, targets: MAX_TARGETS })[level];
    const over = Object.entries(sizes)
      .filter(([, bytes]) => bytes > PAYLOAD_LIMIT)
      .map(([name, bytes]) => `${name}: ${bytes} bytes`);
    expect(Math.max(...Object.values(sizes)), `over ${PAYLOAD_LIMIT} bytes: ${over.join('; ')}`).toBeLessThanOrEqual(PAYLOAD_LIMIT);
  });

  it('the scan charges each item at least what its app result adds beyond it', () => {
    const overheads = resultOverheads(largestRunContext(PAYLOAD_ASSUMPTIONS), MILLION.maxCredentialsPerApp);
    expect(Math.max(...Object.values(overheads)), `bytes beyond the item: ${JSON.stringify(overheads)}`).toBeLessThanOrEqual(resultBytesFor(MILLION.maxCredentialsPerApp));
  });
});

describe('restore of 1,000,000 secrets: history events within 80 % of 25,000, payloads within 80 % of 256 KiB', () => {
  const SECRETS = 1_000_000;
  /** Every task retried to its limit; a restore has no inline Map. */
  const RESTORE_ASSUMPTIONS: HistoryAssumptions = { inlineMapIterations: 0, retriesUsed: true };
  let restore: AslMachine;
  let fullPage: number;
  const listing = (secretsPerPage: number): RestoreListingForQuotas => ({ secrets: SECRETS, secretsPerPage, listingState: STEPS['restore-list-page'].state });
  const historyOf = (execution: string, secretsPerPage: number, machine: AslMachine = restore) => {
    const history = restoreHistories(machine, listing(secretsPerPage), RESTORE_ASSUMPTIONS)[execution];
    if (!history) throw new Error(`the restore has no execution started by ${execution}`);
    return history;
  };

  beforeAll(() => {
    restore = synthesizeRestoreDefinition(CONFIG) as unknown as AslMachine;
    fullPage = Math.min(parseRotatorConfig(CONFIG).pageSize, MAX_SECRETS_PER_PAGE);
  });

  it('finds three levels of execution: the restore starts one per segment of the listing, a segment one per secret', () => {
    expect(Object.keys(childExecutions(restore))).toEqual(['RunSegment']);
    const segment = childExecution(restore, 'RunSegment');
    expect(Object.keys(childExecutions(segment))).toEqual(['ForEachSecret']);
    expect(Object.keys(childExecutions(childExecution(segment, 'ForEachSecret')))).toEqual([]);
  });

  it.each([
    ['full pages', () => fullPage],
    ['one secret a page (ListSecrets may return fewer than asked)', () => 1],
  ])('restore execution, %s: one loop iteration per segment', (_case, perPage) => {
    const { events, iterations } = historyOf('restore', perPage());
    expect(events, `${iterations} loop iterations take ${events} events`).toBeLessThanOrEqual(EVENT_LIMIT);
  });

  it('counts a Distributed Map as six events of its own execution (MapState Entered, Started, Succeeded, Exited; MapRun Started, Succeeded)', () => {
    const forEachSegment = parent.States.ForEachSegment;
    if (!forEachSegment) throw new Error('the run has no ForEachSegment');
    expect(stateEvents(forEachSegment, RESTORE_ASSUMPTIONS)).toBe(6);
  });

  it('walks the definition: one more state in a segment\'s page loop costs its events on every page of the segment', () => {
    const runSegment = restore.States.RunSegment;
    const segment = runSegment?.ItemProcessor;
    const forEachSecret = segment?.States.ForEachSecret;
    if (!runSegment || !segment || !forEachSecret) throw new Error('the restore has no RunSegment over ForEachSecret');
    const withPass: AslMachine = {
      ...restore,
      States: {
        ...restore.States,
        RunSegment: {
          ...runSegment,
          ItemProcessor: {
            ...segment,
            States: { ...segment.States, ForEachSecret: { ...forEachSecret, Next: 'Breather' }, Breather: { Type: 'Pass', Next: forEachSecret.Next } },
          },
        },
      },
    };
    expect(historyOf('RunSegment', fullPage, withPass).events - historyOf('RunSegment', fullPage).events).toBe(2 * MAX_PAGES_PER_SEGMENT);
    expect(historyOf('restore', fullPage, withPass).events).toBe(historyOf('restore', fullPage).events);
  });

  it('segment execution: one loop iteration per page, at most its page budget', () => {
    const { events, iterations } = historyOf('RunSegment', fullPage);
    expect(iterations).toBe(MAX_PAGES_PER_SEGMENT);
    expect(events, `${iterations} pages take ${events} events`).toBeLessThanOrEqual(EVENT_LIMIT);
  });

  it('secret execution: every task retried to its limit', () => {
    expect(historyOf('ForEachSecret', fullPage).events).toBeLessThanOrEqual(EVENT_LIMIT);
  });

  it('keeps the listing scopes as targets plus filter entries, not their product: 50 targets and a 100-app filter', () => {
    // 50 targets is what the size checks prove at synth; a filter of 100 apps is a rebuild restored app by app.
    const targets = Array.from({ length: 50 }, (_, i) => ({ providerOrg: 'acme', catalog: `catalog-${i}` }));
    const config = parseRotatorConfig({ ...CONFIG, targets });
    const apps = Array.from({ length: 100 }, (_, i) => `partner-${i % 10}/billing-service-${i}`);
    const { run } = prepareRestore(config, { input: { dryRun: false, apps }, executionName: 'restore-2026-12-02' });
    const cursor = { scopeIndex: 4_999, nextToken: 't'.repeat(4096), done: false };
    // The restore's largest payload: the next segment with the summary at its largest.
    const bytes = byteSize({ run, segments: [{ cursor, summary: largestRestoreSummary(run) }] });
    expect(bytes, `the restore's state is ${bytes} bytes`).toBeLessThanOrEqual(PAYLOAD_LIMIT);
  });

  it.each(['restore', 'segment', 'secret'] as const)('every payload between states of the %s execution, at its largest', (level) => {
    const sizes = largestRestorePayloads({ targets: PAYLOAD_ASSUMPTIONS.targets, filterEntries: PAYLOAD_ASSUMPTIONS.filterEntries })[level];
    const largest = Math.max(...Object.values(sizes));
    const over = Object.entries(sizes)
      .filter(([, bytes]) => bytes > PAYLOAD_LIMIT)
      .map(([name, bytes]) => `${name}: ${bytes} bytes`);
    expect(largest, `over ${PAYLOAD_LIMIT} bytes: ${over.join('; ')}`).toBeLessThanOrEqual(PAYLOAD_LIMIT);
  });
});

describe('failures listed by the segments of one run', () => {
  it.each([
    [1, 5],
    [16, 5],
    [17, 4],
    [40, 2],
    [65, 1],
    [500, 1],
  ])('%i segments list %i failures each, never more than the run can carry in one payload (or one each)', (segments, each) => {
    expect(failuresListedPerSegment(segments)).toBe(each);
    expect(segments * each).toBeLessThanOrEqual(Math.max(segments, MAX_FAILURES_LISTED_BY_SEGMENTS));
  });
});
