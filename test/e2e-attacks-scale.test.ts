/**
 * Attacks on the restore's segments, end to end on this machine: several targets narrowed by an app filter, listed
 * one secret a page and one page a segment, so every secret sits at a segment boundary (the cursor handed back to
 * the restore and on to the next segment) and every scope change falls between segments. Secrets of apps outside
 * the filter, and secrets whose names only start like a wanted app's, lie between the wanted ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RestoreSummary } from '../functions/domain/restore';
import { startLocalEnvironment, type LocalEnvironment } from '../tools/runner/local-environment';
import { synthesizeRestoreDefinition, type LocalRunResult } from '../tools/runner/workflow-runner';
import { RestoreRunner, apicMutations, storeCredentialSecret, withPagesPerSegment } from './support/restore-run';

const PREFIX = 'apic-rotator';
const PROVIDER_ORG = 'acme';
const CATALOGS = ['live', 'sandbox'] as const;
/** Apps per consumer org; `shop-eu` starts like `shop`, so a prefix listing of `shop` alone would find it too. */
const APPS: Readonly<Record<string, readonly string[]>> = { north: ['shop', 'shop-eu', 'pay'], south: ['shop', 'pay'] };
const WANTED = ['north/shop', 'south/pay'];
const DAY0 = new Date('2025-03-01T03:00:00Z');

type Locator = { providerOrg: string; catalog: string; consumerOrg: string; app: string; credential: string };

const everyCredential: Locator[] = CATALOGS.flatMap((catalog) =>
  Object.entries(APPS).flatMap(([consumerOrg, apps]) => apps.map((app) => ({ providerOrg: PROVIDER_ORG, catalog, consumerOrg, app, credential: `${app}-key` }))),
);

describe('a restore of several targets narrowed to some apps, one secret a page and one page a segment', () => {
  let stack: LocalEnvironment;
  let runner: RestoreRunner;
  let dryRun: LocalRunResult<RestoreSummary>;
  let restore: LocalRunResult<RestoreSummary>;
  let restoreMutations: Record<string, number>;
  let segments = 0;

  const credentialsOf = (locator: Locator) => stack.apic.inspect.credentials(locator.providerOrg, locator.catalog, locator.consumerOrg, locator.app);
  const wanted = (locator: Locator) => WANTED.includes(`${locator.consumerOrg}/${locator.app}`);

  beforeAll(async () => {
    // The rebuilt API Manager: every app is there, no credential is.
    stack = await startLocalEnvironment({
      simulator: {
        now: DAY0,
        seed: {
          catalogs: CATALOGS.map((catalog) => ({
            providerOrg: PROVIDER_ORG,
            catalog,
            consumerOrgs: Object.entries(APPS).map(([name, apps]) => ({ name, apps: apps.map((app) => ({ name: app, credentials: [] })) })),
          })),
        },
      },
      randomSeed: 7,
      config: { pageSize: 1 },
    });
    for (const locator of everyCredential) {
      await storeCredentialSecret(stack, PREFIX, locator, DAY0);
    }
    const definition = withPagesPerSegment(synthesizeRestoreDefinition(stack.config), 1);
    runner = new RestoreRunner(stack, definition);
    dryRun = await runner.run({ apps: WANTED });
    stack.apic.resetCounters();
    restore = await runner.run({ dryRun: false, apps: WANTED }, { onStateEntered: (state) => (segments += state === 'RunSegment' ? 1 : 0) });
    restoreMutations = apicMutations(stack.apic.counters());
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('goes through a segment per wanted secret at least, and counts each wanted secret once, in the dry run and the real one', () => {
    const wantedCount = everyCredential.filter(wanted).length;
    expect(wantedCount).toBe(4);
    expect(segments).toBeGreaterThanOrEqual(wantedCount);
    expect(dryRun.status).toBe('SUCCEEDED');
    expect(dryRun.summary).toMatchObject({ secretsInScope: wantedCount, outcomes: { 'would-restore': wantedCount, restored: 0, failed: 0 } });
    expect(restore.status).toBe('SUCCEEDED');
    expect(restore.summary).toMatchObject({ secretsInScope: wantedCount, outcomes: { restored: wantedCount, 'would-restore': 0, failed: 0 } });
  });

  it('restores each wanted credential exactly once and leaves every other app alone', () => {
    const restored = everyCredential.map((locator) => `${locator.catalog}/${locator.consumerOrg}/${locator.app}: ${credentialsOf(locator).map((c) => c.name).join(',')}`);
    expect(restored).toEqual(everyCredential.map((locator) => `${locator.catalog}/${locator.consumerOrg}/${locator.app}: ${wanted(locator) ? locator.credential : ''}`));
    const creates = Object.entries(restoreMutations).filter(([route]) => route.startsWith('POST ')).reduce((sum, [, count]) => sum + count, 0);
    expect(creates).toBe(4);
  });
});
