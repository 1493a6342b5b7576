/**
 * The simulated APIC platform API: route table and handlers. Handlers are synchronous functions from a parsed
 * request to a response, so the transport can commit a mutation and still decide to lose its answer.
 */
import { generateClientSecret, hashSecret } from './store';
import type { App, Catalog, ConsumerOrg, Credential, SimulatorStore } from './store';
import type { TokenIssuer } from './tokens';
import type { Views } from './views';

export class SimulatorHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'SimulatorHttpError';
  }
}

export interface SimRequest {
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  body: unknown;
}

export interface SimResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: string;
  /** "/catalogs/:porg/:catalog/apps", relative to /api. */
  pattern: string;
  /** "GET /catalogs/:porg/:catalog/apps": the key of `counters()` and `RouteMatch.route`. */
  key: string;
  requiresAuth: boolean;
  mutates: boolean;
  handle(request: SimRequest): SimResponse;
}

export interface ApiSettings {
  admin: { username: string; password: string; realm: string; clientId: string; clientSecret: string };
  apiKey: string;
  defaultPageLimit: number;
  maxPageLimit: number;
  acceptSuppliedCredentials: boolean;
  duplicateClientIdStatus: 400 | 409;
  verifyMismatchStatus: 400 | 401;
  refuseLastCredentialDelete: boolean;
}

export interface ApiDependencies {
  store: SimulatorStore;
  views: Views;
  tokens: TokenIssuer;
  settings: ApiSettings;
  recordSecret(secret: string): void;
}

const APP = '/apps/:porg/:catalog/:corg/:app';
const CREDENTIAL = `${APP}/credentials/:cred`;

export function buildRoutes(deps: ApiDependencies): Route[] {
  const api = new ApicApi(deps);
  const route = (
    method: string,
    pattern: string,
    handle: (request: SimRequest) => SimResponse,
    flags: { requiresAuth?: boolean } = {},
  ): Route => ({
    method,
    pattern,
    key: `${method} ${pattern}`,
    requiresAuth: flags.requiresAuth ?? true,
    mutates: method !== 'GET',
    handle,
  });
  return [
    route('POST', '/token', (r) => api.token(r), { requiresAuth: false }),
    route('GET', '/catalogs/:porg/:catalog/consumer-orgs', (r) => api.listConsumerOrgs(r)),
    route('GET', '/catalogs/:porg/:catalog/apps', (r) => api.listCatalogApps(r)),
    route('GET', '/catalogs/:porg/:catalog/credentials', (r) => api.listCatalogCredentials(r)),
    route('GET', '/consumer-orgs/:porg/:catalog/:corg', (r) => api.getConsumerOrg(r)),
    route('GET', '/consumer-orgs/:porg/:catalog/:corg/apps', (r) => api.listConsumerOrgApps(r)),
    route('GET', APP, (r) => api.getApp(r)),
    route('GET', `${APP}/credentials`, (r) => api.listCredentials(r)),
    route('POST', `${APP}/credentials`, (r) => api.createCredential(r)),
    route('GET', CREDENTIAL, (r) => api.getCredential(r)),
    route('PATCH', CREDENTIAL, (r) => api.updateCredential(r)),
    route('DELETE', CREDENTIAL, (r) => api.deleteCredential(r)),
    route('POST', `${CREDENTIAL}/reset`, (r) => api.resetCredential(r)),
    route('POST', `${CREDENTIAL}/reset-client-secret`, (r) => api.resetClientSecret(r)),
    route('POST', `${CREDENTIAL}/verify-client-secret`, (r) => api.verifyClientSecret(r)),
  ];
}

class ApicApi {
  constructor(private readonly deps: ApiDependencies) {}

  token({ body }: SimRequest): SimResponse {
    const fields = requireObject(body);
    const { admin, apiKey } = this.deps.settings;
    const clientMatches = fields.client_id === admin.clientId && fields.client_secret === admin.clientSecret;
    let accepted: boolean;
    switch (fields.grant_type) {
      case 'password':
        accepted =
          clientMatches &&
          fields.username === admin.username &&
          fields.password === admin.password &&
          fields.realm === admin.realm;
        break;
      case 'api_key':
        accepted =
          clientMatches && fields.api_key === apiKey && (fields.realm === undefined || fields.realm === admin.realm);
        break;
      default:
        throw new SimulatorHttpError(400, 'Unsupported grant_type');
    }
    if (!accepted) throw new SimulatorHttpError(401, 'Invalid credentials');
    const { tokens } = this.deps;
    return { status: 200, body: { access_token: tokens.issue(), token_type: 'Bearer', expires_in: tokens.ttlSeconds } };
  }

  listConsumerOrgs(request: SimRequest): SimResponse {
    const expandOwner = expansions(request.query).has('owner');
    return this.page(request, this.catalog(request).consumerOrgs.list(), (org) =>
      this.deps.views.consumerOrg(org, expandOwner),
    );
  }

  getConsumerOrg(request: SimRequest): SimResponse {
    const expandOwner = expansions(request.query).has('owner');
    return ok(this.deps.views.consumerOrg(this.consumerOrg(request), expandOwner));
  }

  listConsumerOrgApps(request: SimRequest): SimResponse {
    return this.pageApps(request, this.consumerOrg(request).apps.list());
  }

  listCatalogApps(request: SimRequest): SimResponse {
    return this.pageApps(request, this.catalog(request).apps.list());
  }

  listCatalogCredentials(request: SimRequest): SimResponse {
    return this.page(request, this.catalog(request).credentials.list(), (c) => this.deps.views.credential(c));
  }

  getApp(request: SimRequest): SimResponse {
    return ok(this.deps.views.app(this.app(request), appExpansions(request.query)));
  }

  listCredentials(request: SimRequest): SimResponse {
    return this.page(request, this.app(request).credentials.list(), (c) => this.deps.views.credential(c));
  }

  getCredential(request: SimRequest): SimResponse {
    return ok(this.deps.views.credential(this.credential(request)));
  }

  createCredential(request: SimRequest): SimResponse {
    const app = this.app(request);
    const fields = requireObject(request.body);
    const name = requiredName(fields);
    const title = optionalString(fields, 'title') ?? name;
    const summary = optionalString(fields, 'summary') ?? '';
    const supplied = this.suppliedCredentials(fields);
    if (app.credentials.getByName(name)) {
      throw new SimulatorHttpError(409, `A credential named ${name} already exists in application ${app.name}`);
    }
    if (supplied.clientId !== undefined) this.requireUnusedClientId(app.consumerOrg.catalog, supplied.clientId);
    const clientSecret = supplied.clientSecret ?? generateClientSecret();
    this.deps.recordSecret(clientSecret);
    const credential = this.deps.store.addCredential(app, {
      name,
      title,
      summary,
      secretHash: hashSecret(clientSecret),
      ...(supplied.clientId === undefined ? {} : { clientId: supplied.clientId }),
    });
    return { status: 201, body: this.deps.views.credential(credential, clientSecret) };
  }

  updateCredential(request: SimRequest): SimResponse {
    const credential = this.credential(request);
    const fields = requireObject(request.body);
    const name = fields.name === undefined ? undefined : requiredName(fields);
    const title = optionalString(fields, 'title');
    const summary = optionalString(fields, 'summary');
    const supplied = this.suppliedCredentials(fields);
    const { store } = this.deps;
    if (name !== undefined && name !== credential.name && credential.app.credentials.getByName(name)) {
      throw new SimulatorHttpError(409, `A credential named ${name} already exists in application ${credential.app.name}`);
    }
    if (supplied.clientId !== undefined && supplied.clientId !== credential.clientId) {
      this.requireUnusedClientId(credential.app.consumerOrg.catalog, supplied.clientId);
      store.setClientId(credential, supplied.clientId);
    }
    if (supplied.clientSecret !== undefined) {
      this.deps.recordSecret(supplied.clientSecret);
      credential.secretHash = hashSecret(supplied.clientSecret);
    }
    if (name !== undefined) store.renameCredential(credential, name);
    if (title !== undefined) credential.title = title;
    if (summary !== undefined) credential.summary = summary;
    credential.updatedAt = store.nowIso();
    return ok(this.deps.views.credential(credential));
  }

  deleteCredential(request: SimRequest): SimResponse {
    const credential = this.credential(request);
    if (this.deps.settings.refuseLastCredentialDelete && credential.app.credentials.size === 1) {
      throw new SimulatorHttpError(400, `Application ${credential.app.name} must keep at least one credential`);
    }
    this.deps.store.deleteCredential(credential);
    return ok(this.deps.views.credential(credential));
  }

  resetCredential(request: SimRequest): SimResponse {
    const credential = this.credential(request);
    const { store } = this.deps;
    store.setClientId(credential, store.unusedClientId(credential.app.consumerOrg.catalog));
    return ok(this.deps.views.credential(credential, this.replaceSecret(credential)));
  }

  resetClientSecret(request: SimRequest): SimResponse {
    const credential = this.credential(request);
    return ok(this.deps.views.credential(credential, this.replaceSecret(credential)));
  }

  verifyClientSecret(request: SimRequest): SimResponse {
    const credential = this.credential(request);
    const fields = requireObject(request.body);
    const clientId = requiredString(fields, 'client_id');
    const clientSecret = requiredString(fields, 'client_secret');
    if (clientId !== credential.clientId || hashSecret(clientSecret) !== credential.secretHash) {
      throw new SimulatorHttpError(this.deps.settings.verifyMismatchStatus, 'The client secret is not valid');
    }
    return ok({});
  }

  private replaceSecret(credential: Credential): string {
    const clientSecret = generateClientSecret();
    this.deps.recordSecret(clientSecret);
    credential.secretHash = hashSecret(clientSecret);
    credential.updatedAt = this.deps.store.nowIso();
    return clientSecret;
  }

  private suppliedCredentials(fields: Record<string, unknown>): { clientId?: string; clientSecret?: string } {
    const clientId = optionalNonEmptyString(fields, 'client_id');
    const clientSecret = optionalNonEmptyString(fields, 'client_secret');
    if (!this.deps.settings.acceptSuppliedCredentials) return {};
    return {
      ...(clientId === undefined ? {} : { clientId }),
      ...(clientSecret === undefined ? {} : { clientSecret }),
    };
  }

  private requireUnusedClientId(catalog: Catalog, clientId: string): void {
    if (catalog.credentialsByClientId.has(clientId)) {
      throw new SimulatorHttpError(
        this.deps.settings.duplicateClientIdStatus,
        'The client_id is already used by another credential of this catalog',
      );
    }
  }

  private pageApps(request: SimRequest, apps: readonly App[]): SimResponse {
    const expand = appExpansions(request.query);
    return this.page(request, apps, (app) => this.deps.views.app(app, expand));
  }

  private page<T>(request: SimRequest, items: readonly T[], view: (item: T) => unknown): SimResponse {
    const { defaultPageLimit, maxPageLimit } = this.deps.settings;
    const offset = nonNegativeInteger(request.query, 'offset') ?? 0;
    const limit = Math.min(nonNegativeInteger(request.query, 'limit') ?? defaultPageLimit, maxPageLimit);
    return ok({ total_results: items.length, results: items.slice(offset, offset + limit).map(view) });
  }

  private catalog({ params }: SimRequest): Catalog {
    const providerOrg = this.deps.store.providerOrgs.find(param(params, 'porg'));
    if (!providerOrg) throw notFound('Provider organization', param(params, 'porg'));
    const catalog = providerOrg.catalogs.find(param(params, 'catalog'));
    if (!catalog) throw notFound('Catalog', param(params, 'catalog'));
    return catalog;
  }

  private consumerOrg(request: SimRequest): ConsumerOrg {
    const name = param(request.params, 'corg');
    const consumerOrg = this.catalog(request).consumerOrgs.find(name);
    if (!consumerOrg) throw notFound('Consumer organization', name);
    return consumerOrg;
  }

  private app(request: SimRequest): App {
    const name = param(request.params, 'app');
    const app = this.consumerOrg(request).apps.find(name);
    if (!app) throw notFound('Application', name);
    return app;
  }

  private credential(request: SimRequest): Credential {
    const name = param(request.params, 'cred');
    const credential = this.app(request).credentials.find(name);
    if (!credential) throw notFound('Credential', name);
    return credential;
  }
}

function ok(body: unknown): SimResponse {
  return { status: 200, body };
}

function notFound(kind: string, nameOrId: string): SimulatorHttpError {
  return new SimulatorHttpError(404, `${kind} ${nameOrId} not found`);
}

function param(params: Readonly<Record<string, string>>, name: string): string {
  const value = params[name];
  if (value === undefined) throw new Error(`Route declares no :${name} segment`);
  return value;
}

/** `expand=a,b` and repeated `expand` parameters both work. */
function expansions(query: URLSearchParams): Set<string> {
  return new Set(
    query
      .getAll('expand')
      .flatMap((value) => value.split(','))
      .map((value) => value.trim())
      .filter((value) => value !== ''),
  );
}

function appExpansions(query: URLSearchParams): { credentials: boolean; consumerOrg: boolean } {
  const expand = expansions(query);
  return { credentials: expand.has('credentials'), consumerOrg: expand.has('consumer_org') };
}

function nonNegativeInteger(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw)) throw new SimulatorHttpError(400, `Query parameter ${name} must be a non-negative integer`);
  return Number(raw);
}

function requireObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SimulatorHttpError(400, 'The request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

function optionalString(fields: Record<string, unknown>, name: string): string | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new SimulatorHttpError(400, `Property ${name} must be a string`);
  return value;
}

function optionalNonEmptyString(fields: Record<string, unknown>, name: string): string | undefined {
  const value = optionalString(fields, name);
  if (value === '') throw new SimulatorHttpError(400, `Property ${name} must not be empty`);
  return value;
}

function requiredString(fields: Record<string, unknown>, name: string): string {
  const value = optionalNonEmptyString(fields, name);
  if (value === undefined) throw new SimulatorHttpError(400, `Property ${name} is required`);
  return value;
}

function requiredName(fields: Record<string, unknown>): string {
  return requiredString(fields, 'name');
}
