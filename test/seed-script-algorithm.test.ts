import { afterEach, describe, expect, it } from 'vitest';
import { startApicSimulator, type ApicSimulator, type SimulatorOptions } from '../tools/apic-simulator';
import { generateCatalog } from '../tools/apic-simulator/generate';
import { runSeedAlgorithm } from '../tools/cli/bench/seed-script-algorithm';

const NOW = new Date('2025-06-01T00:00:00Z');
const TARGET = { providerOrg: 'acme', catalog: 'production' };

let simulator: ApicSimulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

async function start(options: SimulatorOptions): Promise<ApicSimulator> {
  simulator = await startApicSimulator({ now: NOW, randomSeed: 3, ...options });
  return simulator;
}

function run(apic: ApicSimulator) {
  return runSeedAlgorithm({ baseUrl: apic.baseUrl, ...TARGET, admin: apic.admin, now: NOW });
}

describe('seed script algorithm', () => {
  it('makes one call per consumer org and one per credential, one at a time', async () => {
    const seed = generateCatalog({ ...TARGET, consumerOrgs: 6, appsPerOrg: 2, credentialsPerApp: 2, ageDays: [1, 30], randomSeed: 1 });
    const apic = await start({ seed });
    const result = await run(apic);
    expect(result).toMatchObject({ consumerOrgsVisited: 6, appsVisited: 12, credentialsRead: 24, created: [], deleted: [] });
    expect(apic.counters()).toEqual({
      'POST /token': 1,
      'GET /catalogs/:porg/:catalog/consumer-orgs': 1,
      'GET /consumer-orgs/:porg/:catalog/:corg/apps': 6,
      'GET /apps/:porg/:catalog/:corg/:app/credentials/:cred': 24,
    });
    expect(result.requests).toBe(1 + 1 + 6 + 24);
  });

  it('creates `<name>_new` for a credential between expiry and deletion age', async () => {
    const apic = await start({
      seed: { catalogs: [{ ...TARGET, consumerOrgs: [{ name: 'partner', apps: [{ name: 'billing', credentials: [{ name: 'main', title: 'Main', ageDays: 95 }] }] }] }] },
    });
    const result = await run(apic);
    expect(result.created).toEqual(['partner/billing/main']);
    expect(apic.inspect.credentials(TARGET.providerOrg, TARGET.catalog, 'partner', 'billing').map((c) => c.name).sort()).toEqual(['main', 'main_new']);
  });

  it('reads only the first page of consumer orgs: orgs past it are never looked at', async () => {
    const seed = generateCatalog({ ...TARGET, consumerOrgs: 12, appsPerOrg: 1, credentialsPerApp: 1, ageDays: [95, 95], randomSeed: 2 });
    const apic = await start({ seed, defaultPageLimit: 5 });
    const result = await run(apic);
    expect(result.consumerOrgsTotal).toBe(12);
    expect(result.consumerOrgsVisited).toBe(5);
    // Every credential is due, but only those of the first page's orgs get a replacement.
    expect(result.created).toHaveLength(5);
  });

  it('deletes a credential whose app has an unrelated second credential, then stops on the missing replacement', async () => {
    const apic = await start({
      seed: {
        catalogs: [
          {
            ...TARGET,
            consumerOrgs: [
              {
                name: 'partner',
                apps: [
                  {
                    name: 'billing',
                    credentials: [
                      { name: 'main', title: 'Main', ageDays: 120 },
                      { name: 'reporting', title: 'Reporting', ageDays: 10 },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      },
    });
    const result = await run(apic);
    expect(result.deleted).toEqual(['partner/billing/main']);
    expect(result.renamed).toEqual([]);
    expect(result.aborted).toEqual({ step: 'Insideupdatenewcredresp', status: 404 });
    // The only credential the consumer used is gone, and nothing replaced it.
    expect(apic.inspect.credentials(TARGET.providerOrg, TARGET.catalog, 'partner', 'billing').map((c) => c.name)).toEqual(['reporting']);
  });
});
