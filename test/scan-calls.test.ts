/**
 * APIC calls of a full local run where nothing is due: the catalog-wide listing costs one call per page, far
 * below the seed script's one call per credential plus one per consumer org. The periodic verification of quiet
 * apps (`verifyEveryDays`) is off for those, and measured on its own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateCatalog } from '../tools/apic-simulator/generate';
import type { SimulatorSeed } from '../tools/apic-simulator';
import { startLocalEnvironment, type LocalEnvironment } from '../tools/runner/local-environment';
import { apicMutations } from './support/restore-run';

const NOW = new Date('2025-06-01T00:00:00Z');
const TARGET = { providerOrg: 'acme', catalog: 'production' };
/** Ages stay below expiry − warn (90 − 14 days): nothing needs attention. */
const QUIET_CATALOG = generateCatalog({ ...TARGET, consumerOrgs: 1_000, appsPerOrg: 2, credentialsPerApp: [2, 3], ageDays: [1, 60], randomSeed: 11 });
const CREDENTIALS = countCredentials(QUIET_CATALOG);
const APPS = 2_000;
const MAX_CALLS_PER_CREDENTIAL = 0.02;

function countCredentials(seed: SimulatorSeed): number {
  return seed.catalogs.flatMap((c) => c.consumerOrgs).flatMap((o) => o.apps).reduce((sum, app) => sum + app.credentials.length, 0);
}

let stack: LocalEnvironment | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('APIC calls of a no-op scan', () => {
  it(`a full run costs at most ${MAX_CALLS_PER_CREDENTIAL} APIC calls per credential`, async () => {
    stack = await startLocalEnvironment({ simulator: { seed: QUIET_CATALOG, now: NOW, randomSeed: 1 }, config: { verifyEveryDays: 0 } });
    const result = await stack.run({ now: NOW });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.summary).toMatchObject({ appsScanned: APPS, credentialsScanned: CREDENTIALS, appsNeedingAttention: 0 });
    expect(stack.apic.totalCalls() / CREDENTIALS).toBeLessThanOrEqual(MAX_CALLS_PER_CREDENTIAL);
  });

  it('without created_at in expanded credentials, reads each app once more and still finds what is due', async () => {
    stack = await startLocalEnvironment({
      simulator: { seed: QUIET_CATALOG, now: NOW, randomSeed: 1, expandedCredentialsIncludeCreatedAt: false },
      config: { verifyEveryDays: 0 },
    });
    const quiet = await stack.run({ now: NOW });
    expect(quiet.summary).toMatchObject({ credentialsScanned: CREDENTIALS, appsNeedingAttention: 0 });
    // One read per app, plus one for the first app that PrepareRun reads to size the segments.
    expect(stack.apic.counters()['GET /apps/:porg/:catalog/:corg/:app/credentials']).toBe(APPS + 1);
    expect(stack.apic.totalCalls()).toBeLessThanOrEqual(MAX_CALLS_PER_CREDENTIAL * CREDENTIALS + APPS + 1);

    stack.apic.seed({
      catalogs: [{ ...TARGET, consumerOrgs: [{ name: 'late-partner', apps: [{ name: 'billing', credentials: [{ name: 'main', ageDays: 95 }] }] }] }],
    });
    const due = await stack.run({ now: NOW, input: { dryRun: true } });
    expect(due.summary).toMatchObject({ credentialsScanned: CREDENTIALS + 1, appsNeedingAttention: 1, appsPlanned: 1 });
  });

  it('with the default verifyEveryDays (7), a quiet day assesses about a seventh of the apps and changes nothing', async () => {
    stack = await startLocalEnvironment({ simulator: { seed: QUIET_CATALOG, now: NOW, randomSeed: 1 } });
    const result = await stack.run({ now: NOW });
    expect(result.status).toBe('SUCCEEDED');
    const assessed = (result.summary as { appsNeedingAttention: number }).appsNeedingAttention;
    // 2,000 apps hashed onto 7 days: 286 expected; the bounds are 5 standard deviations of the binomial.
    expect(assessed).toBeGreaterThanOrEqual(206);
    expect(assessed).toBeLessThanOrEqual(366);
    expect(result.summary).toMatchObject({ appsScanned: APPS, credentialsScanned: CREDENTIALS, appsFailed: 0 });
    expect(apicMutations(stack.apic.counters())).toEqual({});
  });
});
