/** ApicClient against the APIC simulator over real HTTP(S) on loopback. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AdminCredentials, ApicClient, type ApicClientOptions } from '../functions/adapters/apic/client';
import { ApicError } from '../functions/domain/apic/errors';
import type { AppLocator, CatalogTarget } from '../functions/domain/model';
import { DAY_MS } from '../functions/domain/time';
import { type ApicSimulator, type SimulatorOptions, startApicSimulator } from '../tools/apic-simulator/index';

const SANDBOX: CatalogTarget = { providerOrg: 'porg1', catalog: 'sandbox' };
const PROD: CatalogTarget = { providerOrg: 'porg1', catalog: 'prod' };
const BIG_ORG = 'big-org';
const BIG_APP_COUNT = 250;
const ODD_APP: AppLocator = { ...PROD, consumerOrg: 'acme corp', app: 'a/b Café' };
const SHOP: AppLocator = { ...PROD, consumerOrg: 'acme corp', app: 'shop' };

const ROUTES = {
  token: 'POST /token',
  catalogApps: 'GET /catalogs/:porg/:catalog/apps',
  consumerOrgs: 'GET /catalogs/:porg/:catalog/consumer-orgs',
  consumerOrg: 'GET /consumer-orgs/:porg/:catalog/:corg',
  orgApps: 'GET /consumer-orgs/:porg/:catalog/:corg/apps',
  listCredentials: 'GET /apps/:porg/:catalog/:corg/:app/credentials',
  create: 'POST /apps/:porg/:catalog/:corg/:app/credentials',
  getCredential: 'GET /apps/:porg/:catalog/:corg/:app/credentials/:cred',
  patch: 'PATCH /apps/:porg/:catalog/:corg/:app/credentials/:cred',
  delete: 'DELETE /apps/:porg/:catalog/:corg/:app/credentials/:cred',
  reset: 'POST /apps/:porg/:catalog/:corg/:app/credentials/:cred/reset-client-secret',
} as const;

const seed: NonNullable<SimulatorOptions['seed']> = {
  catalogs: [
    {
      ...SANDBOX,
      consumerOrgs: [
        {
          name: BIG_ORG,
          owner: { email: 'big@example.com' },
          apps: Array.from({ length: BIG_APP_COUNT }, (_, index) => ({
            name: `app-${String(index).padStart(3, '0')}`,
            credentials: [{ name: `cred-${index}`, ageDays: index % 120 }],
          })),
        },
      ],
    },
    {
      ...PROD,
      consumerOrgs: [
        {
          name: 'acme corp',
          title: 'Acme Corp',
          owner: { username: 'ann', email: 'ann@example.com' },
          apps: [
            {
              name: 'a/b Café',
              credentials: [
                { name: 'x/y ключ', title: 'Odd one', ageDays: 10, clientId: 'odd-client-id', clientSecret: 'odd-secret-1' },
              ],
            },
            { name: 'shop', credentials: [{ name: 'main', title: 'Main', ageDays: 95, clientId: 'shop-main-id' }] },
          ],
        },
        { name: 'no-mail', owner: { username: 'bob' }, apps: [] },
      ],
    },
  ],
};

/** Every error message the suite provokes; the last test checks none carries a secret. */
const errorMessages: string[] = [];
const simulatorsSecrets: string[] = [];

async function failure(promise: Promise<unknown>): Promise<ApicError> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof ApicError)) throw error;
    let current: unknown = error;
    while (current instanceof Error) {
      errorMessages.push(current.message, String(current.stack));
      current = current.cause;
    }
    return error;
  }
  throw new Error('expected the call to fail');
}

function passwordGrant(sim: ApicSimulator): () => Promise<AdminCredentials> {
  return async () => ({ grantType: 'password', ...sim.admin });
}

let sim: ApicSimulator;
let sleeps: number[];
const clients: ApicClient[] = [];

function client(overrides: Partial<ApicClientOptions> = {}, target: ApicSimulator = sim): ApicClient {
  const created = new ApicClient({
    baseUrl: target.baseUrl,
    credentials: passwordGrant(target),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...overrides,
  });
  clients.push(created);
  return created;
}

beforeAll(async () => {
  sim = await startApicSimulator({ seed, randomSeed: 7 });
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  sleeps = [];
  sim.faults.clear();
  sim.resetCounters();
});

afterEach(() => {
  clients.splice(0).forEach((created) => created.close());
  simulatorsSecrets.push(...sim.issuedSecrets());
});

describe('paging', () => {
  it('reads 250 apps in exactly 3 catalog list calls of 100', async () => {
    const apic = client();
    const names: string[] = [];
    const offsets: Array<number | undefined> = [];
    let offset: number | undefined = 0;
    while (offset !== undefined) {
      const page = await apic.listAppsPage(SANDBOX, offset, 100);
      names.push(...page.apps.map((app) => app.name));
      expect(page.totalResults).toBe(BIG_APP_COUNT);
      offset = page.nextOffset;
      offsets.push(offset);
    }
    expect(offsets).toEqual([100, 200, undefined]);
    expect(new Set(names).size).toBe(BIG_APP_COUNT);
    expect(sim.counters()[ROUTES.catalogApps]).toBe(3);
    expect(sim.counters()[ROUTES.listCredentials]).toBeUndefined();
  });

  it('maps consumer org and credentials of each app', async () => {
    const page = await client().listAppsPage(SANDBOX, 7, 1);
    const app = page.apps[0];
    expect(app?.name).toBe('app-007');
    expect(app?.consumerOrg.name).toBe(BIG_ORG);
    expect(app?.credentials.map((credential) => credential.name)).toEqual(['cred-7']);
    const ageDays = (Date.now() - Date.parse(app?.credentials[0]?.createdAt ?? '')) / DAY_MS;
    expect(Math.round(ageDays)).toBe(7);
    expect(page.nextOffset).toBe(8);
  });

  it('reads every page of a consumer org listing', async () => {
    const apps = await client().listConsumerOrgApps(SANDBOX, BIG_ORG);
    expect(apps).toHaveLength(BIG_APP_COUNT);
    expect(apps.every((app) => app.credentials.length === 1 && app.consumerOrg.name === BIG_ORG)).toBe(true);
    expect(sim.counters()[ROUTES.orgApps]).toBe(3);
  });

  it('pages with a small page size too', async () => {
    const orgs = await client({ pageSize: 1 }).listConsumerOrgs(PROD);
    expect(orgs.map((org) => org.name).sort()).toEqual(['acme corp', 'no-mail']);
    expect(sim.counters()[ROUTES.consumerOrgs]).toBe(2);
  });
});

describe('token', () => {
  it('refreshes once when the token expires between pages, and the listing completes', async () => {
    let expired = false;
    const apic = client({
      onRequest: (info) => {
        if (!expired && info.route === '/consumer-orgs/:porg/:catalog/:corg/apps' && info.status === 200) {
          expired = true;
          sim.faults.forceTokenExpiry();
        }
      },
    });
    const apps = await apic.listConsumerOrgApps(SANDBOX, BIG_ORG);
    expect(apps).toHaveLength(BIG_APP_COUNT);
    expect(sim.counters()[ROUTES.token]).toBe(2);
    expect(sim.counters()[ROUTES.orgApps]).toBe(4);
  });

  it('shares one token request among concurrent callers and reuses it', async () => {
    const apic = client();
    await Promise.all([1, 2, 3, 4, 5].map(() => apic.getConsumerOrg(PROD, 'acme corp')));
    await apic.getConsumerOrg(PROD, 'no-mail');
    expect(sim.counters()[ROUTES.token]).toBe(1);
  });

  it('uses the api_key grant', async () => {
    const apic = client({
      credentials: async () => ({
        grantType: 'api_key',
        apiKey: sim.apiKey,
        clientId: sim.admin.clientId,
        clientSecret: sim.admin.clientSecret,
      }),
    });
    const org = await apic.getConsumerOrg(PROD, 'acme corp');
    expect(org.ownerEmail).toBe('ann@example.com');
  });

  it('re-reads rotated admin credentials for each token request', async () => {
    let reads = 0;
    const apic = client({
      credentials: async () => {
        reads += 1;
        return { grantType: 'password', ...sim.admin };
      },
    });
    await apic.getConsumerOrg(PROD, 'acme corp');
    sim.faults.forceTokenExpiry();
    await apic.getConsumerOrg(PROD, 'acme corp');
    expect(reads).toBe(2);
  });

  it('raises ApicAuthError, naming no secret, when the admin password is wrong', async () => {
    const error = await failure(
      client({ credentials: async () => ({ grantType: 'password', ...sim.admin, password: 'wrong-password-123' }) }).getConsumerOrg(
        PROD,
        'acme corp',
      ),
    );
    expect(error.name).toBe('ApicAuthError');
    expect(error.path).toBe('token');
    expect(error.message).not.toContain('wrong-password-123');
  });
});

describe('retries', () => {
  it('waits at least Retry-After on 429, then succeeds', async () => {
    sim.faults.throttleNext({ route: ROUTES.consumerOrgs }, { count: 2, retryAfterSeconds: 3 });
    const orgs = await client().listConsumerOrgs(PROD);
    expect(orgs).toHaveLength(2);
    expect(sleeps).toHaveLength(2);
    expect(sleeps.every((ms) => ms >= 3000)).toBe(true);
    expect(sim.counters()[ROUTES.consumerOrgs]).toBe(3);
  });

  it('gives up with ApicThrottledError after maxAttempts', async () => {
    sim.faults.throttleNext({ route: ROUTES.consumerOrg }, { count: 10, retryAfterSeconds: 1 });
    const error = await failure(client({ maxAttempts: 3 }).getConsumerOrg(PROD, 'acme corp'));
    expect(error.name).toBe('ApicThrottledError');
    expect(error.status).toBe(429);
    expect(error.retryable).toBe(true);
    expect(sim.counters()[ROUTES.consumerOrg]).toBe(3);
  });

  it('stops early when Retry-After does not fit the retry time budget', async () => {
    sim.faults.throttleNext({ route: ROUTES.consumerOrg }, { count: 1, retryAfterSeconds: 120 });
    const error = await failure(client({ maxRetryTimeMs: 60_000 }).getConsumerOrg(PROD, 'acme corp'));
    expect(error.name).toBe('ApicThrottledError');
    expect(sleeps).toEqual([]);
  });

  it('rides out a burst of 503s with growing backoff', async () => {
    sim.faults.failNext({ route: ROUTES.consumerOrg }, { count: 3, status: 503 });
    const org = await client().getConsumerOrg(PROD, 'acme corp');
    expect(org.name).toBe('acme corp');
    expect(sleeps).toEqual([100, 200, 400]);
    expect(sim.counters()[ROUTES.consumerOrg]).toBe(4);
  });

  it('retries dropped connections on reads', async () => {
    sim.faults.dropNext({ route: ROUTES.listCredentials }, { count: 2, afterCommit: false });
    const credentials = await client().listCredentials(SHOP);
    expect(credentials.map((credential) => credential.name)).toEqual(['main']);
    expect(sim.counters()[ROUTES.listCredentials]).toBe(3);
  });

  it('raises ApicUnavailableError when 5xx outlasts the attempts', async () => {
    sim.faults.failNext({ route: ROUTES.consumerOrg }, { count: 10, status: 502 });
    const error = await failure(client({ maxAttempts: 2 }).getConsumerOrg(PROD, 'acme corp'));
    expect(error.name).toBe('ApicUnavailableError');
    expect(error.status).toBe(502);
    expect(sim.counters()[ROUTES.consumerOrg]).toBe(2);
  });
});

describe('the invocation deadline (a fake clock: every wait moves it, no real time passes)', () => {
  function fakeClock(start: number) {
    let now = start;
    return { clock: () => now, sleep: async (ms: number) => void (now += ms), advance: (ms: number) => void (now += ms) };
  }

  it('gives up with a retryable error before the deadline, although the retry budget would allow far more', async () => {
    const time = fakeClock(1_000_000);
    const deadline = 1_000_000 + 55_000;
    sim.faults.failNext({ route: ROUTES.consumerOrg }, { count: 1000, status: 503 });
    const apic = client({ ...time, deadline: () => deadline, maxAttempts: 1000, maxRetryTimeMs: 10 * 60_000, baseDelayMs: 2000, maxDelayMs: 10_000, random: () => 0.999 });
    const error = await failure(apic.getConsumerOrg(PROD, 'acme corp'));
    expect(error.name).toBe('ApicUnavailableError');
    expect(error.retryable).toBe(true);
    expect(time.clock()).toBeLessThan(deadline);
    // Eight requests and seven waits of about 2, 4, 8, 10, 10, 10, 10 s (54 s); an eighth wait would pass the deadline.
    expect(sim.counters()[ROUTES.consumerOrg]).toBe(8);
  });

  it('sends no request once the deadline has passed, and none that could outlast it', async () => {
    const time = fakeClock(5_000);
    const apic = client({ ...time, deadline: () => 4_000 });
    const error = await failure(apic.getConsumerOrg(PROD, 'acme corp'));
    expect(error.name).toBe('ApicUnavailableError');
    expect(error.retryable).toBe(true);
    expect(sim.counters()[ROUTES.consumerOrg] ?? 0).toBe(0);
  });

  it('reads the deadline at every call, so a warm client follows each invocation', async () => {
    const time = fakeClock(0);
    let deadline = -1;
    const apic = client({ ...time, deadline: () => deadline });
    expect((await failure(apic.getConsumerOrg(PROD, 'acme corp'))).name).toBe('ApicUnavailableError');
    deadline = 60_000;
    expect((await apic.getConsumerOrg(PROD, 'acme corp')).name).toBe('acme corp');
  });
});

describe('create', () => {
  const secret = (tag: string) => ({ clientId: `client-${tag}`, clientSecret: `secret-${tag}-f00d` });

  it('creates with a supplied client id and secret, and returns no secret', async () => {
    const pair = secret('plain');
    const created = await client().createCredential(SHOP, { name: 'main_new', title: 'Main_new', secret: pair });
    expect(created).toMatchObject({ name: 'main_new', title: 'Main_new', clientId: pair.clientId });
    expect(JSON.stringify(created)).not.toContain(pair.clientSecret);
    expect(sim.inspect.accepts(PROD.providerOrg, PROD.catalog, SHOP.consumerOrg, SHOP.app, pair.clientId, pair.clientSecret)).toBe(
      true,
    );
    await client().deleteCredential(SHOP, 'main_new');
  });

  it('resolves a connection dropped after commit by reading back: exactly one credential', async () => {
    const pair = secret('dropped');
    sim.faults.dropNext({ route: ROUTES.create }, { afterCommit: true });
    const created = await client().createCredential(SHOP, { name: 'dropped', title: 'Dropped', secret: pair });
    expect(created.clientId).toBe(pair.clientId);
    const matching = sim.inspect.credentials(PROD.providerOrg, PROD.catalog, SHOP.consumerOrg, SHOP.app).filter(
      (credential) => credential.name === 'dropped',
    );
    expect(matching).toEqual([expect.objectContaining({ clientId: pair.clientId })]);
    expect(sim.counters()[ROUTES.create]).toBe(1);
    expect(sim.counters()[ROUTES.getCredential]).toBe(1);
    await client().deleteCredential(SHOP, 'dropped');
  });

  it('posts again when the read-back finds nothing (dropped before commit, or a 503)', async () => {
    sim.faults.dropNext({ route: ROUTES.create }, { afterCommit: false });
    sim.faults.failNext({ route: ROUTES.create }, { count: 1, status: 503 });
    const pair = secret('retried');
    const created = await client().createCredential(SHOP, { name: 'retried', title: 'Retried', secret: pair });
    expect(created.clientId).toBe(pair.clientId);
    expect(sim.counters()[ROUTES.create]).toBe(3);
    expect(sim.counters()[ROUTES.getCredential]).toBe(2);
    expect(sleeps).toHaveLength(2);
    await client().deleteCredential(SHOP, 'retried');
  });

  it('treats a 409 for a credential holding the supplied client id as success', async () => {
    const pair = secret('twice');
    const apic = client();
    const first = await apic.createCredential(SHOP, { name: 'twice', title: 'Twice', secret: pair });
    const second = await apic.createCredential(SHOP, { name: 'twice', title: 'Twice', secret: pair });
    expect(second).toEqual(first);
    expect(sim.counters()[ROUTES.create]).toBe(2);
    await apic.deleteCredential(SHOP, 'twice');
  });

  it('raises ApicConflictError when the name exists with another client id', async () => {
    const error = await failure(client().createCredential(SHOP, { name: 'main', title: 'Main', secret: secret('other') }));
    expect(error.name).toBe('ApicConflictError');
    expect(error.status).toBe(409);
  });

  it('raises ApicConflictError on a 409 without a supplied client id', async () => {
    const error = await failure(client().createCredential(SHOP, { name: 'main', title: 'Main' }));
    expect(error.name).toBe('ApicConflictError');
  });

  it('raises ApicUnavailableError when create never gets an answer, leaving nothing behind', async () => {
    sim.faults.failNext({ route: ROUTES.create }, { count: 10, status: 504 });
    const error = await failure(
      client({ maxAttempts: 2 }).createCredential(SHOP, { name: 'never', title: 'Never', secret: secret('never') }),
    );
    expect(error.name).toBe('ApicUnavailableError');
    expect(sim.counters()[ROUTES.create]).toBe(2);
    expect(sim.inspect.credentials(PROD.providerOrg, PROD.catalog, SHOP.consumerOrg, SHOP.app).map((c) => c.name)).toEqual([
      'main',
    ]);
  });
});

describe('update, delete, reset, verify', () => {
  it('renames, verifies, resets and deletes a credential', async () => {
    const apic = client();
    const pair = { clientId: 'cycle-id', clientSecret: 'cycle-secret-0001' };
    await apic.createCredential(SHOP, { name: 'temp_new', title: 'Temp_new', secret: pair });
    const renamed = await apic.updateCredential(SHOP, 'temp_new', { name: 'temp', title: 'Temp' });
    expect(renamed).toMatchObject({ name: 'temp', title: 'Temp', clientId: 'cycle-id' });
    expect(await apic.verifyClientSecret(SHOP, 'temp', pair)).toBe(true);
    expect(await apic.verifyClientSecret(SHOP, 'temp', { ...pair, clientSecret: 'not-the-secret' })).toBe(false);

    const reset = await apic.resetClientSecret(SHOP, 'temp');
    expect(reset.clientId).toBe('cycle-id');
    expect(reset.clientSecret).not.toBe(pair.clientSecret);
    expect(await apic.verifyClientSecret(SHOP, 'temp', reset)).toBe(true);

    const patched = { clientId: 'cycle-id', clientSecret: 'cycle-secret-0002' };
    await apic.updateCredential(SHOP, 'temp', { clientSecret: patched.clientSecret });
    expect(await apic.verifyClientSecret(SHOP, 'temp', patched)).toBe(true);

    await apic.deleteCredential(SHOP, 'temp');
    const error = await failure(apic.verifyClientSecret(SHOP, 'temp', patched));
    expect(error.name).toBe('ApicNotFoundError');
  });

  it('surfaces a DELETE retried after a lost answer as ApicNotFoundError (callers re-read)', async () => {
    const apic = client();
    await apic.createCredential(SHOP, { name: 'gone', title: 'Gone' });
    sim.faults.dropNext({ route: ROUTES.delete }, { afterCommit: true });
    const error = await failure(apic.deleteCredential(SHOP, 'gone'));
    expect(error.name).toBe('ApicNotFoundError');
    expect(sim.counters()[ROUTES.delete]).toBe(2);
  });

  it('does not repeat reset-client-secret after a lost answer', async () => {
    const apic = client();
    await apic.createCredential(SHOP, { name: 'resettable', title: 'Resettable' });
    sim.faults.dropNext({ route: ROUTES.reset }, { afterCommit: true });
    const error = await failure(apic.resetClientSecret(SHOP, 'resettable'));
    expect(error.name).toBe('ApicUnavailableError');
    expect(sim.counters()[ROUTES.reset]).toBe(1);
    await apic.deleteCredential(SHOP, 'resettable');
  });

  it('raises ApicNotFoundError for an unknown app, credential or consumer org', async () => {
    const apic = client();
    const missingApp = await failure(apic.getApp({ ...SHOP, app: 'nope' }));
    expect(missingApp).toMatchObject({ name: 'ApicNotFoundError', status: 404, path: 'apps/porg1/prod/acme%20corp/nope' });
    expect((await failure(apic.deleteCredential(SHOP, 'nope'))).name).toBe('ApicNotFoundError');
    expect((await failure(apic.getConsumerOrg(PROD, 'nope'))).name).toBe('ApicNotFoundError');
    expect((await failure(apic.updateCredential(SHOP, 'nope', { title: 'x' }))).name).toBe('ApicNotFoundError');
  });
});

describe('names that need encoding', () => {
  it('reads, creates, renames and deletes with spaces, slashes and unicode', async () => {
    const apic = client();
    const app = await apic.getApp(ODD_APP);
    expect(app).toMatchObject({ name: 'a/b Café', consumerOrg: { name: 'acme corp' } });
    expect(app.credentials.map((credential) => credential.name)).toEqual(['x/y ключ']);
    expect(await apic.verifyClientSecret(ODD_APP, 'x/y ключ', { clientId: 'odd-client-id', clientSecret: 'odd-secret-1' })).toBe(
      true,
    );

    await apic.createCredential(ODD_APP, { name: 'new/ü cred', title: 'New' });
    await apic.updateCredential(ODD_APP, 'new/ü cred', { name: 'renamed ?#%', title: 'Renamed' });
    expect((await apic.listCredentials(ODD_APP)).map((credential) => credential.name).sort()).toEqual([
      'renamed ?#%',
      'x/y ключ',
    ]);
    await apic.deleteCredential(ODD_APP, 'renamed ?#%');
    expect(Object.keys(sim.counters()).filter((key) => key.includes('unknown'))).toEqual([]);
  });

  it('maps consumer orgs with and without owner e-mail', async () => {
    const orgs = await client().listConsumerOrgs(PROD);
    expect(orgs.find((org) => org.name === 'acme corp')).toMatchObject({ title: 'Acme Corp', ownerEmail: 'ann@example.com' });
    expect(orgs.find((org) => org.name === 'no-mail')).not.toHaveProperty('ownerEmail');
  });
});

describe('APIC variants', () => {
  let variant: ApicSimulator;

  beforeAll(async () => {
    variant = await startApicSimulator({
      seed,
      expandedCredentialsIncludeCreatedAt: false,
      expandedCredentialsKey: 'credentials',
      verifyMismatchStatus: 401,
    });
  });

  afterAll(async () => {
    simulatorsSecrets.push(...variant.issuedSecrets());
    await variant.close();
  });

  it('reads created_at per app when expanded credentials lack it', async () => {
    variant.resetCounters();
    const page = await client({}, variant).listAppsPage(SANDBOX, 0, 5);
    expect(page.apps.map((app) => app.credentials[0]?.name)).toEqual(['cred-0', 'cred-1', 'cred-2', 'cred-3', 'cred-4']);
    expect(page.apps.every((app) => app.credentials.every((credential) => !Number.isNaN(Date.parse(credential.createdAt))))).toBe(
      true,
    );
    expect(variant.counters()[ROUTES.catalogApps]).toBe(1);
    expect(variant.counters()[ROUTES.listCredentials]).toBe(5);
  });

  it('treats a 401 from verify as a possibly expired token first, and a second 401 as "does not match"', async () => {
    const apic = client({}, variant);
    const good = { clientId: 'odd-client-id', clientSecret: 'odd-secret-1' };
    expect(await apic.verifyClientSecret(ODD_APP, 'x/y ключ', good)).toBe(true);
    variant.resetCounters();
    expect(await apic.verifyClientSecret(ODD_APP, 'x/y ключ', { ...good, clientSecret: 'wrong-secret-9' })).toBe(false);
    expect(variant.counters()[ROUTES.token]).toBe(1);

    variant.faults.forceTokenExpiry();
    expect(await apic.verifyClientSecret(ODD_APP, 'x/y ключ', good)).toBe(true);
  });
});

describe('TLS with a private CA', () => {
  let dir: string;
  let tlsSim: ApicSimulator;
  let caPem: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apic-tls-'));
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Test APIC CA');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
    caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
    tlsSim = await startApicSimulator({
      seed,
      tls: { key: readFileSync(join(dir, 'server.key'), 'utf8'), cert: readFileSync(join(dir, 'server.pem'), 'utf8') },
    });
  });

  afterAll(async () => {
    simulatorsSecrets.push(...tlsSim.issuedSecrets());
    await tlsSim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('trusts the simulator through caBundle, with verification on', async () => {
    expect(tlsSim.baseUrl.startsWith('https://127.0.0.1:')).toBe(true);
    const org = await client({ caBundle: caPem }, tlsSim).getConsumerOrg(PROD, 'acme corp');
    expect(org.ownerEmail).toBe('ann@example.com');
  });

  it('refuses the self-signed chain without caBundle, and names no secret', async () => {
    tlsSim.resetCounters();
    const error = await failure(client({}, tlsSim).getConsumerOrg(PROD, 'acme corp'));
    expect(error.name).toBe('ApicError');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/certificate/i);
    expect(tlsSim.counters()[ROUTES.token]).toBeUndefined();
  });
});

describe('secrets', () => {
  it('no error message raised in this suite carries an issued secret', () => {
    const secrets = [...new Set([...simulatorsSecrets, ...sim.issuedSecrets()])];
    expect(errorMessages.length).toBeGreaterThan(15);
    expect(secrets.length).toBeGreaterThan(5);
    const hits = errorMessages.flatMap((message) => secrets.filter((secret) => message.includes(secret)));
    expect(hits).toEqual([]);
  });
});
