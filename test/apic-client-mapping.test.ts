import { describe, expect, it } from 'vitest';
import { apicMessageOf, encodeSegment } from '../functions/adapters/apic/client';
import {
  ApicAuthError,
  ApicBadRequestError,
  ApicConflictError,
  ApicDataError,
  ApicError,
  ApicNotFoundError,
  ApicThrottledError,
  ApicUnavailableError,
  sanitize,
} from '../functions/domain/apic/errors';
import { normaliseBaseUrl } from '../functions/adapters/apic/http';
import {
  type DataSource,
  toConsumerOrg,
  toCredential,
  toListEnvelope,
  toRawApp,
  toSecretPair,
} from '../functions/adapters/apic/mapping';

const source: DataSource = { method: 'GET', path: 'catalogs/p/c/apps', now: new Date('2025-06-01T00:00:00.000Z') };
const OWNER = 'app "shop"';

const credentialJson = {
  type: 'credential',
  id: 'ce832228-4114-452c-a161-0c608ae3312d',
  name: 'Credential-for-test',
  title: 'Credential for test',
  client_id: '0d85e77e32a663cbfebe9c964024723c',
  client_secret_hashed: 'x5Zl',
  created_at: '2025-04-01T10:00:00.000Z',
};

function without(value: Record<string, unknown>, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([name]) => name !== key));
}

function dataError(run: () => unknown): ApicDataError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApicDataError) return error;
    throw error;
  }
  throw new Error('expected an ApicDataError');
}

describe('toCredential', () => {
  it('maps the fields the rotator uses', () => {
    expect(toCredential(credentialJson, OWNER, source)).toEqual({
      id: credentialJson.id,
      name: 'Credential-for-test',
      title: 'Credential for test',
      clientId: '0d85e77e32a663cbfebe9c964024723c',
      createdAt: '2025-04-01T10:00:00.000Z',
    });
  });

  it('never carries a client_secret that a response happens to include', () => {
    const mapped = toCredential({ ...credentialJson, client_secret: 'leaky-secret-value' }, OWNER, source);
    expect(JSON.stringify(mapped)).not.toContain('leaky-secret-value');
    expect(Object.keys(mapped).sort()).toEqual(['clientId', 'createdAt', 'id', 'name', 'title']);
  });

  it('normalises an offset timestamp to UTC', () => {
    const mapped = toCredential({ ...credentialJson, created_at: '2025-04-01T12:00:00+02:00' }, OWNER, source);
    expect(mapped.createdAt).toBe('2025-04-01T10:00:00.000Z');
  });

  it('falls back to the name when the title is absent or null', () => {
    expect(toCredential(without(credentialJson, 'title'), OWNER, source).title).toBe('Credential-for-test');
    expect(toCredential({ ...credentialJson, title: null }, OWNER, source).title).toBe('Credential-for-test');
  });

  it('accepts a created_at slightly in the future (clock skew)', () => {
    const skewed = { ...credentialJson, created_at: '2025-06-01T00:04:00.000Z' };
    expect(toCredential(skewed, OWNER, source).createdAt).toBe('2025-06-01T00:04:00.000Z');
  });

  it.each([
    ['created_at', { created_at: undefined }, /created_at of credential "Credential-for-test" of app "shop" is missing/],
    ['created_at', { created_at: null }, /is missing/],
    ['created_at', { created_at: 'yesterday' }, /not an ISO-8601 timestamp/],
    ['created_at', { created_at: '2025-04-01T10:00:00' }, /not an ISO-8601 timestamp with zone/],
    ['created_at', { created_at: '2025-02-30T10:00:00Z' }, /not an ISO-8601 timestamp/],
    ['created_at', { created_at: 1_700_000_000 }, /is a number/],
    ['created_at', { created_at: '2025-06-01T00:06:00.000Z' }, /is in the future/],
    ['name', { name: 42 }, /name of credential \(unnamed\) of app "shop" is a number/],
    ['name', { name: '' }, /is empty/],
    ['name', { name: '   ' }, /is empty/],
    ['id', { id: undefined }, /id of credential "Credential-for-test" of app "shop" is missing/],
    ['client_id', { client_id: null }, /client_id of .* is null/],
    ['title', { title: ['x'] }, /title of .* is an array/],
  ])('raises ApicDataError naming %s', (field, override, message) => {
    const error = dataError(() => toCredential({ ...credentialJson, ...override }, OWNER, source));
    expect(error.name).toBe('ApicDataError');
    expect(error.field).toBe(field);
    expect(error.object).toContain('app "shop"');
    expect(error.message).toMatch(message);
    expect(error.path).toBe('catalogs/p/c/apps');
  });

  it('rejects something that is not an object', () => {
    expect(dataError(() => toCredential('nope', OWNER, source)).message).toMatch(/is a string, expected an object/);
  });

  it('rejects a February 30th even though Date.parse would roll it over', () => {
    expect(dataError(() => toCredential({ ...credentialJson, created_at: '2025-02-30T10:00:00Z' }, OWNER, source)).field).toBe(
      'created_at',
    );
  });
});

describe('toRawApp', () => {
  const appJson = {
    id: 'a1',
    name: 'shop',
    title: 'Shop',
    consumer_org: { id: 'o1', name: 'acme', title: 'Acme' },
    consumer_org_url: 'https://h/api/consumer-orgs/p1/c1/o1',
    credentials: [credentialJson],
  };

  it('reads the expanded consumer org and credentials', () => {
    const app = toRawApp(appJson, source);
    expect(app).toMatchObject({ id: 'a1', name: 'shop', title: 'Shop', consumerOrg: { id: 'o1', name: 'acme' } });
    expect(app.rawCredentials).toHaveLength(1);
  });

  it('also finds expanded credentials under app_credentials', () => {
    const { credentials, ...rest } = appJson;
    expect(toRawApp({ ...rest, app_credentials: credentials }, source).rawCredentials).toHaveLength(1);
  });

  it('reports credentials as not expanded when neither key is present', () => {
    expect(toRawApp(without(appJson, 'credentials'), source).rawCredentials).toBeUndefined();
  });

  it('derives the consumer org from consumer_org_url and the addressed name when not expanded', () => {
    expect(toRawApp(without(appJson, 'consumer_org'), source, 'acme').consumerOrg).toEqual({ id: 'o1', name: 'acme' });
  });

  it('needs the consumer org in a catalog-wide listing', () => {
    const error = dataError(() => toRawApp(without(appJson, 'consumer_org'), source));
    expect(error.field).toBe('consumer_org');
    expect(error.object).toBe('app "shop"');
  });

  it('rejects credentials that are not an array', () => {
    expect(dataError(() => toRawApp({ ...appJson, credentials: {} }, source)).field).toBe('credentials');
  });

  it('rejects a consumer org without a name', () => {
    const error = dataError(() => toRawApp({ ...appJson, consumer_org: { id: 'o1' } }, source));
    expect(error.field).toBe('name');
    expect(error.object).toBe('consumer_org of app "shop"');
  });
});

describe('toConsumerOrg', () => {
  const orgJson = { id: 'o1', name: 'acme', title: 'Acme', owner: { username: 'ann', email: 'ann@example.com' } };

  it('reads the owner e-mail from the expanded owner', () => {
    expect(toConsumerOrg(orgJson, source)).toEqual({ id: 'o1', name: 'acme', title: 'Acme', ownerEmail: 'ann@example.com' });
  });

  it('leaves ownerEmail undefined when the owner or the e-mail is absent or blank', () => {
    expect(toConsumerOrg({ ...orgJson, owner: undefined }, source)).not.toHaveProperty('ownerEmail');
    expect(toConsumerOrg({ ...orgJson, owner: { username: 'ann' } }, source)).not.toHaveProperty('ownerEmail');
    expect(toConsumerOrg({ ...orgJson, owner: { email: ' ' } }, source)).not.toHaveProperty('ownerEmail');
  });

  it('rejects a non-string e-mail', () => {
    const error = dataError(() => toConsumerOrg({ ...orgJson, owner: { email: 7 } }, source));
    expect(error.field).toBe('owner.email');
    expect(error.object).toBe('consumer org "acme"');
  });
});

describe('toListEnvelope', () => {
  it('reads total_results and results', () => {
    expect(toListEnvelope({ total_results: 3, results: [1, 2] }, source)).toEqual({ totalResults: 3, results: [1, 2] });
  });

  it.each([
    ['results', { total_results: 1 }],
    ['results', { total_results: 1, results: {} }],
    ['total_results', { results: [] }],
    ['total_results', { results: [], total_results: '3' }],
    ['total_results', { results: [], total_results: -1 }],
  ])('rejects a malformed %s', (field, body) => {
    expect(dataError(() => toListEnvelope(body, source)).field).toBe(field);
  });
});

describe('toSecretPair', () => {
  it('reads the pair of a reset answer', () => {
    expect(toSecretPair({ client_id: 'id', client_secret: 's3cret' }, 'reset', source)).toEqual({
      clientId: 'id',
      clientSecret: 's3cret',
    });
  });

  it('rejects an answer without a secret', () => {
    expect(dataError(() => toSecretPair({ client_id: 'id' }, 'reset', source)).field).toBe('client_secret');
  });
});

describe('sanitize', () => {
  it.each([
    ['{"client_secret":"abc123","name":"x"}', '"client_secret":[redacted]'],
    ['{"clientSecret": "abc123"}', '"clientSecret": [redacted]'],
    ['{"access_token":"eyJ.abc123"}', '"access_token":[redacted]'],
    ['{"password":"abc123\\"tail9"}', '"password":[redacted]'],
    ['{"api_key":"abc123"}', '"api_key":[redacted]'],
    ['{"client_secret_hashed":"abc123"}', '"client_secret_hashed":[redacted]'],
    ['client_secret=abc123&grant_type=password', 'client_secret=[redacted]&grant_type=password'],
    ["password: 'abc123' rejected", 'password: [redacted] rejected'],
    ['{\\"client_secret\\":\\"abc123\\"}', '{\\"client_secret\\":[redacted]}'],
    ['Authorization: Bearer abc123.def-ghi', 'Authorization: Bearer [redacted]'],
  ])('removes the secret from %s', (input, expected) => {
    const result = sanitize(input);
    expect(result).toContain(expected);
    expect(result).not.toContain('abc123');
    expect(result).not.toContain('tail9');
  });

  it('removes known secret values even without a key', () => {
    expect(sanitize('secret K9x-42 does not match K9x-42', ['K9x-42'])).toBe('secret [redacted] does not match [redacted]');
  });

  it('ignores very short known values (they would shred ordinary text)', () => {
    expect(sanitize('a b c', ['a'])).toBe('a b c');
  });

  it('leaves ordinary text alone', () => {
    expect(sanitize('Application credential "Cred-A" not found.')).toBe('Application credential "Cred-A" not found.');
  });
});

describe('typed errors', () => {
  const details = { method: 'GET', path: 'apps/p/c/o/a', status: 404, apicMessage: 'not here' };

  it.each([
    [ApicAuthError, 'ApicAuthError', false],
    [ApicNotFoundError, 'ApicNotFoundError', false],
    [ApicConflictError, 'ApicConflictError', false],
    [ApicBadRequestError, 'ApicBadRequestError', false],
    [ApicThrottledError, 'ApicThrottledError', true],
    [ApicUnavailableError, 'ApicUnavailableError', true],
  ])('%o is named %s (retryable: %s) and is an ApicError', (Type, name, retryable) => {
    const cause = new Error('low level');
    const error = new Type('summary', { ...details, cause });
    expect(error.name).toBe(name);
    expect(error).toBeInstanceOf(ApicError);
    expect(error.retryable).toBe(retryable);
    expect(error.cause).toBe(cause);
    expect(error.message).toBe('GET apps/p/c/o/a (HTTP 404): summary: not here');
  });

  it('ApicDataError names field and object', () => {
    const error = new ApicDataError('created_at', 'credential "c"', 'is missing', { method: 'GET', path: 'x' });
    expect(error.name).toBe('ApicDataError');
    expect(error.message).toContain('created_at of credential "c" is missing');
  });

  it('sanitises whatever reaches the message', () => {
    const error = new ApicError('failed', { method: 'POST', path: 'token', apicMessage: 'bad {"password":"hunter2"}' });
    expect(error.message).not.toContain('hunter2');
  });
});

describe('apicMessageOf', () => {
  it.each([
    ['{"status":404,"message":["Credential not found.","Really."]}', 'Credential not found.; Really.'],
    ['{"message":"plain"}', 'plain'],
    ['{"errors":[{"code":1}]}', '{"code":1}'],
    ['<html>Bad gateway</html>', '<html>Bad gateway</html>'],
    ['{"other":1}', '{"other":1}'],
  ])('reads %s', (body, expected) => {
    expect(apicMessageOf(body)).toBe(expected);
  });

  it('is undefined for an empty body', () => {
    expect(apicMessageOf('  ')).toBeUndefined();
  });
});

describe('path segments', () => {
  it.each([
    ['my app', 'my%20app'],
    ['a/b', 'a%2Fb'],
    ['Café-ü', 'Caf%C3%A9-%C3%BC'],
    ['q?x=1#f', 'q%3Fx%3D1%23f'],
    ['..', '%2E%2E'],
    ['.', '%2E'],
    ['v1.2', 'v1.2'],
  ])('encodes %j as one segment', (name, encoded) => {
    expect(encodeSegment(name)).toBe(encoded);
  });

  it('refuses an empty name', () => {
    expect(() => encodeSegment('')).toThrow(RangeError);
  });
});

describe('baseUrl', () => {
  it('adds the trailing slash', () => {
    expect(normaliseBaseUrl('https://apic.example.com/api').href).toBe('https://apic.example.com/api/');
    expect(normaliseBaseUrl('https://apic.example.com/api/').href).toBe('https://apic.example.com/api/');
  });

  it.each(['http://127.0.0.1:8080/api', 'http://localhost/api', 'http://[::1]:9/api'])('allows http on loopback: %s', (url) => {
    expect(normaliseBaseUrl(url).protocol).toBe('http:');
  });

  it.each(['http://apic.example.com/api', 'http://10.0.0.1/api', 'ftp://apic.example.com/api', 'not a url'])(
    'refuses %s',
    (url) => {
      expect(() => normaliseBaseUrl(url)).toThrow(TypeError);
    },
  );

  it('refuses credentials or a query in the base', () => {
    expect(() => normaliseBaseUrl('https://user:pw@apic.example.com/api')).toThrow(/user info/);
    expect(() => normaliseBaseUrl('https://apic.example.com/api?x=1')).toThrow(/query/);
  });
});
