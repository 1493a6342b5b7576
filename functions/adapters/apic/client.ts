/**
 * The APIC platform API client: bearer token, paging, retries with backoff, TLS with an optional private CA, typed
 * errors. Decisions worth knowing:
 *
 * - Retries: 429, 502, 503, 504 and transient network failures are retried with full-jitter backoff, within
 *   `maxAttempts` and `maxRetryTimeMs`; `Retry-After` is never shortened (if it does not fit the budget, the call
 *   fails with ApicThrottledError instead). 429 is always retried (the request was refused, not processed).
 * - `deadline`: the end of the invocation's own time (the Lambda's remaining time less a margin). No wait and no
 *   request timeout reaches past it, so a call that cannot finish in time fails with a retryable error that Step
 *   Functions retries in a fresh invocation, instead of the Lambda being killed mid-call.
 * - A 401 refreshes the token once and repeats the request once (not counted as an attempt).
 * - GET, PATCH, DELETE and verify are repeated after a lost answer. A retried DELETE or rename PATCH whose first
 *   try did land answers 404: that surfaces as ApicNotFoundError, and callers decide (they re-read the app).
 * - POST create is never repeated blindly: after a lost answer (network error or any 5xx) or a 409 the credential
 *   is read back by name. Same client id as supplied → success; absent → POST again; other client id → conflict.
 *   Without a supplied client id a credential found after a lost answer is taken as ours, a 409 on the first
 *   try is a conflict. If APIC ignores a supplied client id the result carries APIC's one: callers compare.
 * - reset-client-secret is not repeated after a lost answer: a second reset would discard a secret that APIC may
 *   already hold; the caller repairs.
 * - verify-client-secret: 2xx → true; 400 → false; 401 → first taken as an expired token (refresh, once more),
 *   and only a 401 with the fresh token means "does not match" → false. 404 → ApicNotFoundError.
 * - Credentials missing `created_at` in an expanded app listing are read per app from
 *   `apps/{porg}/{catalog}/{corg}/{app}/credentials` (at most a few at a time), not from the catalog-wide
 *   `catalogs/{porg}/{catalog}/credentials`: that listing is not ordered by app, so joining one page of apps would
 *   mean reading the whole catalog's credentials for every page of a scan.
 */
import type { ApicPort, AppPage, NewCredential, RejectedApp } from '../../domain/ports';
import type { ApicApp, ApicCredential, AppLocator, CatalogTarget, ClientSecretPair, ConsumerOrg } from '../../domain/model';
import {
  ApicAuthError,
  ApicBadRequestError,
  ApicConflictError,
  ApicDataError,
  ApicError,
  type ApicErrorDetails,
  ApicNotFoundError,
  ApicThrottledError,
  ApicUnavailableError,
  sanitize,
} from '../../domain/apic/errors';
import { mapWithConcurrency } from '../../domain/concurrency';
import { HttpTransport, type HttpResponse, normaliseBaseUrl } from './http';
import {
  type DataSource,
  hasCreatedAt,
  isJsonObject,
  type RawApp,
  toConsumerOrg,
  toCredential,
  toListEnvelope,
  toRawApp,
  toSecretPair,
  withCredentials,
} from './mapping';
import { canRetry, isRetryableStatus, isTransientNetworkError, parseRetryAfterMs, retryDelayMs } from './retry';
import { type IssuedToken, TokenCache } from './token';

export type AdminCredentials =
  | {
      readonly grantType: 'password';
      readonly username: string;
      readonly password: string;
      readonly realm: string;
      readonly clientId: string;
      readonly clientSecret: string;
    }
  | {
      readonly grantType: 'api_key';
      readonly apiKey: string;
      readonly realm?: string;
      readonly clientId: string;
      readonly clientSecret: string;
    };

export interface RequestInfo {
  readonly method: string;
  /** The route template, e.g. `/apps/:porg/:catalog/:corg/:app/credentials` (no names: low cardinality). */
  readonly route: string;
  /** Undefined when no answer arrived. */
  readonly status?: number;
  readonly attempt: number;
}

export interface ApicClientOptions {
  /** The platform API base, e.g. `https://platform-api.example.com/api` (https; http only for loopback). */
  readonly baseUrl: string;
  /** PEM certificates to trust in addition to the public roots (a private CA). */
  readonly caBundle?: string;
  /** Read before every token request, so rotated admin credentials are picked up. */
  readonly credentials: () => Promise<AdminCredentials>;
  /** @default 15000 */
  readonly requestTimeoutMs?: number;
  /** @default 5 */
  readonly maxAttempts?: number;
  /** @default 60000 */
  readonly maxRetryTimeMs?: number;
  /** @default 100 */
  readonly pageSize?: number;
  /** @default 200 */
  readonly baseDelayMs?: number;
  /** @default 10000 */
  readonly maxDelayMs?: number;
  /** @default true */
  readonly keepAlive?: boolean;
  readonly sleep?: (ms: number) => Promise<void>;
  /** A value in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Called once per HTTP exchange (including token requests), for progress and metrics. */
  readonly onRequest?: (info: RequestInfo) => void;
  /** The rotation clock, to reject `created_at` dates in the future. @default the real clock */
  readonly now?: () => Date;
  /**
   * When the calling invocation must be done, in epoch milliseconds (read at every request and wait; undefined: no
   * deadline). @default no deadline: `maxRetryTimeMs` alone bounds the retries
   */
  readonly deadline?: () => number | undefined;
  /** Epoch milliseconds, for the retry budget and the deadline. @default Date.now */
  readonly clock?: () => number;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

interface Call {
  readonly method: Method;
  /** Route template with `:name` placeholders, filled from `params` in order. */
  readonly route: string;
  readonly params: readonly string[];
  readonly query?: Readonly<Record<string, string | number>>;
  readonly body?: unknown;
  /** Secrets this call sends, removed from any error it raises. */
  readonly secrets?: readonly string[];
  /** Whether a network failure or 5xx may be answered by sending the same request again. */
  readonly repeatable: boolean;
  /** False only for the token request itself. */
  readonly authenticated: boolean;
}

type Outcome =
  | { readonly kind: 'answer'; readonly response: HttpResponse; readonly attempts: number }
  /** No usable answer to a non-repeatable call: it may or may not have taken effect. */
  | { readonly kind: 'lost'; readonly attempts: number; readonly status?: number; readonly cause?: unknown };

const APPS_OF_CATALOG = '/catalogs/:porg/:catalog/apps';
const CONSUMER_ORGS = '/catalogs/:porg/:catalog/consumer-orgs';
const CONSUMER_ORG = '/consumer-orgs/:porg/:catalog/:corg';
const APPS_OF_CONSUMER_ORG = '/consumer-orgs/:porg/:catalog/:corg/apps';
const APP = '/apps/:porg/:catalog/:corg/:app';
const CREDENTIALS = `${APP}/credentials`;
const CREDENTIAL = `${CREDENTIALS}/:cred`;
const TOKEN = '/token';

const DEFAULT_TOKEN_LIFETIME_SECONDS = 300;
const CREDENTIAL_FALLBACK_CONCURRENCY = 4;
const MAX_ERROR_TEXT = 500;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class ApicClient implements ApicPort {
  private readonly base: URL;
  private readonly transport: HttpTransport;
  private readonly tokens: TokenCache;
  private readonly settings: Required<
    Pick<
      ApicClientOptions,
      'requestTimeoutMs' | 'maxAttempts' | 'maxRetryTimeMs' | 'pageSize' | 'baseDelayMs' | 'maxDelayMs'
    >
  >;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => Date;
  private readonly clock: () => number;
  private readonly deadline: () => number | undefined;
  /** Admin secrets and tokens seen so far: scrubbed from every error, in case APIC echoes one. */
  private readonly ownSecrets = new Set<string>();

  constructor(private readonly options: ApicClientOptions) {
    this.base = normaliseBaseUrl(options.baseUrl);
    this.settings = {
      requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs ?? 15_000),
      maxAttempts: positive('maxAttempts', options.maxAttempts ?? 5),
      maxRetryTimeMs: nonNegative('maxRetryTimeMs', options.maxRetryTimeMs ?? 60_000),
      pageSize: positive('pageSize', options.pageSize ?? 100),
      baseDelayMs: nonNegative('baseDelayMs', options.baseDelayMs ?? 200),
      maxDelayMs: nonNegative('maxDelayMs', options.maxDelayMs ?? 10_000),
    };
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => new Date());
    this.clock = options.clock ?? Date.now;
    this.deadline = options.deadline ?? (() => undefined);
    this.transport = new HttpTransport(this.base, { keepAlive: options.keepAlive ?? true, caBundle: options.caBundle });
    this.tokens = new TokenCache(() => this.issueToken());
  }

  /** Closes pooled connections. */
  close(): void {
    this.transport.close();
  }

  async listAppsPage(target: CatalogTarget, offset: number, limit: number): Promise<AppPage> {
    if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
    const { envelope, source } = await this.getPage(
      APPS_OF_CATALOG,
      [target.providerOrg, target.catalog],
      { expand: 'credentials,consumer_org' },
      offset,
      limit,
    );
    const apps: ApicApp[] = [];
    const rejected: RejectedApp[] = [];
    const completed = await mapWithConcurrency(envelope.results, CREDENTIAL_FALLBACK_CONCURRENCY, async (item, index) => {
      try {
        const [app] = await this.completeApps([toRawApp(item, source)], target, source);
        return { app };
      } catch (error) {
        if (!(error instanceof ApicDataError)) throw error;
        return { rejected: { ...namesForRejection(item, offset + index), reason: error.message, position: offset + index } };
      }
    });
    for (const entry of completed) {
      if (entry.app) apps.push(entry.app);
      if (entry.rejected) rejected.push(entry.rejected);
    }
    const next = offset + envelope.results.length;
    const more = envelope.results.length > 0 && next < envelope.totalResults;
    const page = { apps, totalResults: envelope.totalResults, ...(rejected.length > 0 ? { rejected } : {}) };
    return more ? { ...page, nextOffset: next } : page;
  }

  listConsumerOrgApps(target: CatalogTarget, consumerOrg: string): Promise<ApicApp[]> {
    return this.listAll(
      APPS_OF_CONSUMER_ORG,
      [target.providerOrg, target.catalog, consumerOrg],
      { expand: 'credentials' },
      (items, source) =>
        this.completeApps(
          items.map((item) => toRawApp(item, source, consumerOrg)),
          target,
          source,
        ),
    );
  }

  listConsumerOrgs(target: CatalogTarget): Promise<ConsumerOrg[]> {
    return this.listAll(CONSUMER_ORGS, [target.providerOrg, target.catalog], { expand: 'owner' }, async (items, source) =>
      items.map((item) => toConsumerOrg(item, source)),
    );
  }

  async getConsumerOrg(target: CatalogTarget, consumerOrg: string): Promise<ConsumerOrg> {
    const { body, source } = await this.getJson(CONSUMER_ORG, [target.providerOrg, target.catalog, consumerOrg], {
      expand: 'owner',
    });
    return toConsumerOrg(body, source);
  }

  async getApp(app: AppLocator): Promise<ApicApp> {
    const { body, source } = await this.getJson(APP, appParams(app));
    const raw = toRawApp(body, source, app.consumerOrg);
    return withCredentials(raw, await this.listCredentials(app));
  }

  listCredentials(app: AppLocator): Promise<ApicCredential[]> {
    return this.listAll(CREDENTIALS, appParams(app), {}, async (items, source) =>
      items.map((item) => toCredential(item, describeApp(app), source)),
    );
  }

  async createCredential(app: AppLocator, credential: NewCredential): Promise<ApicCredential> {
    const supplied = credential.secret;
    const call: Call = {
      method: 'POST',
      route: CREDENTIALS,
      params: appParams(app),
      body: {
        name: credential.name,
        title: credential.title,
        ...(supplied ? { client_id: supplied.clientId, client_secret: supplied.clientSecret } : {}),
      },
      secrets: supplied ? [supplied.clientSecret] : [],
      repeatable: false,
      authenticated: true,
    };
    const started = this.clock();
    let waitedMs = 0;
    let attempts = 0;
    let earlierAnswerLost = false;
    const isOurs = (existing: ApicCredential): boolean =>
      supplied ? existing.clientId === supplied.clientId : earlierAnswerLost;
    const conflict = (existing: ApicCredential | undefined, status?: number): ApicConflictError =>
      new ApicConflictError(
        existing
          ? `credential ${JSON.stringify(credential.name)} already exists with another client id`
          : `credential ${JSON.stringify(credential.name)} conflicts but cannot be read back`,
        this.details(call, { status }),
      );

    for (;;) {
      const outcome = await this.run(call);
      attempts += outcome.attempts;
      if (outcome.kind === 'answer') {
        const { response } = outcome;
        if (isSuccess(response.status)) return toCredential(this.parseBody(call, response), describeApp(app), this.source(call));
        if (response.status !== 409) throw this.errorFor(call, response, outcome.attempts);
        const existing = await this.readCredential(app, credential.name);
        if (existing && isOurs(existing)) return existing;
        throw conflict(existing, 409);
      }
      earlierAnswerLost = true;
      const existing = await this.readCredential(app, credential.name);
      if (existing) {
        if (isOurs(existing)) return existing;
        throw conflict(existing);
      }
      const delay = retryDelayMs(attempts, this.settings, this.random);
      if (!this.mayWait(attempts, Math.max(this.clock() - started, waitedMs), delay)) {
        throw new ApicUnavailableError(
          `no answer to create after ${attempts} attempt(s); the credential does not exist`,
          this.details(call, { status: outcome.status, cause: outcome.cause }),
        );
      }
      waitedMs += delay;
      await this.sleep(delay);
    }
  }

  async updateCredential(
    app: AppLocator,
    credentialName: string,
    patch: { name?: string; title?: string; clientSecret?: string },
  ): Promise<ApicCredential> {
    const call: Call = {
      method: 'PATCH',
      route: CREDENTIAL,
      params: [...appParams(app), credentialName],
      body: {
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.title === undefined ? {} : { title: patch.title }),
        ...(patch.clientSecret === undefined ? {} : { client_secret: patch.clientSecret }),
      },
      secrets: patch.clientSecret === undefined ? [] : [patch.clientSecret],
      repeatable: true,
      authenticated: true,
    };
    const response = await this.expect(call, isSuccess);
    return toCredential(this.parseBody(call, response), describeApp(app), this.source(call));
  }

  async deleteCredential(app: AppLocator, credentialName: string): Promise<void> {
    await this.expect(
      { method: 'DELETE', route: CREDENTIAL, params: [...appParams(app), credentialName], repeatable: true, authenticated: true },
      isSuccess,
    );
  }

  async resetClientSecret(app: AppLocator, credentialName: string): Promise<ClientSecretPair> {
    const call: Call = {
      method: 'POST',
      route: `${CREDENTIAL}/reset-client-secret`,
      params: [...appParams(app), credentialName],
      body: {},
      repeatable: false,
      authenticated: true,
    };
    const response = await this.expect(call, isSuccess);
    return toSecretPair(this.parseBody(call, response), `reset of credential ${JSON.stringify(credentialName)}`, this.source(call));
  }

  async verifyClientSecret(app: AppLocator, credentialName: string, secret: ClientSecretPair): Promise<boolean> {
    const call: Call = {
      method: 'POST',
      route: `${CREDENTIAL}/verify-client-secret`,
      params: [...appParams(app), credentialName],
      body: { client_id: secret.clientId, client_secret: secret.clientSecret },
      secrets: [secret.clientSecret],
      repeatable: true,
      authenticated: true,
    };
    // `run` has already retried a first 401 with a fresh token, so a 401 here is APIC's "does not match".
    const response = await this.expect(call, (status) => isSuccess(status) || status === 400 || status === 401);
    return isSuccess(response.status);
  }

  /** The credential by name, or undefined when APIC answers 404. */
  private async readCredential(app: AppLocator, credentialName: string): Promise<ApicCredential | undefined> {
    const call: Call = {
      method: 'GET',
      route: CREDENTIAL,
      params: [...appParams(app), credentialName],
      repeatable: true,
      authenticated: true,
    };
    const response = await this.expect(call, (status) => status === 200 || status === 404);
    if (response.status === 404) return undefined;
    return toCredential(this.parseBody(call, response), describeApp(app), this.source(call));
  }

  /** Maps raw apps to model apps, reading credentials per app where the expanded ones lack `created_at`. */
  private async completeApps(rawApps: RawApp[], target: CatalogTarget, source: DataSource): Promise<ApicApp[]> {
    return mapWithConcurrency(rawApps, CREDENTIAL_FALLBACK_CONCURRENCY, async (app) => {
      const expanded = app.rawCredentials;
      if (expanded && expanded.every(hasCreatedAt)) {
        return withCredentials(
          app,
          expanded.map((raw) => toCredential(raw, app.object, source)),
        );
      }
      const locator = { ...target, consumerOrg: app.consumerOrg.name, app: app.name };
      return withCredentials(app, await this.listCredentials(locator));
    });
  }

  private async listAll<T>(
    route: string,
    params: readonly string[],
    query: Readonly<Record<string, string>>,
    mapPage: (items: unknown[], source: DataSource) => Promise<T[]>,
  ): Promise<T[]> {
    const all: T[] = [];
    let offset = 0;
    for (;;) {
      const { envelope, source } = await this.getPage(route, params, query, offset, this.settings.pageSize);
      all.push(...(await mapPage(envelope.results, source)));
      offset += envelope.results.length;
      // An empty page ends the listing even if total_results promises more: it would otherwise loop forever.
      if (envelope.results.length === 0 || offset >= envelope.totalResults) return all;
    }
  }

  private async getPage(
    route: string,
    params: readonly string[],
    query: Readonly<Record<string, string>>,
    offset: number,
    limit: number,
  ): Promise<{ envelope: ReturnType<typeof toListEnvelope>; source: DataSource }> {
    const { body, source } = await this.getJson(route, params, { ...query, limit, offset });
    return { envelope: toListEnvelope(body, source), source };
  }

  private async getJson(
    route: string,
    params: readonly string[],
    query: Readonly<Record<string, string | number>> = {},
  ): Promise<{ body: unknown; source: DataSource }> {
    const call: Call = { method: 'GET', route, params, query, repeatable: true, authenticated: true };
    const response = await this.expect(call, (status) => status === 200);
    return { body: this.parseBody(call, response), source: this.source(call) };
  }

  private async issueToken(): Promise<IssuedToken> {
    const admin = await this.options.credentials();
    const grant =
      admin.grantType === 'password'
        ? { grant_type: 'password', username: admin.username, password: admin.password, realm: admin.realm }
        : { grant_type: 'api_key', api_key: admin.apiKey, ...(admin.realm === undefined ? {} : { realm: admin.realm }) };
    const secret = admin.grantType === 'password' ? admin.password : admin.apiKey;
    this.ownSecrets.add(secret);
    this.ownSecrets.add(admin.clientSecret);
    const call: Call = {
      method: 'POST',
      route: TOKEN,
      params: [],
      body: { ...grant, client_id: admin.clientId, client_secret: admin.clientSecret },
      repeatable: true,
      authenticated: false,
    };
    const response = await this.expect(call, (status) => isSuccess(status) || [400, 401, 403].includes(status));
    if (!isSuccess(response.status)) {
      throw new ApicAuthError('the token request was rejected', this.details(call, this.answerDetails(call, response)));
    }
    const body = this.parseBody(call, response);
    const source = this.source(call);
    const token = isJsonObject(body) ? body.access_token : undefined;
    if (typeof token !== 'string' || token.trim() === '') {
      throw new ApicDataError('access_token', 'the token answer', 'is missing or not a non-empty string', source);
    }
    this.ownSecrets.add(token);
    const expiresIn = isJsonObject(body) ? body.expires_in : undefined;
    if (expiresIn !== undefined && (typeof expiresIn !== 'number' || !(expiresIn > 0))) {
      throw new ApicDataError('expires_in', 'the token answer', 'is not a positive number', source);
    }
    return { accessToken: token, lifetimeMs: (expiresIn ?? DEFAULT_TOKEN_LIFETIME_SECONDS) * 1000 };
  }

  /** Runs a call and returns the answer if `accepts` its status; otherwise raises the typed error. */
  private async expect(call: Call, accepts: (status: number) => boolean): Promise<HttpResponse> {
    const outcome = await this.run(call);
    if (outcome.kind === 'lost') {
      throw new ApicUnavailableError(
        'no answer; not repeated because the request may have taken effect',
        this.details(call, { status: outcome.status, cause: outcome.cause }),
      );
    }
    if (!accepts(outcome.response.status)) throw this.errorFor(call, outcome.response, outcome.attempts);
    return outcome.response;
  }

  /** Sends a call with token handling and retries; see the module comment for the policy. */
  private async run(call: Call): Promise<Outcome> {
    const started = this.clock();
    let waitedMs = 0;
    let attempts = 0;
    let tokenRefreshed = false;
    const path = this.pathOf(call);
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    // With an injected sleep no real time passes: the budget counts requested waits too.
    const elapsed = (): number => Math.max(this.clock() - started, waitedMs);
    const retryAfter = async (delay: number): Promise<boolean> => {
      if (!this.mayWait(attempts, elapsed(), delay)) return false;
      waitedMs += delay;
      await this.sleep(delay);
      return true;
    };

    for (;;) {
      attempts += 1;
      const timeoutMs = this.requestTimeoutMs();
      if (timeoutMs <= 0) {
        throw new ApicUnavailableError(`no time left in this invocation after ${attempts - 1} attempt(s)`, this.details(call));
      }
      const token = call.authenticated ? await this.tokens.get() : undefined;
      let response: HttpResponse;
      try {
        response = await this.transport.send({
          method: call.method,
          path,
          headers: {
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          },
          body,
          timeoutMs,
        });
      } catch (error) {
        this.report(call, undefined, attempts);
        if (!isTransientNetworkError(error)) {
          throw new ApicError(`request failed: ${errorText(error)}`, this.details(call, { cause: error }));
        }
        if (!call.repeatable) return { kind: 'lost', attempts, cause: error };
        if (await retryAfter(retryDelayMs(attempts, this.settings, this.random))) continue;
        throw new ApicUnavailableError(
          `no answer after ${attempts} attempt(s): ${errorText(error)}`,
          this.details(call, { cause: error }),
        );
      }
      this.report(call, response.status, attempts);

      if (response.status === 401 && token !== undefined && !tokenRefreshed) {
        tokenRefreshed = true;
        this.tokens.invalidate(token);
        attempts -= 1;
        continue;
      }
      if (response.status >= 500 && !call.repeatable) return { kind: 'lost', attempts, status: response.status };
      if (isRetryableStatus(response.status)) {
        const asked = parseRetryAfterMs(headerValue(response.headers['retry-after']), new Date());
        if (await retryAfter(retryDelayMs(attempts, this.settings, this.random, asked))) continue;
      }
      return { kind: 'answer', response, attempts };
    }
  }

  /** Whether another attempt fits after waiting `delayMs`: the retry budget, and the invocation's deadline. */
  private mayWait(attemptsMade: number, elapsedMs: number, delayMs: number): boolean {
    const deadline = this.deadline();
    return canRetry(attemptsMade, elapsedMs, delayMs, this.settings) && (deadline === undefined || this.clock() + delayMs < deadline);
  }

  /** The request timeout, cut to what is left before the deadline. */
  private requestTimeoutMs(): number {
    const deadline = this.deadline();
    return deadline === undefined ? this.settings.requestTimeoutMs : Math.min(this.settings.requestTimeoutMs, deadline - this.clock());
  }

  private errorFor(call: Call, response: HttpResponse, attempts: number): ApicError {
    const details = this.details(call, this.answerDetails(call, response));
    const status = response.status;
    if (status === 400) return new ApicBadRequestError('rejected as invalid', details);
    if (status === 401 || status === 403) return new ApicAuthError('not authorised, even with a fresh token', details);
    if (status === 404) return new ApicNotFoundError('not found', details);
    if (status === 409) return new ApicConflictError('conflict', details);
    if (status === 429) return new ApicThrottledError(`still throttled after ${attempts} attempt(s)`, details);
    if (status >= 500) return new ApicUnavailableError(`server error after ${attempts} attempt(s)`, details);
    return new ApicError('unexpected answer', details);
  }

  private answerDetails(call: Call, response: HttpResponse): Pick<ApicErrorDetails, 'status' | 'apicMessage'> {
    const message = apicMessageOf(response.body);
    // Sanitised before shortening, so a cut can never leave half a secret unrecognised.
    return {
      status: response.status,
      ...(message === undefined ? {} : { apicMessage: sanitize(message, this.secretsOf(call)).slice(0, MAX_ERROR_TEXT) }),
    };
  }

  private details(call: Call, extra: Omit<Partial<ApicErrorDetails>, 'method' | 'path'> = {}): ApicErrorDetails {
    return { method: call.method, path: this.pathOf(call, false), ...extra };
  }

  private source(call: Call): DataSource {
    return { method: call.method, path: this.pathOf(call, false), now: this.now() };
  }

  private secretsOf(call: Call): string[] {
    return [...this.ownSecrets, ...(call.secrets ?? [])];
  }

  private parseBody(call: Call, response: HttpResponse): unknown {
    if (response.body.trim() === '') return undefined;
    try {
      return JSON.parse(response.body);
    } catch (error) {
      throw new ApicDataError('(body)', `the answer (HTTP ${response.status})`, 'is not JSON', this.details(call, { cause: error }));
    }
  }

  /** The path below the host: every parameter is one encoded segment, so `/`, `?`, `..` in names stay names. */
  private pathOf(call: Call, withQuery = true): string {
    let index = 0;
    const filled = call.route.replace(/:[a-z]+/g, () => encodeSegment(call.params[index++]));
    const relative = filled.slice(1);
    const query = Object.entries(call.query ?? {})
      .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
      .join('&');
    return withQuery ? `${this.base.pathname}${relative}${query ? `?${query}` : ''}` : relative;
  }

  private report(call: Call, status: number | undefined, attempt: number): void {
    try {
      this.options.onRequest?.({ method: call.method, route: call.route, status, attempt });
    } catch {
      // Metrics must never break an APIC call.
    }
  }
}

/** One path segment; empty names are refused, since `credentials/` would address the whole collection. */
export function encodeSegment(value: string | undefined): string {
  if (value === undefined || value === '') throw new RangeError('an APIC path segment (name) must not be empty');
  return encodeURIComponent(value).replace(/\./g, (dot) => (value === '.' || value === '..' ? '%2E' : dot));
}

function appParams(app: AppLocator): string[] {
  return [app.providerOrg, app.catalog, app.consumerOrg, app.app];
}

function describeApp(app: AppLocator): string {
  return `app ${JSON.stringify(app.app)} of consumer org ${JSON.stringify(app.consumerOrg)}`;
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `${code} ${error.message}` : error.message;
}

/** APIC's error text: `message` (string or array), else `errors`, else the raw body; not yet sanitised. */
export function apicMessageOf(body: string): string | undefined {
  const text = body.trim();
  if (text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  if (isJsonObject(parsed)) {
    for (const field of ['message', 'errors']) {
      const value = parsed[field];
      if (typeof value === 'string') return value;
      if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join('; ');
    }
  }
  return text;
}

/** The names a malformed listing entry still offers, so the run summary can point at it. */
function namesForRejection(item: unknown, position: number): { consumerOrg: string; app: string } {
  const raw = isJsonObject(item) ? item : {};
  const consumerOrg = isJsonObject(raw.consumer_org) ? raw.consumer_org.name : undefined;
  return {
    consumerOrg: typeof consumerOrg === 'string' && consumerOrg ? consumerOrg : '(unknown consumer org)',
    app: typeof raw.name === 'string' && raw.name ? raw.name : `(app at position ${position} of the listing)`,
  };
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number, got ${value}`);
  return value;
}
