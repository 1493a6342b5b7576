import { CreateSecretCommand, GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CredentialSecretLocator, PendingNoticeEntry } from '../functions/domain/ports';
import { SecretStoreError, SecretsManagerSecretStore } from '../functions/adapters';
import { restoreCredential } from '../functions/domain/restore';
import { placeholderVersionToken, secretNameFor, versionToken } from '../functions/domain/secrets';
import { startSecretsManagerEmulator, type SecretsManagerEmulator } from '../tools/emulators/secrets-manager/emulator';
import { FakeApicApp } from './support/restore-fakes';

const PREFIX = 'apic-rotator';
const FIXED_NOW = new Date('2026-11-23T10:00:00.000Z');
const POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' }] });

let emulator: SecretsManagerEmulator;
let client: SecretsManagerClient;
let store: SecretsManagerSecretStore;
let serial = 0;

function freshLocator(overrides: Partial<CredentialSecretLocator> = {}): CredentialSecretLocator {
  serial += 1;
  return { providerOrg: 'acme', catalog: 'prod', consumerOrg: 'bank', app: `app-${serial}`, credential: 'main', ...overrides };
}

function secretFor(label: string): string {
  return `s3cr3t-${label}-${serial}-do-not-leak`;
}

function pairGenerator(label: string) {
  return vi.fn(() => ({ clientId: `client-${label}-${serial}`, clientSecret: secretFor(label) }));
}

/** Every page of the ledger's pending notices, as FinishRun's invocations read them one after the other. */
async function allPendingNotices(ledger: Pick<SecretsManagerSecretStore, 'pendingNoticePage'>): Promise<PendingNoticeEntry[]> {
  const result: PendingNoticeEntry[] = [];
  let token: string | undefined;
  do {
    const page = await ledger.pendingNoticePage(token);
    result.push(...page.entries);
    token = page.nextToken;
  } while (token !== undefined);
  return result;
}

beforeAll(async () => {
  emulator = await startSecretsManagerEmulator({ randomSeed: 3 });
  client = new SecretsManagerClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});

beforeEach(() => {
  store = new SecretsManagerSecretStore(client, {
    prefix: PREFIX,
    kmsKeyId: 'alias/apic-rotator',
    resourcePolicyFor: () => POLICY,
    clock: { now: () => FIXED_NOW },
  });
});

afterEach(() => emulator.faults.clear());

afterAll(async () => {
  client.destroy();
  await emulator.close();
});

describe('stagePending', () => {
  it('creates the tagged secret with the placeholder as AWSCURRENT and stores the pair as AWSPENDING under the token', async () => {
    const locator = freshLocator();
    const token = versionToken('cycle-1', 'run-1');
    const pair = await store.stagePending(locator, token, 'cycle-1', pairGenerator('a'));
    const name = store.secretName(locator);
    expect(emulator.inspect.tags(name)).toEqual({
      'apic:provider-org': 'acme',
      'apic:catalog': 'prod',
      'apic:consumer-org': 'bank',
      'apic:app': locator.app,
      'apic:credential': 'main',
    });
    const [placeholder, version] = emulator.inspect.versions(name);
    expect(placeholder?.versionId).toBe(placeholderVersionToken(name));
    expect(placeholder?.stages).toEqual(['AWSCURRENT']);
    expect(JSON.parse(placeholder?.value ?? '{}')).toEqual({
      status: 'no-credential-yet',
      provider_org: 'acme',
      catalog: 'prod',
      consumer_org: 'bank',
      app: locator.app,
      credential: 'main',
    });
    expect(version?.versionId).toBe(token);
    expect(version?.stages).toEqual(['AWSPENDING']);
    expect(JSON.parse(version?.value ?? '{}')).toEqual({
      client_id: pair.clientId,
      client_secret: pair.clientSecret,
      provider_org: 'acme',
      catalog: 'prod',
      consumer_org: 'bank',
      app: locator.app,
      credential: 'main',
      cycle_id: 'cycle-1',
      issued_at: FIXED_NOW.toISOString(),
    });
    const create = emulator.requests().find((request) => request.operation === 'CreateSecret' && request.body.includes(name));
    expect(JSON.parse(create?.body ?? '{}')).toMatchObject({ KmsKeyId: 'alias/apic-rotator' });
    const policy = emulator.requests().find((request) => request.operation === 'PutResourcePolicy' && request.body.includes(name));
    expect(JSON.parse(policy?.body ?? '{}')).toMatchObject({ ResourcePolicy: POLICY });
  });

  it('returns the stored pair for a repeated token without generating again', async () => {
    const locator = freshLocator();
    const token = versionToken('cycle-2');
    const generate = pairGenerator('b');
    const first = await store.stagePending(locator, token, 'cycle-2', generate);
    const second = await store.stagePending(locator, token, 'cycle-2', generate);
    expect(second).toEqual(first);
    expect(generate).toHaveBeenCalledTimes(1);
    expect(emulator.inspect.versions(store.secretName(locator)).map((version) => version.versionId)).toEqual([
      placeholderVersionToken(store.secretName(locator)),
      token,
    ]);
  });

  it('settles concurrent attempts with the same token on one stored pair', async () => {
    const locator = freshLocator();
    const token = versionToken('cycle-race');
    const [left, right] = await Promise.all([
      store.stagePending(locator, token, 'cycle-race', pairGenerator('left')),
      store.stagePending(locator, token, 'cycle-race', pairGenerator('right')),
    ]);
    expect(left).toEqual(right);
    const version = emulator.inspect.versions(store.secretName(locator)).find((candidate) => candidate.versionId === token);
    expect(JSON.parse(version?.value ?? '{}').client_secret).toBe(left?.clientSecret);
  });

  it('produces 64-character hex tokens that depend on every part', () => {
    expect(versionToken('a', 'b')).toMatch(/^[0-9a-f]{64}$/);
    expect(versionToken('a', 'b')).toBe(versionToken('a', 'b'));
    expect(versionToken('a', 'b')).not.toBe(versionToken('ab'));
    expect(versionToken('a', 'b')).not.toBe(versionToken('b', 'a'));
  });
});

/** The client id a consumer reads from AWSCURRENT (GetSecretValue without a stage), if the secret holds one. */
async function clientIdAConsumerReads(name: string): Promise<string | undefined> {
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: name }));
    return (JSON.parse(SecretString ?? '{}') as { client_id?: string }).client_id;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

// Secrets Manager makes a secret's first version AWSCURRENT whatever PutSecretValue's VersionStages says: a pair
// staged as the first version would be served to consumers before APIC knows it.
describe('AWSCURRENT never holds an unverified pair', () => {
  const secretOf: Record<string, (locator: CredentialSecretLocator) => Promise<void>> = {
    'a secret the store creates': async () => undefined,
    'a secret a warn notice created': async (locator) => {
      await store.queueNotice(locator, { kind: 'warn', cycleId: 'warned', ownerEmail: 'owner@example.com' });
    },
    'a secret an earlier release created without a value': async (locator) => {
      await client.send(new CreateSecretCommand({ Name: store.secretName(locator) }));
    },
  };

  for (const [origin, prepare] of Object.entries(secretOf)) {
    it(`stages into ${origin} without making the pair current, until it is promoted`, async () => {
      const locator = freshLocator();
      const name = store.secretName(locator);
      await prepare(locator);
      const token = versionToken('first-cycle', origin);
      const pair = await store.stagePending(locator, token, 'first-cycle', pairGenerator('unverified'));

      expect(await clientIdAConsumerReads(name), 'client id a consumer reads from AWSCURRENT before APIC verified the staged pair').toBeUndefined();
      expect(await store.readCurrent(locator)).toBeUndefined();
      expect((await store.describe(locator)).current).toBeUndefined();
      expect(await store.readPending(locator)).toEqual({ ...pair, versionId: token });

      await store.promote(locator, token);
      expect(await clientIdAConsumerReads(name)).toBe(pair.clientId);
      expect(await store.readCurrent(locator)).toEqual(pair);
    });
  }
});

describe('a secret that holds no credential yet', () => {
  it('reads as no current and no pending, and a restore reports it as no-value without asking APIC', async () => {
    const withPlaceholder = freshLocator();
    await store.queueNotice(withPlaceholder, { kind: 'warn', cycleId: 'c', ownerEmail: 'owner@example.com' });
    const empty = freshLocator();
    await client.send(new CreateSecretCommand({ Name: store.secretName(empty) }));

    for (const locator of [withPlaceholder, empty]) {
      expect(await store.readCurrent(locator)).toBeUndefined();
      expect(await store.readPending(locator)).toBeUndefined();
      expect(await store.describe(locator)).toMatchObject({ secretExists: true, noticesSent: {} });
      expect((await store.describe(locator)).current).toBeUndefined();
      const apic = new FakeApicApp();
      const item = { dryRun: false, secretPrefix: PREFIX, secretName: store.secretName(locator) };
      expect(await restoreCredential({ apic: apic.port(), store }, item)).toEqual({ status: 'done', secretName: item.secretName, outcome: 'no-value' });
      expect(apic.calls).toEqual([]);
    }
  });
});

describe('promote, readCurrent and readPending', () => {
  it('moves AWSCURRENT to the staged version, leaves AWSPREVIOUS on the old one and no AWSPENDING', async () => {
    const locator = freshLocator();
    const firstToken = versionToken('c1');
    const secondToken = versionToken('c2');
    const first = await store.stagePending(locator, firstToken, 'c1', pairGenerator('first'));
    await store.promote(locator, firstToken);
    expect(await store.readCurrent(locator)).toEqual(first);
    expect(await store.readPending(locator)).toBeUndefined();

    const second = await store.stagePending(locator, secondToken, 'c2', pairGenerator('second'));
    expect(await store.readPending(locator)).toEqual({ ...second, versionId: secondToken });
    await store.promote(locator, secondToken);
    const stages = emulator.inspect.versions(store.secretName(locator)).map((version) => [version.versionId, version.stages]);
    expect(stages).toEqual([
      [placeholderVersionToken(store.secretName(locator)), []],
      [firstToken, ['AWSPREVIOUS']],
      [secondToken, ['AWSCURRENT']],
    ]);
    expect(await store.readCurrent(locator)).toEqual(second);
  });

  it('does nothing more when the version is already current', async () => {
    const locator = freshLocator();
    const token = versionToken('c-idem');
    await store.stagePending(locator, token, 'c-idem', pairGenerator('x'));
    await store.promote(locator, token);
    const before = emulator.counts()['UpdateSecretVersionStage'] ?? 0;
    await store.promote(locator, token);
    expect(emulator.counts()['UpdateSecretVersionStage'] ?? 0).toBe(before);
  });

  it('returns undefined reads for a credential without a secret', async () => {
    const locator = freshLocator();
    expect(await store.readCurrent(locator)).toBeUndefined();
    expect(await store.readPending(locator)).toBeUndefined();
  });
});

describe('describe', () => {
  it('reports a missing secret as not existing, with empty ledgers', async () => {
    expect(await store.describe(freshLocator())).toEqual({ secretExists: false, noticesSent: {}, noticesPending: {} });
  });

  it('reports client ids, cycle ids and version ids of current and pending, never a secret', async () => {
    const locator = freshLocator();
    const current = await store.stagePending(locator, versionToken('old'), 'cycle-old', pairGenerator('old'));
    await store.promote(locator, versionToken('old'));
    const pending = await store.stagePending(locator, versionToken('new'), 'cycle-new', pairGenerator('new'));
    await store.queueNotice(locator, { kind: 'warn', cycleId: 'cycle-new', ownerEmail: 'owner@example.com' });
    const state = await store.describe(locator);
    expect(state).toEqual({
      secretExists: true,
      arn: expect.stringMatching(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:apic-rotator\//),
      current: { clientId: current.clientId, cycleId: 'cycle-old', versionId: versionToken('old') },
      pending: { clientId: pending.clientId, cycleId: 'cycle-new', versionId: versionToken('new') },
      noticesSent: {},
      noticesPending: { warn: 'cycle-new' },
    });
    expect(JSON.stringify(state)).not.toContain(current.clientSecret);
    expect(JSON.stringify(state)).not.toContain(pending.clientSecret);
  });
  it('keeps an emergency rotation\'s terms with its urgent notice, and they outlive the notice', async () => {
    const locator = freshLocator();
    const name = store.secretName(locator);
    await store.queueNotice(locator, {
      kind: 'urgent-replacement',
      cycleId: 'cyc-e',
      dueDate: '2026-12-01T09:00Z',
      ownerEmail: 'owner@example.com',
      emergency: { cycleId: 'cyc-e', graceHours: 6, confirmRevoke: false },
    });
    expect(emulator.inspect.tags(name)['rotator:emergency']).toBe('cyc-e 6 announce');
    expect((await store.describe(locator)).emergency).toEqual({ cycleId: 'cyc-e', graceHours: 6, confirmRevoke: false });
    const entry = (await allPendingNotices(store)).find((candidate) => candidate.secretName === name);
    expect(entry?.notices).toEqual([{ kind: 'urgent-replacement', cycleId: 'cyc-e', dueDate: '2026-12-01T09:00Z' }]);
    await store.markNoticesSent(entry?.secretArn ?? '', [{ kind: 'urgent-replacement', cycleId: 'cyc-e' }]);
    expect(await store.describe(locator)).toMatchObject({
      noticesSent: { 'urgent-replacement': 'cyc-e' },
      emergency: { cycleId: 'cyc-e', graceHours: 6, confirmRevoke: false },
    });
  });
});

describe('storedCredentialBases', () => {
  it('lists the base names of the app’s own secrets, not those of an app whose name it prefixes', async () => {
    const app = freshLocator({ app: `pay ü ${serial}` });
    const longer = { ...app, app: `${app.app}-2` };
    for (const credential of ['key', 'key/with slash', 'other']) {
      await store.queueNotice({ ...app, credential }, { kind: 'warn', cycleId: 'c', ownerEmail: '' });
    }
    await store.queueNotice({ ...longer, credential: 'key' }, { kind: 'warn', cycleId: 'c', ownerEmail: '' });
    expect((await store.storedCredentialBases(app)).sort()).toEqual(['key', 'key/with slash', 'other']);
  });
});

describe('notice ledger', () => {
  it('queues once per cycle and kind, lists the entry and clears it when marked sent', async () => {
    const locator = freshLocator({ consumerOrg: 'Big Bank/EMEA', app: 'Zahlungsverkehr ü' });
    const name = store.secretName(locator);
    await store.queueNotice(locator, { kind: 'warn', cycleId: 'cyc-1', dueDate: '2026-12-01', ownerEmail: 'owner@example.com' });
    expect(emulator.inspect.versions(name).map((version) => version.stages)).toEqual([['AWSCURRENT']]);
    expect(await store.readCurrent(locator)).toBeUndefined();
    const tagCalls = emulator.counts()['TagResource'] ?? 0;
    await store.queueNotice(locator, { kind: 'warn', cycleId: 'cyc-1', dueDate: '2026-12-01', ownerEmail: 'owner@example.com' });
    expect(emulator.counts()['TagResource'] ?? 0).toBe(tagCalls);

    const entries = (await allPendingNotices(store)).filter((entry) => entry.secretName === name);
    expect(entries).toEqual([
      {
        locator,
        secretName: name,
        secretArn: expect.stringContaining(name),
        ownerEmail: 'owner@example.com',
        notices: [{ kind: 'warn', cycleId: 'cyc-1', dueDate: '2026-12-01' }],
      },
    ]);

    await store.markNoticesSent(entries[0]?.secretArn ?? '', [{ kind: 'warn', cycleId: 'cyc-1' }]);
    const tags = emulator.inspect.tags(name);
    expect(tags['rotator:sent:warn']).toBe('cyc-1');
    expect(tags['rotator:pending:warn']).toBeUndefined();
    expect(tags['rotator:notice-pending']).toBeUndefined();
    expect((await allPendingNotices(store)).some((entry) => entry.secretName === name)).toBe(false);

    await store.queueNotice(locator, { kind: 'warn', cycleId: 'cyc-1', ownerEmail: 'owner@example.com' });
    expect(emulator.inspect.tags(name)['rotator:notice-pending']).toBeUndefined();
    expect((await store.describe(locator)).noticesSent).toEqual({ warn: 'cyc-1' });
  });

  it('keeps the marker while other notices remain queued, and marking again changes nothing', async () => {
    const locator = freshLocator();
    const name = store.secretName(locator);
    await store.queueNotice(locator, { kind: 'replacement-ready', cycleId: 'c', dueDate: '2027-01-10', ownerEmail: 'o@example.com' });
    await store.queueNotice(locator, { kind: 'action-needed', cycleId: 'c', ownerEmail: 'o@example.com' });
    const [entry] = (await allPendingNotices(store)).filter((candidate) => candidate.secretName === name);
    expect(entry?.notices).toEqual([
      { kind: 'replacement-ready', cycleId: 'c', dueDate: '2027-01-10' },
      { kind: 'action-needed', cycleId: 'c' },
    ]);
    const arn = entry?.secretArn ?? '';
    await store.markNoticesSent(arn, [{ kind: 'replacement-ready', cycleId: 'c' }]);
    expect(emulator.inspect.tags(name)['rotator:notice-pending']).toBe('yes');
    await store.markNoticesSent(arn, [{ kind: 'action-needed', cycleId: 'c' }]);
    const writes = (emulator.counts()['TagResource'] ?? 0) + (emulator.counts()['UntagResource'] ?? 0);
    await store.markNoticesSent(arn, [{ kind: 'action-needed', cycleId: 'c' }]);
    expect((emulator.counts()['TagResource'] ?? 0) + (emulator.counts()['UntagResource'] ?? 0)).toBe(writes);
    expect(emulator.inspect.tags(name)['rotator:notice-pending']).toBeUndefined();
  });

  it('keeps a notice queued for a new cycle after the listing when the listed one is marked sent', async () => {
    const locator = freshLocator();
    const name = store.secretName(locator);
    await store.queueNotice(locator, { kind: 'action-needed', cycleId: 'cycle-1', ownerEmail: 'o@example.com' });
    const [listed] = (await allPendingNotices(store)).filter((candidate) => candidate.secretName === name);
    // Another run queues the next cycle's notice of the same kind between this run's listing and its marking.
    await store.queueNotice(locator, { kind: 'action-needed', cycleId: 'cycle-2', ownerEmail: 'o@example.com' });
    await store.markNoticesSent(listed?.secretArn ?? '', [{ kind: 'action-needed', cycleId: 'cycle-1' }]);
    const [still] = (await allPendingNotices(store)).filter((candidate) => candidate.secretName === name);
    expect(still?.notices).toEqual([{ kind: 'action-needed', cycleId: 'cycle-2' }]);
    expect(emulator.inspect.tags(name)['rotator:notice-pending']).toBe('yes');
  });

  it('leaves out an owner address that does not fit the tag charset', async () => {
    const locator = freshLocator();
    await store.queueNotice(locator, { kind: 'warn', cycleId: 'c', ownerEmail: 'o#wner@example.com' });
    const [entry] = (await allPendingNotices(store)).filter((candidate) => candidate.secretName === store.secretName(locator));
    expect(entry?.ownerEmail).toBe('');
  });

  it('reads every page of marked secrets and only those under the prefix', async () => {
    const locators = Array.from({ length: 230 }, () => freshLocator({ consumerOrg: 'paged' }));
    emulator.seed(
      locators.map((locator, index) => ({
        name: secretNameFor(index % 2 === 0 ? PREFIX : 'other-prefix', locator),
        tags: { 'rotator:notice-pending': 'yes', 'rotator:pending:warn': `c${index} -`, 'rotator:owner-email': 'p@example.com' },
      })),
    );
    const paged = (await allPendingNotices(store)).filter((entry) => entry.locator.consumerOrg === 'paged');
    expect(paged).toHaveLength(115);
    expect(paged.every((entry) => entry.secretName.startsWith(`${PREFIX}/`))).toBe(true);
  });
});

describe('errors', () => {
  it('names a refusal that no retry can cure SecretStoreError', async () => {
    const locator = freshLocator();
    emulator.faults.failNext('PutSecretValue', 1, 'AccessDeniedException');
    const error = await store.stagePending(locator, versionToken('denied'), 'denied', pairGenerator('denied')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SecretStoreError);
    expect((error as SecretStoreError).name).toBe('SecretStoreError');
    expect((error as SecretStoreError).awsErrorName).toBe('AccessDeniedException');
  });

  it('wraps SDK failures in a SecretStoreError naming operation and secret, never the secret value', async () => {
    const locator = freshLocator();
    emulator.faults.failNext('PutSecretValue', 3);
    const generate = pairGenerator('failing');
    const error = await store.stagePending(locator, versionToken('f'), 'f', generate).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SecretStoreError);
    const storeError = error as SecretStoreError;
    // A service error outlasting the SDK's retries is named for Step Functions to retry the step.
    expect(storeError.name).toBe('SecretStoreUnavailableError');
    expect(storeError.operation).toBe('PutSecretValue');
    expect(storeError.awsErrorName).toBe('InternalServiceError');
    expect(storeError.message).toContain(store.secretName(locator));
    expect(storeError.cause).toBeInstanceOf(Error);
    const secret = secretFor('failing');
    expect(storeError.message).not.toContain(secret);
    expect(String((storeError.cause as Error).message)).not.toContain(secret);
    const carrying = emulator.requests().filter((request) => request.body.includes(secret));
    expect(carrying.length).toBeGreaterThan(0);
    expect(carrying.every((request) => request.operation === 'PutSecretValue')).toBe(true);
  });

  it('refuses a stored value that is not a rotator credential without quoting it', async () => {
    const locator = freshLocator();
    emulator.seed([{ name: store.secretName(locator), value: 'garbage-with-SECRET-inside' }]);
    const error = await store.readCurrent(locator).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SecretStoreError);
    expect((error as Error).message).not.toContain('SECRET');
    expect((error as Error).cause).toBeUndefined();
  });

  it('retries throttled calls through the SDK and succeeds', async () => {
    const locator = freshLocator();
    emulator.faults.throttleNext('DescribeSecret', 1);
    expect(await store.describe(locator)).toMatchObject({ secretExists: false });
  });
});
