import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateCatalog } from '../tools/apic-simulator/generate';
import { SimulatorLookupError, SimulatorSeedError, startApicSimulator } from '../tools/apic-simulator/index';
import type { ApicSimulator, SimCredentialSeed, SimulatorOptions, SimulatorSeed } from '../tools/apic-simulator/index';
import { SAMPLE_CATALOG, SAMPLE_PROVIDER_ORG, sampleCatalog } from '../tools/apic-simulator/sample';
import { DAY_MS } from '../functions/domain/time';

const PORG = 'acme';
const CATALOG = 'sandbox';
const NOW = new Date('2025-06-01T12:00:00.000Z');
type Json = Record<string, unknown>;
interface Answer {
  status: number;
  body: Json;
  headers: Headers;
}

const open: ApicSimulator[] = [];
async function start(options: SimulatorOptions = {}): Promise<ApicSimulator> {
  const simulator = await startApicSimulator({ now: NOW, randomSeed: 7, ...options });
  open.push(simulator);
  return simulator;
}
afterAll(async () => {
  await Promise.all(open.map((simulator) => simulator.close()));
});

function passwordGrant(simulator: ApicSimulator): Json {
  const { username, password, realm, clientId, clientSecret } = simulator.admin;
  return { grant_type: 'password', username, password, realm, client_id: clientId, client_secret: clientSecret };
}

async function call(
  simulator: ApicSimulator,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const response = await fetch(new URL(path, simulator.baseUrl), { method, headers, body });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Json), headers: response.headers };
}

async function tokenFor(simulator: ApicSimulator): Promise<string> {
  const answer = await call(simulator, 'POST', 'token', { body: passwordGrant(simulator) });
  expect(answer.status).toBe(200);
  return answer.body.access_token as string;
}

/** A client bound to one simulator and token. */
function clientOf(simulator: ApicSimulator, token: string) {
  return (method: string, path: string, body?: unknown) => call(simulator, method, path, { token, body });
}

function results(answer: Answer): Json[] {
  return answer.body.results as Json[];
}

function appPath(consumerOrg: string, app: string): string {
  return `apps/${PORG}/${CATALOG}/${encodeURIComponent(consumerOrg)}/${encodeURIComponent(app)}`;
}

function oneApp(consumerOrg: string, app: string, credentials: SimCredentialSeed[]): SimulatorSeed {
  return {
    catalogs: [
      {
        providerOrg: PORG,
        catalog: CATALOG,
        consumerOrgs: [{ name: consumerOrg, owner: { email: `${consumerOrg}@example.com` }, apps: [{ name: app, credentials }] }],
      },
    ],
  };
}

describe('authentication', () => {
  it('issues a bearer token for the password grant and the api_key grant', async () => {
    const simulator = await start();
    const password = await call(simulator, 'POST', 'token', { body: passwordGrant(simulator) });
    expect(password.status).toBe(200);
    expect(password.body).toMatchObject({ token_type: 'Bearer', expires_in: 28_800 });
    const apiKey = await call(simulator, 'POST', 'token', {
      body: {
        grant_type: 'api_key',
        api_key: simulator.apiKey,
        client_id: simulator.admin.clientId,
        client_secret: simulator.admin.clientSecret,
      },
    });
    expect(apiKey.status).toBe(200);
    const listing = await call(simulator, 'GET', `catalogs/${PORG}/${CATALOG}/apps`, {
      token: apiKey.body.access_token as string,
    });
    expect(listing.status).not.toBe(401);
  });

  it('answers 401 to a wrong password without echoing it', async () => {
    const simulator = await start();
    const body = { ...passwordGrant(simulator), password: 'wrong-password-123' };
    const answer = await call(simulator, 'POST', 'token', { body });
    expect(answer.status).toBe(401);
    expect(answer.body.status).toBe(401);
    expect(Array.isArray(answer.body.message)).toBe(true);
    expect(JSON.stringify(answer.body)).not.toContain('wrong-password-123');
  });

  it('answers 401 to a missing or unknown bearer token', async () => {
    const simulator = await start({ seed: oneApp('org', 'app', []) });
    expect((await call(simulator, 'GET', appPath('org', 'app'))).status).toBe(401);
    expect((await call(simulator, 'GET', appPath('org', 'app'), { token: 'forged' })).status).toBe(401);
    expect((await call(simulator, 'GET', appPath('org', 'app'), { token: await tokenFor(simulator) })).status).toBe(200);
  });

  it('invalidates every issued token on forceTokenExpiry and when the TTL has passed', async () => {
    const simulator = await start({ seed: oneApp('org', 'app', []) });
    const token = await tokenFor(simulator);
    simulator.faults.forceTokenExpiry();
    expect((await call(simulator, 'GET', appPath('org', 'app'), { token })).status).toBe(401);
    expect((await call(simulator, 'GET', appPath('org', 'app'), { token: await tokenFor(simulator) })).status).toBe(200);

    const shortLived = await start({ seed: oneApp('org', 'app', []), tokenTtlSeconds: 0 });
    const expired = await tokenFor(shortLived);
    expect((await call(shortLived, 'GET', appPath('org', 'app'), { token: expired })).status).toBe(401);
  });
});

describe('listings', () => {
  let simulator: ApicSimulator;
  let api: ReturnType<typeof clientOf>;
  beforeAll(async () => {
    simulator = await start({ defaultPageLimit: 3, maxPageLimit: 4, seed: sampleCatalog() });
    api = clientOf(simulator, await tokenFor(simulator));
  });

  it('pages credentials by limit and offset with a stable total and order', async () => {
    const names = Array.from({ length: 7 }, (_, index) => `cred-${index}`);
    simulator.seed(oneApp('paging-org', 'paging-app', names.map((name) => ({ name }))));
    const seen: string[] = [];
    for (let offset = 0; offset < 7; offset += 3) {
      const page = await api('GET', `${appPath('paging-org', 'paging-app')}/credentials?limit=3&offset=${offset}`);
      expect(page.body.total_results).toBe(7);
      seen.push(...results(page).map((credential) => credential.name as string));
    }
    expect(seen).toEqual(names);
  });

  it('uses the default limit without one and clamps a larger one to the maximum', async () => {
    const path = `catalogs/${SAMPLE_PROVIDER_ORG}/${SAMPLE_CATALOG}/consumer-orgs`;
    expect(results(await api('GET', path))).toHaveLength(3);
    const clamped = await api('GET', `${path}?limit=1000`);
    expect(results(clamped)).toHaveLength(4);
    expect(clamped.body.total_results).toBe(4);
    expect((await api('GET', `${path}?limit=-1`)).status).toBe(400);
  });

  it('gives consumer orgs an owner_url, and the owner with its e-mail under expand=owner', async () => {
    const path = `catalogs/${SAMPLE_PROVIDER_ORG}/${SAMPLE_CATALOG}/consumer-orgs?limit=4`;
    const plain = results(await api('GET', path));
    expect(plain[0]).toHaveProperty('owner_url');
    expect(plain[0]).not.toHaveProperty('owner');
    const expanded = results(await api('GET', `${path}&expand=owner`));
    expect(expanded[0]?.owner).toMatchObject({ username: 'alice', email: 'alice@retail-bank.example.com' });
    const withoutEmail = expanded.find((org) => org.name === 'legacy-partner');
    expect(withoutEmail?.owner).toMatchObject({ username: 'legacy-admin' });
    expect(withoutEmail?.owner).not.toHaveProperty('email');
    const single = await api('GET', `consumer-orgs/${SAMPLE_PROVIDER_ORG}/${SAMPLE_CATALOG}/retail-bank?expand=owner`);
    expect(single.body.owner).toMatchObject({ email: 'alice@retail-bank.example.com' });
  });

  it('expands credentials and consumer org on the catalog-wide app listing', async () => {
    const base = `catalogs/${SAMPLE_PROVIDER_ORG}/${SAMPLE_CATALOG}/apps?limit=4`;
    const plain = results(await api('GET', base));
    expect(plain[0]).toHaveProperty('consumer_org_url');
    expect(plain[0]).not.toHaveProperty('app_credentials');
    expect(plain[0]).not.toHaveProperty('consumer_org');
    const expanded = results(await api('GET', `${base}&offset=1&expand=credentials,consumer_org`));
    const myApp = expanded.find((app) => app.name === 'my-app');
    expect(myApp?.consumer_org).toMatchObject({ name: 'retail-bank', title: 'Retail Bank' });
    expect((myApp?.consumer_org as Json).url).toBe(myApp?.consumer_org_url);
    const credentials = myApp?.app_credentials as Json[];
    expect(credentials.map((credential) => credential.name)).toEqual(['Credential-for-My App', 'batch-jobs']);
    expect(credentials[0]).toHaveProperty('created_at');
    expect(credentials[0]).not.toHaveProperty('client_secret');
  });

  it('lists a consumer org apps with id-based credential URLs that can be fetched', async () => {
    const answer = await api('GET', `consumer-orgs/${SAMPLE_PROVIDER_ORG}/${SAMPLE_CATALOG}/insurance-partners/apps?expand=credentials`);
    const [claims] = results(answer);
    const urls = claims?.app_credential_urls as string[];
    expect(urls).toHaveLength(3);
    expect((claims?.app_credentials as Json[]).map((credential) => credential.id)).toEqual(
      urls.map((url) => url.split('/').at(-1)),
    );
    expect(urls[0]).not.toContain(SAMPLE_PROVIDER_ORG);
    const fetched = await api('GET', urls[2] ?? '');
    expect(fetched.body).toMatchObject({ name: 'zürich-büro', title: 'Zürich Büro' });
  });

  it('lists every credential of the catalog with app_url and consumer_org_url', async () => {
    const answer = await api('GET', `catalogs/${SAMPLE_PROVIDER_ORG}/${SAMPLE_CATALOG}/credentials?limit=4&offset=4`);
    expect(answer.body.total_results).toBe(8);
    const [credential] = results(answer);
    const app = await api('GET', credential?.app_url as string);
    expect(app.body.app_credential_urls).toContain(credential?.url);
    expect(app.body.consumer_org_url).toBe(credential?.consumer_org_url);
  });

  it('omits created_at from expanded credentials when configured like older APIC versions', async () => {
    const older = await start({ seed: oneApp('org', 'app', [{ name: 'c1' }]), expandedCredentialsIncludeCreatedAt: false });
    const answer = await call(older, 'GET', `catalogs/${PORG}/${CATALOG}/apps?expand=credentials`, {
      token: await tokenFor(older),
    });
    const [credential] = results(answer)[0]?.app_credentials as Json[];
    expect(credential).toMatchObject({ name: 'c1' });
    expect(credential).not.toHaveProperty('created_at');
  });
});

describe('path segments', () => {
  it('accept names (URL-encoded, with space, slash and unicode) or ids', async () => {
    const simulator = await start({ seed: oneApp('Org/Slash', 'My App', [{ name: 'zürich büro/1', title: 'Z' }]) });
    const api = clientOf(simulator, await tokenFor(simulator));
    const byName = await api('GET', `${appPath('Org/Slash', 'My App')}/credentials/${encodeURIComponent('zürich büro/1')}`);
    expect(byName.status).toBe(200);
    const url = new URL(byName.body.url as string);
    const [, , , porgId, catalogId, corgId, appId, , credentialId] = url.pathname.split('/');
    const mixed = await api('GET', `apps/${porgId}/${CATALOG}/${corgId}/${encodeURIComponent('My App')}/credentials/${credentialId}`);
    expect(mixed.body.id).toBe(byName.body.id);
    expect((await api('GET', `apps/${porgId}/${catalogId}/${corgId}/${appId}`)).body.name).toBe('My App');
  });
});

describe('credential mutations', () => {
  let simulator: ApicSimulator;
  let api: ReturnType<typeof clientOf>;
  beforeAll(async () => {
    simulator = await start();
    api = clientOf(simulator, await tokenFor(simulator));
  });

  function freshApp(name: string, credentials: SimCredentialSeed[] = []): string {
    simulator.seed(oneApp('mutations', name, credentials));
    return `${appPath('mutations', name)}/credentials`;
  }

  it('returns the generated secret once on create and only its hash afterwards', async () => {
    const credentials = freshApp('create');
    const created = await api('POST', credentials, { name: 'first', title: 'First' });
    expect(created.status).toBe(201);
    expect(created.body.client_id).toMatch(/^[0-9a-f]{32}$/);
    const secret = created.body.client_secret as string;
    expect(secret.length).toBeGreaterThanOrEqual(40);
    expect(simulator.issuedSecrets()).toContain(secret);
    const fetched = await api('GET', `${credentials}/first`);
    expect(fetched.body).not.toHaveProperty('client_secret');
    expect(fetched.body).toHaveProperty('client_secret_hashed');
    expect(JSON.stringify(await api('GET', credentials))).not.toContain(secret);
    expect(simulator.inspect.accepts(PORG, CATALOG, 'mutations', 'create', created.body.client_id as string, secret)).toBe(true);
  });

  it('honours a supplied client id and secret, or ignores them when configured to', async () => {
    const credentials = freshApp('supplied');
    const created = await api('POST', credentials, { name: 'mine', client_id: 'my-client-id', client_secret: 'my-secret-value' });
    expect(created.body).toMatchObject({ client_id: 'my-client-id', client_secret: 'my-secret-value' });
    expect(simulator.inspect.accepts(PORG, CATALOG, 'mutations', 'supplied', 'my-client-id', 'my-secret-value')).toBe(true);

    const strict = await start({ seed: oneApp('org', 'app', []), acceptSuppliedCredentials: false });
    const ignored = await call(strict, 'POST', `${appPath('org', 'app')}/credentials`, {
      token: await tokenFor(strict),
      body: { name: 'mine', client_id: 'my-client-id', client_secret: 'my-secret-value' },
    });
    expect(ignored.status).toBe(201);
    expect(ignored.body.client_id).not.toBe('my-client-id');
    expect(ignored.body.client_secret).not.toBe('my-secret-value');
  });

  it('answers 409 to a duplicate name on create and on rename', async () => {
    const credentials = freshApp('conflicts', [{ name: 'a' }, { name: 'b' }]);
    const duplicate = await api('POST', credentials, { name: 'a' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ status: 409 });
    expect((await api('PATCH', `${credentials}/b`, { name: 'a' })).status).toBe(409);
    expect(simulator.inspect.credentials(PORG, CATALOG, 'mutations', 'conflicts').map((c) => c.name)).toEqual(['a', 'b']);
  });

  it('answers 400 to malformed bodies and to a client id used elsewhere in the catalog', async () => {
    freshApp('taken', [{ name: 'x', clientId: 'taken-client-id' }]);
    const credentials = freshApp('malformed');
    for (const body of [['name'], 'name', {}, { name: '' }, { name: 'n', title: 5 }, { name: 'n', client_secret: 7 }]) {
      expect((await api('POST', credentials, body)).status).toBe(400);
    }
    const invalidJson = await call(simulator, 'POST', credentials, { token: await tokenFor(simulator), rawBody: '{oops' });
    expect(invalidJson.status).toBe(400);
    expect((await api('POST', credentials, { name: 'n', client_id: 'taken-client-id' })).status).toBe(400);
    expect(simulator.inspect.credentials(PORG, CATALOG, 'mutations', 'malformed')).toEqual([]);
  });

  it('can answer 409 to a client id used elsewhere when configured to', async () => {
    const other = await start({ seed: oneApp('org', 'app', [{ name: 'x', clientId: 'taken' }]), duplicateClientIdStatus: 409 });
    const answer = await call(other, 'POST', `${appPath('org', 'app')}/credentials`, {
      token: await tokenFor(other),
      body: { name: 'y', client_id: 'taken' },
    });
    expect(answer.status).toBe(409);
  });

  it('answers 404 for an unknown provider org, catalog, consumer org, app or credential', async () => {
    freshApp('known', [{ name: 'c' }]);
    for (const path of [
      'apps/nope/sandbox/mutations/known/credentials/c',
      `apps/${PORG}/nope/mutations/known/credentials/c`,
      `apps/${PORG}/${CATALOG}/nope/known/credentials/c`,
      `apps/${PORG}/${CATALOG}/mutations/nope/credentials/c`,
      `apps/${PORG}/${CATALOG}/mutations/known/credentials/nope`,
      `catalogs/${PORG}/nope/apps`,
    ]) {
      const answer = await api('GET', path);
      expect(answer.status, path).toBe(404);
      expect(answer.body).toMatchObject({ status: 404 });
    }
  });

  it('renames with PATCH, keeps the id, and returns no secret', async () => {
    const credentials = freshApp('rename', [{ name: 'old_new', title: 'Old_new' }]);
    const before = await api('GET', `${credentials}/old_new`);
    const patched = await api('PATCH', `${credentials}/old_new`, { name: 'old', title: 'Old' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: before.body.id, name: 'old', title: 'Old' });
    expect(patched.body).not.toHaveProperty('client_secret');
    expect((await api('GET', `${credentials}/old_new`)).status).toBe(404);
    expect((await api('GET', `${credentials}/old`)).body.id).toBe(before.body.id);
  });

  it('replaces the secret through PATCH when one is supplied', async () => {
    const credentials = freshApp('patch-secret', [{ name: 'c', clientId: 'patch-client', clientSecret: 'old-secret' }]);
    const patched = await api('PATCH', `${credentials}/c`, { client_secret: 'new-secret' });
    expect(patched.body).not.toHaveProperty('client_secret');
    expect(simulator.inspect.accepts(PORG, CATALOG, 'mutations', 'patch-secret', 'patch-client', 'new-secret')).toBe(true);
    expect(simulator.inspect.accepts(PORG, CATALOG, 'mutations', 'patch-secret', 'patch-client', 'old-secret')).toBe(false);
  });

  it('deletes with 200 and the deleted object', async () => {
    const credentials = freshApp('delete', [{ name: 'gone' }, { name: 'kept' }]);
    const deleted = await api('DELETE', `${credentials}/gone`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.name).toBe('gone');
    expect((await api('GET', `${credentials}/gone`)).status).toBe(404);
    expect(simulator.inspect.credentials(PORG, CATALOG, 'mutations', 'delete').map((c) => c.name)).toEqual(['kept']);
  });

  it('resets the secret alone or with the client id, returning the new secret once', async () => {
    const credentials = freshApp('reset', [{ name: 'c', clientId: 'reset-client', clientSecret: 'reset-old' }]);
    const secretOnly = await api('POST', `${credentials}/c/reset-client-secret`);
    expect(secretOnly.status).toBe(200);
    expect(secretOnly.body.client_id).toBe('reset-client');
    const newSecret = secretOnly.body.client_secret as string;
    expect(newSecret).not.toBe('reset-old');
    expect(simulator.inspect.accepts(PORG, CATALOG, 'mutations', 'reset', 'reset-client', 'reset-old')).toBe(false);
    expect(simulator.inspect.accepts(PORG, CATALOG, 'mutations', 'reset', 'reset-client', newSecret)).toBe(true);

    const both = await api('POST', `${credentials}/c/reset`);
    expect(both.body.client_id).not.toBe('reset-client');
    expect(simulator.issuedSecrets()).toContain(both.body.client_secret);
    expect((await api('GET', `${credentials}/c`)).body).not.toHaveProperty('client_secret');
  });

  it('verifies a client secret: 200 when it matches, 400 otherwise', async () => {
    const credentials = freshApp('verify', [{ name: 'c', clientId: 'verify-client', clientSecret: 'verify-secret' }]);
    const verify = (body: unknown) => api('POST', `${credentials}/c/verify-client-secret`, body);
    expect((await verify({ client_id: 'verify-client', client_secret: 'verify-secret' })).status).toBe(200);
    const mismatch = await verify({ client_id: 'verify-client', client_secret: 'guess-secret' });
    expect(mismatch.status).toBe(400);
    expect(JSON.stringify(mismatch.body)).not.toContain('guess-secret');
    expect((await verify({ client_id: 'other-client', client_secret: 'verify-secret' })).status).toBe(400);
    expect((await verify({ client_secret: 'verify-secret' })).status).toBe(400);
  });

  it('can answer 401 to a verify mismatch when configured to', async () => {
    const other = await start({ seed: oneApp('org', 'app', [{ name: 'c', clientId: 'id', clientSecret: 's' }]), verifyMismatchStatus: 401 });
    const answer = await call(other, 'POST', `${appPath('org', 'app')}/credentials/c/verify-client-secret`, {
      token: await tokenFor(other),
      body: { client_id: 'id', client_secret: 'wrong' },
    });
    expect(answer.status).toBe(401);
  });
});

describe('configurable uncertainties', () => {
  it('can refuse to delete the last credential of an app', async () => {
    const simulator = await start({ seed: oneApp('org', 'app', [{ name: 'a' }, { name: 'b' }]), refuseLastCredentialDelete: true });
    const api = clientOf(simulator, await tokenFor(simulator));
    const credentials = `${appPath('org', 'app')}/credentials`;
    expect((await api('DELETE', `${credentials}/a`)).status).toBe(200);
    expect((await api('DELETE', `${credentials}/b`)).status).toBe(400);
    expect(simulator.inspect.credentials(PORG, CATALOG, 'org', 'app').map((c) => c.name)).toEqual(['b']);
  });

  it('can put expanded credentials under the key `credentials`', async () => {
    const simulator = await start({ seed: oneApp('org', 'app', [{ name: 'a' }]), expandedCredentialsKey: 'credentials' });
    const answer = await call(simulator, 'GET', `catalogs/${PORG}/${CATALOG}/apps?expand=credentials`, {
      token: await tokenFor(simulator),
    });
    const [app] = results(answer);
    expect((app?.credentials as Json[]).map((credential) => credential.name)).toEqual(['a']);
    expect(app).not.toHaveProperty('app_credentials');
  });
});

describe('seeding and inspection errors', () => {
  it('rejects a credential seeded twice or a reused client id, and lookups of unknown apps', async () => {
    const simulator = await start({ seed: oneApp('org', 'app', [{ name: 'a', clientId: 'cid' }]) });
    expect(() => simulator.seed(oneApp('org', 'app', [{ name: 'a' }]))).toThrow(SimulatorSeedError);
    expect(() => simulator.seed(oneApp('org', 'other', [{ name: 'b', clientId: 'cid' }]))).toThrow(SimulatorSeedError);
    expect(() => simulator.inspect.credentials(PORG, CATALOG, 'org', 'missing')).toThrow(SimulatorLookupError);
    simulator.seed(oneApp('org', 'app', [{ name: 'c' }]));
    expect(simulator.inspect.apps(PORG, CATALOG)[0]).toEqual({ consumerOrg: 'org', app: 'app', credentialCount: 2 });
  });
});

describe('clock', () => {
  it('dates seeded credentials by age and new ones by the controllable clock', async () => {
    const simulator = await start({
      seed: oneApp('org', 'app', [{ name: 'aged', ageDays: 30 }, { name: 'fixed', createdAt: '2024-01-31T10:00:00Z' }]),
    });
    const api = clientOf(simulator, await tokenFor(simulator));
    const credentials = `${appPath('org', 'app')}/credentials`;
    expect((await api('GET', `${credentials}/aged`)).body.created_at).toBe(new Date(NOW.getTime() - 30 * DAY_MS).toISOString());
    expect((await api('GET', `${credentials}/fixed`)).body.created_at).toBe('2024-01-31T10:00:00.000Z');

    simulator.clock.advanceDays(10);
    const later = new Date(NOW.getTime() + 10 * DAY_MS).toISOString();
    expect(simulator.clock.now().toISOString()).toBe(later);
    expect((await api('POST', credentials, { name: 'new' })).body).toMatchObject({ created_at: later, updated_at: later });

    const muchLater = new Date('2026-01-01T00:00:00.000Z');
    simulator.clock.set(muchLater);
    const patched = await api('PATCH', `${credentials}/new`, { title: 'New' });
    expect(patched.body).toMatchObject({ created_at: later, updated_at: muchLater.toISOString() });
  });
});

describe('faults and counters', () => {
  let simulator: ApicSimulator;
  let api: ReturnType<typeof clientOf>;
  const credentials = `${appPath('org', 'app')}/credentials`;
  const CREATE = 'POST /apps/:porg/:catalog/:corg/:app/credentials';
  const LIST = 'GET /apps/:porg/:catalog/:corg/:app/credentials';
  beforeAll(async () => {
    simulator = await start({ seed: oneApp('org', 'app', [{ name: 'seeded' }]) });
    api = clientOf(simulator, await tokenFor(simulator));
  });
  afterEach(() => {
    simulator.faults.clear();
  });
  const names = () => simulator.inspect.credentials(PORG, CATALOG, 'org', 'app').map((c) => c.name);

  it('fails the next matching requests with the given 5xx, then answers normally', async () => {
    simulator.faults.failNext({ route: LIST }, { count: 2, status: 502 });
    expect((await api('GET', credentials)).status).toBe(502);
    expect((await api('GET', `${credentials}/seeded`)).status).toBe(200);
    expect((await api('GET', credentials)).status).toBe(502);
    expect((await api('GET', credentials)).status).toBe(200);
  });

  it('throttles with 429 and Retry-After', async () => {
    simulator.faults.throttleNext({ method: 'GET' }, { count: 1, retryAfterSeconds: 7 });
    const throttled = await api('GET', credentials);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect((await api('GET', credentials)).status).toBe(200);
  });

  it('drops a mutation before it commits', async () => {
    simulator.faults.dropNext({ route: CREATE }, { afterCommit: false });
    await expect(api('POST', credentials, { name: 'lost-before' })).rejects.toThrow();
    expect(names()).not.toContain('lost-before');
  });

  it('drops the answer of a committed mutation', async () => {
    simulator.faults.dropNext({ route: CREATE }, { afterCommit: true });
    await expect(api('POST', credentials, { name: 'lost-after' })).rejects.toThrow();
    expect(names()).toContain('lost-after');
    expect((await api('POST', credentials, { name: 'lost-after' })).status).toBe(409);
  });

  it('applies random fault rates overall and per route', async () => {
    simulator.faults.set({ errorRate: { [CREATE]: 1 } });
    expect((await api('POST', credentials, { name: 'never' })).status).toBe(503);
    expect((await api('GET', credentials)).status).toBe(200);
    simulator.faults.set({ throttleRate: 1, retryAfterSeconds: 3 });
    const throttled = await api('GET', credentials);
    expect([throttled.status, throttled.headers.get('retry-after')]).toEqual([429, '3']);
    simulator.faults.set({ dropRate: 1 });
    await expect(api('GET', credentials)).rejects.toThrow();
    simulator.faults.set({ latencyMs: 5, latencyJitterMs: 5 });
    expect((await api('GET', credentials)).status).toBe(200);
    expect(names()).not.toContain('never');
  });

  it('counts every request per route key, faulted ones included, and excludes the token call from the total', async () => {
    simulator.resetCounters();
    await tokenFor(simulator);
    simulator.faults.failNext({ route: LIST }, { count: 1, status: 500 });
    await api('GET', credentials);
    await api('GET', credentials);
    await api('GET', `${credentials}/seeded`);
    await api('GET', 'no/such/route');
    expect(simulator.counters()).toEqual({
      'POST /token': 1,
      [LIST]: 2,
      'GET /apps/:porg/:catalog/:corg/:app/credentials/:cred': 1,
      'GET (unknown)': 1,
    });
    expect(simulator.totalCalls()).toBe(4);
    simulator.resetCounters();
    expect(simulator.totalCalls()).toBe(0);
  });
});

describe('wipeCredentials', () => {
  it('keeps apps with their names and removes every credential of the catalog', async () => {
    const simulator = await start({ seed: sampleCatalog() });
    const api = clientOf(simulator, await tokenFor(simulator));
    const appsBefore = simulator.inspect.apps(SAMPLE_PROVIDER_ORG, SAMPLE_CATALOG);
    simulator.wipeCredentials(SAMPLE_PROVIDER_ORG, SAMPLE_CATALOG);
    const appsAfter = simulator.inspect.apps(SAMPLE_PROVIDER_ORG, SAMPLE_CATALOG);
    expect(appsAfter.map(({ consumerOrg, app }) => `${consumerOrg}/${app}`)).toEqual(
      appsBefore.map(({ consumerOrg, app }) => `${consumerOrg}/${app}`),
    );
    expect(appsAfter.every((app) => app.credentialCount === 0)).toBe(true);
    const listing = await api('GET', `catalogs/${SAMPLE_PROVIDER_ORG}/${SAMPLE_CATALOG}/credentials`);
    expect(listing.body.total_results).toBe(0);
    const myApp = await api('GET', `apps/${SAMPLE_PROVIDER_ORG}/${SAMPLE_CATALOG}/retail-bank/my-app`);
    expect(myApp.body.app_credential_urls).toEqual([]);
  });
});

describe('generated catalogs', () => {
  it('are deterministic for a seed and respect the requested ranges', () => {
    const shape = {
      providerOrg: 'p',
      catalog: 'c',
      consumerOrgs: 50,
      appsPerOrg: [1, 3] as const,
      credentialsPerApp: [0, 4] as const,
      ageDays: [10, 20] as const,
      randomSeed: 42,
    };
    const seed = generateCatalog(shape);
    expect(generateCatalog(shape)).toEqual(seed);
    expect(generateCatalog({ ...shape, randomSeed: 43 })).not.toEqual(seed);
    const orgs = seed.catalogs[0]?.consumerOrgs ?? [];
    expect(orgs).toHaveLength(50);
    const apps = orgs.flatMap((org) => org.apps);
    expect(orgs.every((org) => org.apps.length >= 1 && org.apps.length <= 3 && org.owner?.email)).toBe(true);
    const credentials = apps.flatMap((app) => app.credentials);
    expect(apps.every((app) => app.credentials.length <= 4)).toBe(true);
    expect(credentials.every(({ ageDays = -1 }) => ageDays >= 10 && ageDays <= 20)).toBe(true);
  });

  it('seed 100,000 credentials that list completely across pages', async () => {
    const seed = generateCatalog({
      providerOrg: PORG,
      catalog: 'big',
      consumerOrgs: 20_000,
      appsPerOrg: 1,
      credentialsPerApp: 5,
      ageDays: [1, 200],
      randomSeed: 3,
    });
    const simulator = await start({ seed });
    const api = clientOf(simulator, await tokenFor(simulator));
    const first = await api('GET', `catalogs/${PORG}/big/credentials?limit=100`);
    expect(first.body.total_results).toBe(100_000);
    const last = await api('GET', `catalogs/${PORG}/big/credentials?limit=100&offset=99950`);
    expect(results(last)).toHaveLength(50);
    expect(results(last).at(-1)?.name).toBe('corg-20000-app-1-cred-5');
    const apps = await api('GET', `catalogs/${PORG}/big/apps?expand=credentials,consumer_org&limit=100&offset=19900`);
    expect(results(apps)).toHaveLength(100);
    expect((results(apps)[99]?.app_credentials as Json[]).length).toBe(5);
  });
});

describe('https', () => {
  it('serves over TLS with a self-signed certificate', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'apic-sim-tls-'));
    try {
      const keyPath = join(directory, 'key.pem');
      const certPath = join(directory, 'cert.pem');
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath,
        '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      ], { stdio: 'ignore' });
      const cert = readFileSync(certPath, 'utf8');
      const simulator = await start({ tls: { key: readFileSync(keyPath, 'utf8'), cert } });
      expect(simulator.baseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/api\/$/);
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const request = httpsRequest(
          new URL('token', simulator.baseUrl),
          { method: 'POST', ca: cert, headers: { 'content-type': 'application/json' } },
          (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode));
          },
        );
        request.on('error', reject);
        request.end(JSON.stringify(passwordGrant(simulator)));
      });
      expect(status).toBe(200);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
