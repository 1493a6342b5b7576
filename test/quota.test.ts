/**
 * Step Functions quotas at 1,000,000 credentials (50,000 consumer orgs, 400,000 apps), computed from the synthesized
 * definition: history events per execution (quota 25,000) and the largest payload (quota 262,144 bytes), each
 * allowed up to 80 % of its quota.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRotatorConfig } from '../functions/core/config';
import { ITEM_BUDGET_BYTES, MAX_PAGES_PER_SCAN } from '../functions/core/workflow/scan';
import { synthesizeDefinition } from '../local/workflow-runner';
import {
  type AslMachine,
  type CatalogShapeForQuotas,
  childHistoryEvents,
  HISTORY_EVENT_QUOTA,
  type HistoryAssumptions,
  largestPayloads,
  loopHistory,
  parentHistoryEvents,
  PAYLOAD_QUOTA_BYTES,
  QUOTA_SHARE,
  type ScanLimits,
  scanIterations,
  worstActions,
  largestRunContext,
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

let definition: AslMachine;
let limits: ScanLimits;
let assumptions: HistoryAssumptions;

beforeAll(() => {
  definition = synthesizeDefinition(CONFIG) as unknown as AslMachine;
  limits = { itemBudgetBytes: ITEM_BUDGET_BYTES, maxPagesPerScan: MAX_PAGES_PER_SCAN, pageSize: parseRotatorConfig(CONFIG).pageSize };
  const run = largestRunContext(PAYLOAD_ASSUMPTIONS);
  assumptions = { inlineMapIterations: worstActions(MILLION.maxCredentialsPerApp, run).length, retriesUsed: true };
});

function parentEvents(dueShare: number) {
  const scans = scanIterations({ ...MILLION, dueShare }, limits, CONFIG.targets.length);
  const loop = loopHistory(definition, assumptions);
  return { scans, loop, events: parentHistoryEvents(loop, scans) };
}

describe('history model', () => {
  it('walks the definition: one more state in the paging loop costs its events on every iteration', () => {
    const before = parentEvents(0);
    const morePages = definition.States.MorePages;
    if (!morePages) throw new Error('the definition has no MorePages state');
    const withPass: AslMachine = {
      ...definition,
      States: {
        ...definition.States,
        MorePages: { ...morePages, Default: 'Breather' },
        Breather: { Type: 'Pass', Next: before.loop.loopEntry },
      },
    };
    const after = parentHistoryEvents(loopHistory(withPass, assumptions), before.scans);
    expect(before.loop.loopEntry).toBe('ScanPage');
    expect(after - before.events).toBe(2 * (before.scans.iterations - 1));
  });

  it('counts every retry a task may take as three more events', () => {
    const once = loopHistory(definition, { ...assumptions, retriesUsed: false });
    const retried = loopHistory(definition, assumptions);
    const scanRetries = (definition.States.ScanPage?.Retry ?? []).reduce((sum, r) => sum + (r.MaxAttempts ?? 3), 0);
    expect(retried.iterationEvents.withoutMap - once.iterationEvents.withoutMap).toBe(3 * scanRetries);
  });

  it('a quiet day runs the loop once per MAX_PAGES_PER_SCAN pages', () => {
    const { scans } = parentEvents(0);
    expect(scans.iterations).toBe(Math.ceil(MILLION.apps / limits.pageSize / limits.maxPagesPerScan));
  });
});

describe('1,000,000 credentials: history events within 80 % of 25,000', () => {
  it('parent execution, no credential due', () => {
    const { events } = parentEvents(0);
    expect(events).toBeLessThanOrEqual(EVENT_LIMIT);
  });

  it('parent execution, every app due (longest names, every task retried to its limit)', () => {
    const { events, scans, loop } = parentEvents(1);
    const iterationsAllowed = Math.floor((EVENT_LIMIT - loop.prefixEvents - loop.lastIterationEvents.withMap) / loop.iterationEvents.withMap);
    const itemsNeeded = Math.ceil(MILLION.apps / iterationsAllowed);
    expect(
      events,
      `the paging loop runs ${scans.iterations} times (${scans.itemsPerScan} items of ${scans.itemBytes} bytes per scan, ` +
        `${loop.iterationEvents.withMap} events each); at most ${iterationsAllowed} fit, i.e. ≥ ${itemsNeeded} items ` +
        `(≥ ${itemsNeeded * scans.itemBytes} bytes) per parent iteration`,
    ).toBeLessThanOrEqual(EVENT_LIMIT);
  });

  it('one child execution: the largest app, every credential due, every task retried to its limit', () => {
    expect(childHistoryEvents(definition, assumptions)).toBeLessThanOrEqual(EVENT_LIMIT);
  });
});

describe('payloads within 80 % of 256 KiB', () => {
  it('every payload between states, at its largest', () => {
    const { sizes, largest } = largestPayloads(limits, PAYLOAD_ASSUMPTIONS);
    const over = Object.entries(sizes)
      .filter(([, bytes]) => bytes > PAYLOAD_LIMIT)
      .map(([name, bytes]) => `${name}: ${bytes} bytes`);
    expect(largest.bytes, `over ${PAYLOAD_LIMIT} bytes: ${over.join('; ')}`).toBeLessThanOrEqual(PAYLOAD_LIMIT);
  });
});
