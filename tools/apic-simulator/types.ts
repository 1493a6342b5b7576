/** Public shapes of the APIC simulator: seeds, options, fault configuration and the handle returned by start. */
import type { FaultInjectorSnapshot } from './faults';
import type { StoreSnapshot } from './store';

export interface SimCredentialSeed {
  name: string;
  title?: string;
  /** Age relative to the simulator clock at seeding time; ignored when `createdAt` is given. */
  ageDays?: number;
  createdAt?: string;
  clientId?: string;
  /** When given it is stored (hashed) and reported by `issuedSecrets()`; otherwise a secret nobody ever sees is generated. */
  clientSecret?: string;
}

export interface SimAppSeed {
  name: string;
  title?: string;
  /** An app with `credentials: []` has none. */
  credentials: SimCredentialSeed[];
}

export interface SimConsumerOrgSeed {
  name: string;
  title?: string;
  /** Every consumer org gets an owner user; without `email` the owner has none. */
  owner?: { username?: string; email?: string };
  apps: SimAppSeed[];
}

export interface SimCatalogSeed {
  providerOrg: string;
  catalog: string;
  consumerOrgs: SimConsumerOrgSeed[];
}

export interface SimulatorSeed {
  catalogs: SimCatalogSeed[];
}

export interface SimulatorOptions {
  seed?: SimulatorSeed;
  /** Start of the simulator clock. The clock is frozen: it only moves through `clock.set` and `clock.advanceDays`. */
  now?: Date;
  tls?: { key: string; cert: string };
  /** @default 28800, measured on the real (wall) clock */
  tokenTtlSeconds?: number;
  /** @default 50 when the request has no `limit` */
  defaultPageLimit?: number;
  /** Larger limits are clamped (the real maximum is unknown). @default 100 */
  maxPageLimit?: number;
  /** Fixed latency added to every request. @default 0 */
  latencyMs?: number;
  /** Makes fault decisions and generated ids deterministic. @default a random seed */
  randomSeed?: number;
  /** False models APIC versions whose expanded credentials lack `created_at`. @default true */
  expandedCredentialsIncludeCreatedAt?: boolean;
  /**
   * Key under which `expand=credentials` puts an app's credentials. A public blog output shows `credentials`;
   * the rotator's contract uses `app_credentials`. @default 'app_credentials'
   */
  expandedCredentialsKey?: 'app_credentials' | 'credentials';
  /** POST/PATCH honour `client_id`/`client_secret` in the body; false ignores them. @default true */
  acceptSuppliedCredentials?: boolean;
  /**
   * Status for a `client_id` already used by another credential of the catalog (real APIC unknown). @default 400
   */
  duplicateClientIdStatus?: 400 | 409;
  /** Status of `verify-client-secret` on a mismatch (real APIC unknown). @default 400 */
  verifyMismatchStatus?: 400 | 401;
  /** Models a server that refuses to delete an app's last credential (real APIC unknown). @default false */
  refuseLastCredentialDelete?: boolean;
}

export interface RouteMatch {
  method?: string;
  /** A route key as in `counters()`, e.g. "POST /apps/:porg/:catalog/:corg/:app/credentials". */
  route?: string;
}

export interface FaultConfig {
  /** Probability of a 5xx (503) per request, overall or per route key. */
  errorRate?: number | Record<string, number>;
  /** Probability of a 429 with Retry-After. */
  throttleRate?: number;
  /** @default 1 */
  retryAfterSeconds?: number;
  latencyMs?: number;
  latencyJitterMs?: number;
  /** Probability of destroying the socket; a mutation is committed first half of the time. */
  dropRate?: number;
}

export interface SimulatorFaults {
  /** Replaces the current configuration (queued one-shot faults are kept). */
  set(config: FaultConfig): void;
  /** Clears the configuration and every queued one-shot fault. */
  clear(): void;
  /** Every token issued so far becomes invalid (401). */
  forceTokenExpiry(): void;
  /** Destroys the socket without answering; `afterCommit` applies the mutation first. */
  dropNext(match: RouteMatch, options: { count?: number; afterCommit: boolean }): void;
  throttleNext(match: RouteMatch, options: { count: number; retryAfterSeconds: number }): void;
  failNext(match: RouteMatch, options: { count: number; status: 500 | 502 | 503 | 504 }): void;
}

export interface SimulatorClock {
  now(): Date;
  set(date: Date): void;
  advanceDays(days: number): void;
}

export interface InspectedCredential {
  id: string;
  name: string;
  title: string;
  clientId: string;
  createdAt: string;
}

export interface ApicSimulator {
  /** e.g. "http://127.0.0.1:41234/api/" (https when tls is given). */
  readonly baseUrl: string;
  /** Valid password-grant credentials. */
  readonly admin: { username: string; password: string; realm: string; clientId: string; clientSecret: string };
  /** Valid for grant_type "api_key" (with `admin.clientId`/`admin.clientSecret`). */
  readonly apiKey: string;
  readonly clock: SimulatorClock;
  readonly faults: SimulatorFaults;
  /** Requests received per route key, faulted ones included; unknown paths count under "<METHOD> (unknown)". */
  counters(): Record<string, number>;
  /** All requests counted by `counters()` except `POST /token`. */
  totalCalls(): number;
  resetCounters(): void;
  /**
   * Additive: existing orgs, catalogs, consumer orgs and apps are reused by name. Throws `SimulatorSeedError` on a
   * credential name already in its app or a client id already in its catalog; what came before it stays seeded.
   */
  seed(seed: SimulatorSeed): void;
  readonly inspect: {
    credentials(providerOrg: string, catalog: string, consumerOrg: string, app: string): InspectedCredential[];
    apps(providerOrg: string, catalog: string): Array<{ consumerOrg: string; app: string; credentialCount: number }>;
    /** Whether verify-client-secret would accept the pair for some credential of that app. */
    accepts(
      providerOrg: string,
      catalog: string,
      consumerOrg: string,
      app: string,
      clientId: string,
      clientSecret: string,
    ): boolean;
  };
  /**
   * Every client secret issued over HTTP or accepted (seeded, POSTed, PATCHed), every access token issued, and the
   * admin password, client secret and API key: the strings a "no secret leaked" scan looks for.
   */
  issuedSecrets(): string[];
  /** Models a rebuilt API Manager: apps kept (same names), all credentials of the catalog gone. */
  wipeCredentials(providerOrg: string, catalog: string): void;
  /**
   * A deep copy, as plain data, of everything the simulator holds: clock, catalogs down to credentials (in listing
   * order), id and fault generators, admin credentials, issued secrets and tokens, faults and counters.
   */
  snapshot(): SimulatorSnapshot;
  /**
   * Replaces everything `snapshot()` covers with a deep copy of `snapshot` (possibly taken from another simulator);
   * the server, its base URL and the start options stay. Later changes on either side never reach the other.
   */
  restore(snapshot: SimulatorSnapshot): void;
  close(): Promise<void>;
}

/** What `ApicSimulator.snapshot()` returns: plain data (structured-clonable), sharing nothing with the simulator. */
export interface SimulatorSnapshot {
  /** The simulator clock, ISO 8601. */
  readonly now: string;
  readonly store: StoreSnapshot;
  readonly idRandom: number;
  readonly faultRandom: number;
  readonly admin: { readonly username: string; readonly password: string; readonly realm: string; readonly clientId: string; readonly clientSecret: string };
  readonly apiKey: string;
  readonly revealed: readonly string[];
  /** Token → wall-clock expiry (ms). */
  readonly tokens: ReadonlyArray<readonly [string, number]>;
  readonly faults: FaultInjectorSnapshot;
  readonly counters: Readonly<Record<string, number>>;
}
