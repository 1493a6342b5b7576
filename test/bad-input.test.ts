/**
 * Bad input of every kind: the rotator config, the execution input, and malformed APIC data. Each must stop the
 * run (or the app) with an error that names the field and says how to fix it, and must change nothing: APIC, the
 * secrets and the mailbox are compared before and after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatorSeed } from '../tools/apic-simulator';
import { endState, invariantViolations, startRotationWorld, type RotationWorld } from './support/crash-plan';
import { synthesizeDefinition, type LocalRunResult } from '../tools/runner/workflow-runner';
import { scanWorld } from './support/faults-secrets';
import { acmeProdSeed } from './support/acme-seed';
import { startTamperingProxy } from './support/faults-proxy';

const START = new Date('2025-03-01T03:00:00Z');
const tried: Record<string, number> = {};

function badInputCatalog(): SimulatorSeed {
  return acmeProdSeed({ bank: [{ name: 'mobile', credentials: [{ name: 'key-a', ageDays: 95 }, { name: 'key-bad', ageDays: 95 }] }] });
}

async function snapshot(world: RotationWorld): Promise<string> {
  const apps = world.apic.inspect.apps('acme', 'prod').map((app) => ({
    ...app,
    credentials: world.apic.inspect.credentials('acme', 'prod', app.consumerOrg, app.app),
  }));
  const secrets = world.secretsManager.inspect.secretNames().map((name) => ({
    name,
    versions: world.secretsManager.inspect.versions(name),
    tags: world.secretsManager.inspect.tags(name),
  }));
  return JSON.stringify({ apps, secrets, mails: await world.ses.emails() });
}

let world: RotationWorld;

beforeAll(async () => {
  world = await startRotationWorld({ seed: badInputCatalog(), start: START });
}, 60_000);

afterAll(async () => {
  await world.close();
  console.log(`bad inputs tried: ${JSON.stringify(tried)}`);
});

/** Runs with the bad input and checks the world is exactly as before. */
async function rejected(kind: string, run: () => Promise<LocalRunResult>): Promise<string> {
  tried[kind] = (tried[kind] ?? 0) + 1;
  const before = await snapshot(world);
  const result = await run();
  expect(await snapshot(world), 'changes nothing').toBe(before);
  expect(result.status).toBe('FAILED');
  return result.error ?? '';
}

describe('invalid rotator config', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a number of the wrong type', { policy: { expiryDays: 'ninety' } }, /policy\.expiryDays: must be a whole number/],
    ['a number out of range', { policy: { expiryDays: 0 } }, /policy\.expiryDays: must be at least 1/],
    ['deletionDays equal to expiryDays', { policy: { expiryDays: 90, deletionDays: 90 } }, /policy\.deletionDays/],
    ['deletionDays below expiryDays', { policy: { deletionDays: 30 } }, /policy\.deletionDays/],
    ['a page size above the maximum', { pageSize: 5000 }, /pageSize: must be at most 1000/],
    ['zero concurrency', { maxConcurrentApps: 0 }, /maxConcurrentApps: must be at least 1/],
    ['an unknown key', { retentionDays: 30 }, /retentionDays: unknown key; allowed keys here are/],
    ['an unknown nested key', { policy: { expiry: 90 } }, /policy\.expiry: unknown key/],
    ['a key switching TLS verification off', { insecureSkipTlsVerify: true }, /insecureSkipTlsVerify: TLS verification cannot be disabled/],
    ['rejectUnauthorized: false', { rejectUnauthorized: false }, /rejectUnauthorized: TLS verification cannot be disabled/],
    ['plain http to a remote APIC', { apicBaseUrl: 'http://apic.example.com/api' }, /apicBaseUrl: must use https/],
    ['a sender that is no e-mail address', { notificationSender: 'rotator' }, /notificationSender: must be an e-mail address/],
    ['no targets', { targets: [] }, /targets: must list at least one/],
    ['an empty replacement suffix', { policy: { replacementSuffix: '' } }, /policy\.replacementSuffix: must not be empty/],
    ['a cron with five fields', { schedule: { cron: 'cron(0 3 * * ?)' } }, /schedule\.cron: must be an EventBridge cron with 6 fields/],
    ['an override whose expiry passes deletion', { consumerOrgOverrides: { bank: { expiryDays: 200 } } }, /consumerOrgOverrides\.bank\.expiryDays/],
  ];

  it.each(cases)('stops the run on %s, naming the field, changing nothing', async (_label, fields, message) => {
    const error = await rejected('config', () => world.runDay(0, { config: { ...world.config, ...fields } }));
    expect(error).toMatch(message);
  });

  it.each(cases)('refuses to synthesize %s', (_label, fields, message) => {
    expect(() => synthesizeDefinition({ ...world.config, ...fields })).toThrow(message);
  });
});

describe('invalid execution input', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['an unknown key', { dryrun: true }, /dryrun: unknown key; allowed keys here are/],
    ['dryRun of the wrong type', { dryRun: 'yes' }, /dryRun/],
    ['a target not configured', { targets: [{ providerOrg: 'acme', catalog: 'test' }] }, /targets\[0\]: acme\/test is not a configured target; use one of: acme\/prod/],
    ['a policy out of bounds', { policy: { expiryDays: 0 } }, /policy\.expiryDays: must be at least 1/],
    ['a policy deleting before expiry', { policy: { deletionDays: 60 } }, /policy\.deletionDays/],
    ['an unknown trigger', { trigger: 'cron' }, /trigger: must be 'schedule' or 'manual'/],
    ['consumerOrgs of the wrong type', { consumerOrgs: 'bank' }, /consumerOrgs/],
    ['an unknown consumer org in the filter', { consumerOrgs: ['bank', 'nobody'] }, /"nobody", which no target catalog has; check the spelling/],
  ];

  it.each(cases)('stops the run on %s, naming the field, changing nothing', async (_label, input, message) => {
    const error = await rejected('execution input', () => world.runDay(0, { input }));
    expect(error).toMatch(message);
  });
});

describe('malformed APIC data', () => {
  // An app with malformed data is skipped and reported: nothing is decided from data the rotator cannot read.
  const tamperings: Array<[string, (credential: Record<string, unknown>) => void, RegExp]> = [
    ['a credential without created_at', (c) => delete c.created_at, /created_at of credential "key-bad" of app "mobile".* is missing/],
    ['an unparseable created_at', (c) => (c.created_at = 'last tuesday'), /created_at of credential "key-bad" .*is not an ISO-8601 timestamp/],
    ['a created_at in the future', (c) => (c.created_at = '2031-01-01T00:00:00Z'), /created_at of credential "key-bad" .*is in the future/],
    ['a name of the wrong type', (c) => (c.name = 42), /name of credential .* is a number, expected a string/],
    ['an empty name', (c) => (c.name = ''), /name of credential .* is empty/],
  ];

  it.each(tamperings)('rejects %s with the field named, changing nothing', async (_label, tamper, message) => {
    const proxy = await startTamperingProxy(world.apic.baseUrl, (node) => {
      if (node.name === 'key-bad' && 'client_id' in node) tamper(node);
    });
    try {
      const before = await snapshot(world);
      tried['apic data'] = (tried['apic data'] ?? 0) + 1;
      const result = await world.runDay(0, { config: { ...world.config, apicBaseUrl: proxy.baseUrl } });
      expect(await snapshot(world), 'changes nothing').toBe(before);
      expect(result.status).toBe('SUCCEEDED');
      const failure = result.summary?.failures.find((entry) => entry.app === 'mobile');
      expect(failure?.error).toBe('ApicDataError');
      expect(failure?.cause).toMatch(message);
    } finally {
      await proxy.close();
    }
  });
});

describe('one app with malformed data among healthy ones', () => {
  it('skips and reports that app while the rest of the catalog rotates', async () => {
    const mixed = await startRotationWorld({
      seed: acmeProdSeed({
        bank: [
          { name: 'mobile', credentials: [{ name: 'key-bad', ageDays: 95 }] },
          { name: 'web', credentials: [{ name: 'key-web', ageDays: 95 }] },
        ],
      }),
      start: START,
    });
    const proxy = await startTamperingProxy(mixed.apic.baseUrl, (node) => {
      if (node.name === 'key-bad' && 'client_id' in node) delete node.created_at;
    });
    try {
      tried['apic data'] = (tried['apic data'] ?? 0) + 1;
      const result = await mixed.runDay(0, { config: { ...mixed.config, apicBaseUrl: proxy.baseUrl } });
      expect(result.summary?.appsFailed).toBe(1);
      expect(result.summary?.failures.map((failure) => `${failure.consumerOrg}/${failure.app} ${failure.error}`)).toEqual(['bank/mobile ApicDataError']);
      expect(mixed.apic.inspect.credentials('acme', 'prod', 'bank', 'mobile').map((c) => c.name)).toEqual(['key-bad']);
      expect(mixed.apic.inspect.credentials('acme', 'prod', 'bank', 'web').map((c) => c.name)).toEqual(['key-web', 'key-web_new']);
      expect(invariantViolations(mixed)).toEqual([]);
    } finally {
      await proxy.close();
      await mixed.close();
    }
  });
});

describe('odd but valid APIC data', () => {
  it('rotates a credential someone named like a replacement as an independent one and restores its name', async () => {
    tried['apic data'] = (tried['apic data'] ?? 0) + 1;
    const odd = await startRotationWorld({
      seed: acmeProdSeed({ bank: [{ name: 'mobile', credentials: [{ name: 'key_new', ageDays: 95 }] }] }),
      start: START,
    });
    try {
      for (const day of [0, 10]) {
        expect((await odd.runDay(day)).summary?.appsFailed).toBe(0);
        expect(invariantViolations(odd)).toEqual([]);
      }
      const end = endState(odd);
      expect(end.apps['bank/mobile']).toEqual(['key_new | key_new']);
      expect(end.unrotated['bank/mobile']).toBe(0);
      expect(end.withoutAcceptedCurrent).toEqual([]);
    } finally {
      await odd.close();
    }
  });
});

describe('secret hygiene of the rejected runs', () => {
  it('leaks no secret into their logs, payloads, errors or mails', async () => {
    const scan = await scanWorld(world);
    expect(scan.secretsSearched).toBeGreaterThan(0);
    expect(scan.hits).toEqual([]);
  });
});
