/**
 * An APIC v10 platform API simulator over real HTTP(S) on loopback, for the client's tests, the end-to-end
 * workflow tests, the demo and the benchmark. See /work/shared/docs/apic-platform-api.md for the behaviour modelled.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { FaultInjector } from './faults';
import { SeededRandom } from './random';
import { buildRoutes, type ApiSettings } from './routes';
import { hashSecret, SimulatorStore } from './store';
import type { App, Catalog } from './store';
import { TokenIssuer } from './tokens';
import { Router, SimulatorTransport } from './transport';
import type { ApicSimulator, SimulatorClock, SimulatorOptions, SimulatorSnapshot } from './types';
import { Views } from './views';
import { closeServer, listenOnLoopback } from '../emulators/loopback';
import { DAY_MS } from '../../functions/domain/time';

export type * from './types';
export { SimulatorSeedError } from './store';

export class SimulatorLookupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulatorLookupError';
  }
}

const TOKEN_ROUTE_KEY = 'POST /token';

class FrozenClock implements SimulatorClock {
  private current: number;

  constructor(start: Date) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  set(date: Date): void {
    this.current = date.getTime();
  }

  advanceDays(days: number): void {
    this.current += days * DAY_MS;
  }
}

export async function startApicSimulator(options: SimulatorOptions = {}): Promise<ApicSimulator> {
  const seedNumber = options.randomSeed ?? randomInt(0, 2 ** 31);
  const idRandom = new SeededRandom(seedNumber);
  const faultRandom = new SeededRandom(seedNumber ^ 0x5bd1e995);
  const clock = new FrozenClock(options.now ?? new Date());
  const revealed = new Set<string>();
  const recordSecret = (secret: string): void => {
    revealed.add(secret);
  };
  // Mutable in place: the routes read them per request, and `restore` puts a snapshot's back.
  const admin = {
    username: 'rotator-admin',
    password: randomBytes(12).toString('base64url'),
    realm: 'provider/default-idp-2',
    clientId: idRandom.hex(32),
    clientSecret: randomBytes(16).toString('hex'),
  };
  const settings: ApiSettings = {
    admin,
    apiKey: randomBytes(24).toString('base64url'),
    defaultPageLimit: options.defaultPageLimit ?? 50,
    maxPageLimit: options.maxPageLimit ?? 100,
    acceptSuppliedCredentials: options.acceptSuppliedCredentials ?? true,
    duplicateClientIdStatus: options.duplicateClientIdStatus ?? 400,
    verifyMismatchStatus: options.verifyMismatchStatus ?? 400,
    refuseLastCredentialDelete: options.refuseLastCredentialDelete ?? false,
  };
  [admin.password, admin.clientSecret, settings.apiKey].forEach(recordSecret);

  const store = new SimulatorStore(idRandom, clock, recordSecret);
  const tokens = new TokenIssuer(options.tokenTtlSeconds ?? 28_800, recordSecret);
  const faults = new FaultInjector(faultRandom);
  if (options.seed) store.seed(options.seed);

  const server: Server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert })
    : createHttpServer();
  const { endpoint } = await listenOnLoopback(server);
  const apiBase = `${endpoint}/api/`;
  const views = new Views({
    apiBase,
    expandedCredentialsKey: options.expandedCredentialsKey ?? 'app_credentials',
    expandedCredentialsIncludeCreatedAt: options.expandedCredentialsIncludeCreatedAt ?? true,
  });
  const router = new Router(
    buildRoutes({
      store,
      views,
      tokens,
      recordSecret,
      settings,
    }),
  );
  const transport = new SimulatorTransport({ router, tokens, faults, baseLatencyMs: options.latencyMs ?? 0 });
  server.on('request', transport.listener);

  const requireCatalog = (providerOrg: string, catalog: string): Catalog => {
    const found = store.findCatalog(providerOrg, catalog);
    if (!found) throw new SimulatorLookupError(`No catalog ${providerOrg}/${catalog}`);
    return found;
  };
  const requireApp = (providerOrg: string, catalog: string, consumerOrg: string, app: string): App => {
    const found = requireCatalog(providerOrg, catalog).consumerOrgs.find(consumerOrg)?.apps.find(app);
    if (!found) throw new SimulatorLookupError(`No app ${consumerOrg}/${app} in ${providerOrg}/${catalog}`);
    return found;
  };

  return {
    baseUrl: apiBase,
    get admin() {
      return { ...admin };
    },
    get apiKey() {
      return settings.apiKey;
    },
    clock,
    faults: {
      set: (config) => faults.set(config),
      clear: () => faults.clear(),
      forceTokenExpiry: () => tokens.expireAll(),
      dropNext: (match, { count = 1, afterCommit }) => faults.enqueue(match, count, { kind: 'drop', afterCommit }),
      throttleNext: (match, { count, retryAfterSeconds }) =>
        faults.enqueue(match, count, { kind: 'throttle', retryAfterSeconds }),
      failNext: (match, { count, status }) => faults.enqueue(match, count, { kind: 'fail', status }),
    },
    counters: () => transport.counters(),
    totalCalls: () =>
      Object.entries(transport.counters()).reduce((sum, [key, count]) => (key === TOKEN_ROUTE_KEY ? sum : sum + count), 0),
    resetCounters: () => transport.resetCounters(),
    seed: (seed) => store.seed(seed),
    inspect: {
      credentials: (providerOrg, catalog, consumerOrg, app) =>
        requireApp(providerOrg, catalog, consumerOrg, app)
          .credentials.list()
          .map(({ id, name, title, clientId, createdAt }) => ({ id, name, title, clientId, createdAt })),
      apps: (providerOrg, catalog) =>
        requireCatalog(providerOrg, catalog)
          .apps.list()
          .map((app) => ({ consumerOrg: app.consumerOrg.name, app: app.name, credentialCount: app.credentials.size })),
      accepts: (providerOrg, catalog, consumerOrg, app, clientId, clientSecret) => {
        const hash = hashSecret(clientSecret);
        return requireApp(providerOrg, catalog, consumerOrg, app)
          .credentials.list()
          .some((credential) => credential.clientId === clientId && credential.secretHash === hash);
      },
    },
    issuedSecrets: () => [...revealed],
    wipeCredentials: (providerOrg, catalog) => store.wipeCredentials(requireCatalog(providerOrg, catalog)),
    snapshot: (): SimulatorSnapshot => ({
      now: clock.now().toISOString(),
      store: store.snapshot(),
      idRandom: idRandom.snapshot(),
      faultRandom: faultRandom.snapshot(),
      admin: { ...admin },
      apiKey: settings.apiKey,
      revealed: [...revealed],
      tokens: tokens.snapshot(),
      faults: faults.snapshot(),
      counters: transport.counters(),
    }),
    restore: (snapshot) => {
      clock.set(new Date(snapshot.now));
      store.restore(snapshot.store);
      idRandom.restore(snapshot.idRandom);
      faultRandom.restore(snapshot.faultRandom);
      Object.assign(admin, snapshot.admin);
      settings.apiKey = snapshot.apiKey;
      revealed.clear();
      for (const secret of snapshot.revealed) revealed.add(secret);
      tokens.restore(snapshot.tokens);
      faults.restore(snapshot.faults);
      transport.restoreCounters(snapshot.counters);
    },
    close: () => {
      transport.abandonPending();
      return closeServer(server);
    },
  };
}

