/**
 * The simulator's state: provider orgs → catalogs → consumer orgs → apps → credentials, indexed by id and by name,
 * in insertion order (paging depends on a stable order). Knows nothing about HTTP.
 */
import { createHash, randomBytes } from 'node:crypto';
import { SeededRandom } from './random';
import type { SimCredentialSeed, SimulatorSeed } from './types';
import { DAY_MS } from '../../functions/domain/time';

export class SimulatorSeedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SimulatorSeedError';
  }
}

/** Entities by id in insertion order; the array view is cached because listings page through it repeatedly. */
export class OrderedIndex<T extends { id: string }> {
  private readonly byId = new Map<string, T>();
  private snapshot: T[] | undefined;

  get size(): number {
    return this.byId.size;
  }

  getById(id: string): T | undefined {
    return this.byId.get(id);
  }

  add(entity: T): void {
    this.byId.set(entity.id, entity);
    this.snapshot = undefined;
  }

  delete(entity: T): void {
    this.byId.delete(entity.id);
    this.snapshot = undefined;
  }

  clear(): void {
    this.byId.clear();
    this.snapshot = undefined;
  }

  list(): readonly T[] {
    this.snapshot ??= [...this.byId.values()];
    return this.snapshot;
  }
}

/** An ordered index whose entities are also addressable by their (unique within the parent) name. */
export class NamedIndex<T extends { id: string; name: string }> extends OrderedIndex<T> {
  private readonly byName = new Map<string, T>();

  /** APIC path segments take a name or an id; a name wins when both could match. */
  find(nameOrId: string): T | undefined {
    return this.byName.get(nameOrId) ?? this.getById(nameOrId);
  }

  getByName(name: string): T | undefined {
    return this.byName.get(name);
  }

  override add(entity: T): void {
    super.add(entity);
    this.byName.set(entity.name, entity);
  }

  override delete(entity: T): void {
    super.delete(entity);
    this.byName.delete(entity.name);
  }

  override clear(): void {
    super.clear();
    this.byName.clear();
  }

  rename(entity: T, name: string): void {
    this.byName.delete(entity.name);
    entity.name = name;
    this.byName.set(name, entity);
  }
}

export interface ProviderOrg {
  id: string;
  name: string;
  catalogs: NamedIndex<Catalog>;
}

export interface Catalog {
  id: string;
  name: string;
  providerOrg: ProviderOrg;
  consumerOrgs: NamedIndex<ConsumerOrg>;
  apps: OrderedIndex<App>;
  credentials: OrderedIndex<Credential>;
  credentialsByClientId: Map<string, Credential>;
  userRegistryId: string;
}

export interface Owner {
  id: string;
  username: string;
  email?: string;
  firstName: string;
  lastName: string;
}

export interface ConsumerOrg {
  id: string;
  name: string;
  title: string;
  catalog: Catalog;
  owner: Owner;
  apps: NamedIndex<App>;
  createdAt: string;
}

export interface App {
  id: string;
  name: string;
  title: string;
  consumerOrg: ConsumerOrg;
  credentials: NamedIndex<Credential>;
  createdAt: string;
  updatedAt: string;
}

export interface Credential {
  id: string;
  name: string;
  title: string;
  summary: string;
  clientId: string;
  secretHash: string;
  createdAt: string;
  updatedAt: string;
  app: App;
}

/** The store as plain data (no cycles, no shared objects): what `SimulatorStore.snapshot()` returns. */
export interface StoreSnapshot {
  readonly providerOrgs: ReadonlyArray<{
    readonly id: string;
    readonly name: string;
    readonly catalogs: readonly CatalogSnapshot[];
  }>;
}

export interface CatalogSnapshot {
  readonly id: string;
  readonly name: string;
  readonly userRegistryId: string;
  readonly consumerOrgs: readonly ConsumerOrgSnapshot[];
  /** The catalog's apps and credentials by id, in the catalog's own order (listings page through it). */
  readonly appIds: readonly string[];
  readonly credentialIds: readonly string[];
  /** Client id → credential id. */
  readonly credentialsByClientId: ReadonlyArray<readonly [string, string]>;
}

export interface ConsumerOrgSnapshot {
  readonly id: string;
  readonly name: string;
  readonly title: string;
  readonly owner: Owner;
  readonly createdAt: string;
  readonly apps: readonly AppSnapshot[];
}

export interface AppSnapshot {
  readonly id: string;
  readonly name: string;
  readonly title: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly credentials: ReadonlyArray<Omit<Credential, 'app'>>;
}

export interface SimClockState {
  now(): Date;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function generateClientSecret(): string {
  return randomBytes(24).toString('hex');
}

export class SimulatorStore {
  readonly providerOrgs = new NamedIndex<ProviderOrg>();

  constructor(
    private readonly random: SeededRandom,
    private readonly clock: SimClockState,
    /** Told about every secret a caller knows, for leak scans. */
    private readonly recordSecret: (secret: string) => void,
  ) {}

  findCatalog(providerOrg: string, catalog: string): Catalog | undefined {
    return this.providerOrgs.find(providerOrg)?.catalogs.find(catalog);
  }

  nowIso(): string {
    return this.clock.now().toISOString();
  }

  seed(seed: SimulatorSeed): void {
    for (const catalogSeed of seed.catalogs) {
      const catalog = this.ensureCatalog(catalogSeed.providerOrg, catalogSeed.catalog);
      for (const orgSeed of catalogSeed.consumerOrgs) {
        const consumerOrg =
          catalog.consumerOrgs.getByName(orgSeed.name) ??
          this.addConsumerOrg(catalog, orgSeed.name, orgSeed.title, orgSeed.owner);
        for (const appSeed of orgSeed.apps) {
          const app = consumerOrg.apps.getByName(appSeed.name) ?? this.addApp(consumerOrg, appSeed.name, appSeed.title);
          for (const credentialSeed of appSeed.credentials) this.seedCredential(app, credentialSeed);
        }
      }
    }
  }

  addCredential(
    app: App,
    fields: { name: string; title: string; summary: string; clientId?: string; secretHash: string; createdAt?: string },
  ): Credential {
    const catalog = app.consumerOrg.catalog;
    const createdAt = fields.createdAt ?? this.nowIso();
    const credential: Credential = {
      id: this.random.uuid(),
      name: fields.name,
      title: fields.title,
      summary: fields.summary,
      clientId: fields.clientId ?? this.unusedClientId(catalog),
      secretHash: fields.secretHash,
      createdAt,
      updatedAt: createdAt,
      app,
    };
    app.credentials.add(credential);
    catalog.credentials.add(credential);
    catalog.credentialsByClientId.set(credential.clientId, credential);
    return credential;
  }

  deleteCredential(credential: Credential): void {
    const catalog = credential.app.consumerOrg.catalog;
    credential.app.credentials.delete(credential);
    catalog.credentials.delete(credential);
    catalog.credentialsByClientId.delete(credential.clientId);
  }

  renameCredential(credential: Credential, name: string): void {
    credential.app.credentials.rename(credential, name);
  }

  setClientId(credential: Credential, clientId: string): void {
    const index = credential.app.consumerOrg.catalog.credentialsByClientId;
    index.delete(credential.clientId);
    credential.clientId = clientId;
    index.set(clientId, credential);
  }

  /** A fresh 32-hex client id not used in the catalog. */
  unusedClientId(catalog: Catalog): string {
    let clientId = this.random.hex(32);
    while (catalog.credentialsByClientId.has(clientId)) clientId = this.random.hex(32);
    return clientId;
  }

  /** Everything the store holds, as a deep copy in plain data. */
  snapshot(): StoreSnapshot {
    return {
      providerOrgs: this.providerOrgs.list().map((providerOrg) => ({
        id: providerOrg.id,
        name: providerOrg.name,
        catalogs: providerOrg.catalogs.list().map((catalog) => ({
          id: catalog.id,
          name: catalog.name,
          userRegistryId: catalog.userRegistryId,
          consumerOrgs: catalog.consumerOrgs.list().map((consumerOrg) => ({
            id: consumerOrg.id,
            name: consumerOrg.name,
            title: consumerOrg.title,
            owner: { ...consumerOrg.owner },
            createdAt: consumerOrg.createdAt,
            apps: consumerOrg.apps.list().map((app) => ({
              id: app.id,
              name: app.name,
              title: app.title,
              createdAt: app.createdAt,
              updatedAt: app.updatedAt,
              credentials: app.credentials.list().map(({ id, name, title, summary, clientId, secretHash, createdAt, updatedAt }) => ({
                id,
                name,
                title,
                summary,
                clientId,
                secretHash,
                createdAt,
                updatedAt,
              })),
            })),
          })),
          appIds: catalog.apps.list().map((app) => app.id),
          credentialIds: catalog.credentials.list().map((credential) => credential.id),
          credentialsByClientId: [...catalog.credentialsByClientId].map(([clientId, credential]) => [clientId, credential.id] as const),
        })),
      })),
    };
  }

  /** Replaces everything the store holds with a deep copy of `snapshot`. */
  restore(snapshot: StoreSnapshot): void {
    this.providerOrgs.clear();
    for (const providerOrgSnapshot of snapshot.providerOrgs) {
      const providerOrg: ProviderOrg = { id: providerOrgSnapshot.id, name: providerOrgSnapshot.name, catalogs: new NamedIndex() };
      this.providerOrgs.add(providerOrg);
      for (const catalogSnapshot of providerOrgSnapshot.catalogs) providerOrg.catalogs.add(restoreCatalog(providerOrg, catalogSnapshot));
    }
  }

  wipeCredentials(catalog: Catalog): void {
    for (const app of catalog.apps.list()) app.credentials.clear();
    catalog.credentials.clear();
    catalog.credentialsByClientId.clear();
  }

  private ensureCatalog(providerOrgName: string, catalogName: string): Catalog {
    let providerOrg = this.providerOrgs.getByName(providerOrgName);
    if (!providerOrg) {
      providerOrg = { id: this.random.uuid(), name: providerOrgName, catalogs: new NamedIndex() };
      this.providerOrgs.add(providerOrg);
    }
    let catalog = providerOrg.catalogs.getByName(catalogName);
    if (!catalog) {
      catalog = {
        id: this.random.uuid(),
        name: catalogName,
        providerOrg,
        consumerOrgs: new NamedIndex(),
        apps: new OrderedIndex(),
        credentials: new OrderedIndex(),
        credentialsByClientId: new Map(),
        userRegistryId: this.random.uuid(),
      };
      providerOrg.catalogs.add(catalog);
    }
    return catalog;
  }

  private addConsumerOrg(
    catalog: Catalog,
    name: string,
    title: string | undefined,
    owner: { username?: string; email?: string } | undefined,
  ): ConsumerOrg {
    const username = owner?.username ?? `${name}-owner`;
    const consumerOrg: ConsumerOrg = {
      id: this.random.uuid(),
      name,
      title: title ?? name,
      catalog,
      owner: {
        id: this.random.uuid(),
        username,
        firstName: username,
        lastName: 'Owner',
        ...(owner?.email === undefined ? {} : { email: owner.email }),
      },
      apps: new NamedIndex(),
      createdAt: this.nowIso(),
    };
    catalog.consumerOrgs.add(consumerOrg);
    return consumerOrg;
  }

  private addApp(consumerOrg: ConsumerOrg, name: string, title: string | undefined): App {
    const now = this.nowIso();
    const app: App = {
      id: this.random.uuid(),
      name,
      title: title ?? name,
      consumerOrg,
      credentials: new NamedIndex(),
      createdAt: now,
      updatedAt: now,
    };
    consumerOrg.apps.add(app);
    consumerOrg.catalog.apps.add(app);
    return app;
  }

  private seedCredential(app: App, seed: SimCredentialSeed): void {
    const where = `${app.consumerOrg.name}/${app.name}/${seed.name}`;
    if (app.credentials.getByName(seed.name)) {
      throw new SimulatorSeedError(`Credential ${where} is seeded twice`);
    }
    if (seed.clientId !== undefined && app.consumerOrg.catalog.credentialsByClientId.has(seed.clientId)) {
      throw new SimulatorSeedError(`Credential ${where} reuses a client id already in the catalog`);
    }
    if (seed.clientSecret !== undefined) this.recordSecret(seed.clientSecret);
    this.addCredential(app, {
      name: seed.name,
      title: seed.title ?? seed.name,
      summary: '',
      // Without a supplied secret nobody may ever know it, so a random digest stands in for its hash (fast at scale).
      secretHash: seed.clientSecret === undefined ? this.random.hex(64) : hashSecret(seed.clientSecret),
      createdAt: this.seedCreatedAt(seed, where),
      ...(seed.clientId === undefined ? {} : { clientId: seed.clientId }),
    });
  }

  private seedCreatedAt(seed: SimCredentialSeed, where: string): string {
    if (seed.createdAt === undefined) {
      return new Date(this.clock.now().getTime() - (seed.ageDays ?? 0) * DAY_MS).toISOString();
    }
    const createdAt = new Date(seed.createdAt);
    if (Number.isNaN(createdAt.getTime())) {
      throw new SimulatorSeedError(`Credential ${where} has an unparseable createdAt`);
    }
    return createdAt.toISOString();
  }
}

function restoreCatalog(providerOrg: ProviderOrg, snapshot: CatalogSnapshot): Catalog {
  const catalog: Catalog = {
    id: snapshot.id,
    name: snapshot.name,
    providerOrg,
    consumerOrgs: new NamedIndex(),
    apps: new OrderedIndex(),
    credentials: new OrderedIndex(),
    credentialsByClientId: new Map(),
    userRegistryId: snapshot.userRegistryId,
  };
  const apps = new Map<string, App>();
  const credentials = new Map<string, Credential>();
  for (const orgSnapshot of snapshot.consumerOrgs) {
    const consumerOrg: ConsumerOrg = {
      id: orgSnapshot.id,
      name: orgSnapshot.name,
      title: orgSnapshot.title,
      catalog,
      owner: { ...orgSnapshot.owner },
      apps: new NamedIndex(),
      createdAt: orgSnapshot.createdAt,
    };
    catalog.consumerOrgs.add(consumerOrg);
    for (const appSnapshot of orgSnapshot.apps) {
      const app: App = {
        id: appSnapshot.id,
        name: appSnapshot.name,
        title: appSnapshot.title,
        consumerOrg,
        credentials: new NamedIndex(),
        createdAt: appSnapshot.createdAt,
        updatedAt: appSnapshot.updatedAt,
      };
      consumerOrg.apps.add(app);
      apps.set(app.id, app);
      for (const credentialSnapshot of appSnapshot.credentials) {
        const { id, name, title, summary, clientId, secretHash, createdAt, updatedAt } = credentialSnapshot;
        const credential: Credential = { id, name, title, summary, clientId, secretHash, createdAt, updatedAt, app };
        app.credentials.add(credential);
        credentials.set(credential.id, credential);
      }
    }
  }
  const lookup = <T>(index: Map<string, T>, id: string, what: string): T => {
    const found = index.get(id);
    if (!found) throw new Error(`Simulator snapshot of catalog ${snapshot.name} lists ${what} ${id} that no consumer org holds`);
    return found;
  };
  for (const id of snapshot.appIds) catalog.apps.add(lookup(apps, id, 'app'));
  for (const id of snapshot.credentialIds) catalog.credentials.add(lookup(credentials, id, 'credential'));
  for (const [clientId, id] of snapshot.credentialsByClientId) catalog.credentialsByClientId.set(clientId, lookup(credentials, id, 'credential'));
  return catalog;
}
