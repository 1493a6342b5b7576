/** ApicClient against a scripted loopback server, for answers the simulator does not give. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApicClient, type ApicClientOptions, type RequestInfo } from '../functions/adapters/apic/client';
import { ApicDataError, ApicError } from '../functions/domain/apic/errors';

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

const ADMIN = {
  grantType: 'password' as const,
  username: 'admin',
  password: 'admin-password-77',
  realm: 'provider/default-idp-2',
  clientId: 'toolkit',
  clientSecret: 'toolkit-secret-88',
};
const TARGET = { providerOrg: 'p', catalog: 'c' };
const APP = { ...TARGET, consumerOrg: 'o', app: 'a' };
const NOW = '2025-01-01T00:00:00.000Z';

let server: Server;
let baseUrl: string;
let handlers: Handler[];
let seen: Array<{ method: string; url: string; body: string }>;
const clients: ApicClient[] = [];

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/** Token requests are answered directly; every other request takes the next scripted handler. */
function script(...steps: Handler[]): void {
  handlers = steps;
}

function client(overrides: Partial<ApicClientOptions> = {}): ApicClient {
  const created = new ApicClient({
    baseUrl,
    credentials: async () => ADMIN,
    sleep: async () => undefined,
    random: () => 0,
    ...overrides,
  });
  clients.push(created);
  return created;
}

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', body });
      if (request.url === '/api/token') {
        json(response, 200, { access_token: 'tok-abcdef-123', token_type: 'Bearer', expires_in: 3600 });
        return;
      }
      const next = handlers.shift();
      if (next) next(request, body, response);
      else json(response, 500, { message: ['unscripted'] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  handlers = [];
  seen = [];
});

afterEach(() => {
  clients.splice(0).forEach((created) => created.close());
});

async function failure(promise: Promise<unknown>): Promise<ApicError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApicError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const credential = (overrides: Record<string, unknown> = {}) => ({
  id: 'id1',
  name: 'c1',
  title: 'C1',
  client_id: 'cid',
  created_at: NOW,
  ...overrides,
});

describe('requests', () => {
  it('sends the password grant and a bearer token, with the base path joined once', async () => {
    script((_request, _body, response) => json(response, 200, { total_results: 0, results: [] }));
    await client().listCredentials(APP);
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({
      grant_type: 'password',
      username: 'admin',
      password: 'admin-password-77',
      realm: 'provider/default-idp-2',
      client_id: 'toolkit',
      client_secret: 'toolkit-secret-88',
    });
    expect(seen[1]?.url).toBe('/api/apps/p/c/o/a/credentials?limit=100&offset=0');
  });

  it('reports each exchange to onRequest with the route template', async () => {
    const infos: RequestInfo[] = [];
    script(
      (_request, _body, response) => json(response, 503, {}),
      (_request, _body, response) => json(response, 200, { total_results: 0, results: [] }),
    );
    await client({ onRequest: (info) => infos.push(info) }).listCredentials(APP);
    expect(infos).toEqual([
      { method: 'POST', route: '/token', status: 200, attempt: 1 },
      { method: 'GET', route: '/apps/:porg/:catalog/:corg/:app/credentials', status: 503, attempt: 1 },
      { method: 'GET', route: '/apps/:porg/:catalog/:corg/:app/credentials', status: 200, attempt: 2 },
    ]);
  });

  it('stops on an empty page even when total_results promises more', async () => {
    script(
      (_request, _body, response) => json(response, 200, { total_results: 5, results: [credential()] }),
      (_request, _body, response) => json(response, 200, { total_results: 5, results: [] }),
    );
    expect(await client().listCredentials(APP)).toHaveLength(1);
    expect(seen.map((request) => request.url).slice(1)).toEqual([
      '/api/apps/p/c/o/a/credentials?limit=100&offset=0',
      '/api/apps/p/c/o/a/credentials?limit=100&offset=1',
    ]);
  });

  it('advances by what the server returned when it caps the page size', async () => {
    script(
      (_request, _body, response) => json(response, 200, { total_results: 3, results: [credential(), credential({ id: 'id2' })] }),
      (_request, _body, response) => json(response, 200, { total_results: 3, results: [credential({ id: 'id3' })] }),
    );
    expect((await client().listCredentials(APP)).map((item) => item.id)).toEqual(['id1', 'id2', 'id3']);
    expect(seen[2]?.url).toContain('offset=2');
  });

  it('retries a request that times out', async () => {
    script(
      () => undefined,
      (_request, _body, response) => json(response, 200, { total_results: 0, results: [] }),
    );
    expect(await client({ requestTimeoutMs: 100 }).listCredentials(APP)).toEqual([]);
    expect(seen.filter((request) => request.url.startsWith('/api/apps'))).toHaveLength(2);
  });

  it('honours a Retry-After given as an HTTP date', async () => {
    const sleeps: number[] = [];
    const inFiveSeconds = new Date(Date.now() + 5000).toUTCString();
    script(
      (_request, _body, response) => json(response, 429, {}, { 'retry-after': inFiveSeconds }),
      (_request, _body, response) => json(response, 200, { total_results: 0, results: [] }),
    );
    await client({ sleep: async (ms) => void sleeps.push(ms) }).listCredentials(APP);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(3000);
  });
});

describe('errors', () => {
  it('scrubs a secret that APIC echoes without a key', async () => {
    script((_request, body, response) => {
      const sent = JSON.parse(body) as { client_secret: string };
      json(response, 400, { status: 400, message: [`secret ${sent.client_secret} is too weak`] });
    });
    const error = await failure(
      client().createCredential(APP, { name: 'n', title: 't', secret: { clientId: 'x', clientSecret: 'weak-secret-42' } }),
    );
    expect(error.name).toBe('ApicBadRequestError');
    expect(error.message).toContain('is too weak');
    expect(error.message).not.toContain('weak-secret-42');
    expect(error.apicMessage).not.toContain('weak-secret-42');
  });

  it('scrubs the admin password and the token from error text', async () => {
    script((_request, _body, response) =>
      json(response, 409, { message: ['conflict for admin-password-77 using tok-abcdef-123 and toolkit-secret-88'] }),
    );
    const error = await failure(client().updateCredential(APP, 'c1', { name: 'c2' }));
    expect(error.name).toBe('ApicConflictError');
    expect(error.message).not.toMatch(/admin-password-77|tok-abcdef-123|toolkit-secret-88/);
  });

  it('raises ApicDataError naming the field when a listing carries a broken created_at', async () => {
    script((_request, _body, response) =>
      json(response, 200, { total_results: 1, results: [credential({ created_at: '2999-01-01T00:00:00Z' })] }),
    );
    const error = await failure(client().listCredentials(APP));
    expect(error).toBeInstanceOf(ApicDataError);
    expect((error as ApicDataError).field).toBe('created_at');
    expect(error.message).toContain('credential "c1" of app "a"');
  });

  it('validates created_at against the injected rotation clock', async () => {
    script((_request, _body, response) =>
      json(response, 200, { total_results: 1, results: [credential({ created_at: '2999-01-01T00:00:00Z' })] }),
    );
    const credentials = await client({ now: () => new Date('2999-06-01T00:00:00Z') }).listCredentials(APP);
    expect(credentials[0]?.createdAt).toBe('2999-01-01T00:00:00.000Z');
  });

  it('raises ApicDataError for a body that is not JSON', async () => {
    script((_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>login</html>');
    });
    const error = await failure(client().getConsumerOrg(TARGET, 'o'));
    expect(error.name).toBe('ApicDataError');
  });

  it('raises ApicAuthError when a fresh token is refused too', async () => {
    script(
      (_request, _body, response) => json(response, 401, { message: ['expired'] }),
      (_request, _body, response) => json(response, 401, { message: ['still no'] }),
    );
    const error = await failure(client().getConsumerOrg(TARGET, 'o'));
    expect(error.name).toBe('ApicAuthError');
    expect(seen.filter((request) => request.url === '/api/token')).toHaveLength(2);
  });

  it('does not retry a 500 on a read', async () => {
    script((_request, _body, response) => json(response, 500, { message: ['boom'] }));
    const error = await failure(client().getConsumerOrg(TARGET, 'o'));
    expect(error.name).toBe('ApicUnavailableError');
    expect(error.apicMessage).toBe('boom');
    expect(seen).toHaveLength(2);
  });
});

describe('options', () => {
  it('refuses plain http to a non-loopback host', () => {
    expect(() => new ApicClient({ baseUrl: 'http://apic.example.com/api', credentials: async () => ADMIN })).toThrow(/https/);
  });

  it.each([{ maxAttempts: 0 }, { pageSize: -1 }, { requestTimeoutMs: Number.NaN }])('refuses %o', (options) => {
    expect(() => new ApicClient({ baseUrl, credentials: async () => ADMIN, ...options })).toThrow(RangeError);
  });
});
