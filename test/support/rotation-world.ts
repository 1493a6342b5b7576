/**
 * A small in-memory model of one APIC app, its secret store and notice ledger, in which the policy's actions
 * are executed the way the workflow executes them, sub-step by sub-step, so a run can stop between any two.
 * It holds real (fake) secrets so it can tell which credentials a consumer can actually use.
 */
import type { ApicApp, NoticeKind } from '../../functions/domain/model';
import type { StoredCredentialState } from '../../functions/domain/ports';
import { assessApp, candidateBaseNames } from '../../functions/domain/policy';
import type { PolicySettings, RotationAction } from '../../functions/domain/policy';

interface WorldCredential {
  id: string;
  name: string;
  title: string;
  clientId: string;
  secret: string;
  createdAt: string;
}

interface SecretVersion {
  readonly versionId: string;
  readonly token: string;
  readonly clientId: string;
  readonly secret: string;
  readonly cycleId: string;
}

interface BaseSecret {
  readonly versions: SecretVersion[];
  currentVersionId?: string;
  pendingVersionId?: string;
  readonly noticesSent: Partial<Record<NoticeKind, string>>;
  readonly noticesPending: Partial<Record<NoticeKind, string>>;
}

export interface SentNotice {
  readonly base: string;
  readonly kind: NoticeKind;
  readonly cycleId: string;
}

export interface World {
  readonly credentials: WorldCredential[];
  readonly secrets: Map<string, BaseSecret>;
  /** `clientId:secret` pairs a consumer holds or can fetch (pre-existing ones, and every version made current). */
  readonly held: Set<string>;
  /** Credential id → the initial credential name whose lifecycle it belongs to. */
  readonly lineage: Map<string, string>;
  readonly initial: ReadonlyArray<{ readonly name: string; readonly title: string }>;
  readonly sent: SentNotice[];
  /** Every notice ever queued, in order. */
  readonly queued: SentNotice[];
  /** Ids of the credentials deleted so far. */
  readonly deleted: string[];
  nextId: number;
}

/** The policy emitted an action the real APIC or Secrets Manager would refuse. */
export class WorldConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorldConflict';
  }
}

export interface InitialCredential {
  readonly name: string;
  readonly createdAt: string;
}

export function createWorld(initial: readonly InitialCredential[]): World {
  const world: World = {
    credentials: [],
    secrets: new Map(),
    held: new Set(),
    lineage: new Map(),
    initial: initial.map((c) => ({ name: c.name, title: titleOf(c.name) })),
    sent: [],
    queued: [],
    deleted: [],
    nextId: 1,
  };
  for (const c of initial) {
    const credential = { id: freshId(world, 'cred'), name: c.name, title: titleOf(c.name), clientId: freshId(world, 'client'), secret: freshId(world, 'secret'), createdAt: c.createdAt };
    world.credentials.push(credential);
    world.held.add(pairKey(credential));
    world.lineage.set(credential.id, c.name);
  }
  return world;
}

export function titleOf(name: string): string {
  return `Title of ${name}`;
}

export function appOf(world: World): ApicApp {
  return {
    id: 'app-1',
    name: 'billing',
    title: 'Billing',
    consumerOrg: { id: 'org-1', name: 'acme' },
    credentials: world.credentials.map(({ id, name, title, clientId, createdAt }) => ({ id, name, title, clientId, createdAt })),
  };
}

export function storeOf(world: World, bases: readonly string[]): Map<string, StoredCredentialState> {
  const store = new Map<string, StoredCredentialState>();
  for (const base of bases) {
    const secret = world.secrets.get(base);
    if (!secret) continue;
    const stored = (versionId: string | undefined) => {
      const version = secret.versions.find((v) => v.versionId === versionId);
      return version ? { clientId: version.clientId, cycleId: version.cycleId, versionId: version.versionId } : undefined;
    };
    const current = stored(secret.currentVersionId);
    const pending = stored(secret.pendingVersionId);
    store.set(base, {
      secretExists: true,
      ...(current ? { current } : {}),
      ...(pending ? { pending } : {}),
      noticesSent: { ...secret.noticesSent },
      noticesPending: { ...secret.noticesPending },
    });
  }
  return store;
}

/** Per base: whether the credential holding the current version's client id accepts its secret (verify-client-secret). */
export function verifiedCurrentOf(world: World, bases: readonly string[]): Map<string, boolean> {
  const verified = new Map<string, boolean>();
  for (const base of bases) {
    const secret = world.secrets.get(base);
    const current = secret?.versions.find((v) => v.versionId === secret.currentVersionId);
    const holder = current && world.credentials.find((c) => c.clientId === current.clientId);
    if (current && holder) verified.set(base, holder.secret === current.secret);
  }
  return verified;
}

export function assessWorld(world: World, now: Date, settings: PolicySettings) {
  const app = appOf(world);
  const bases = candidateBaseNames(app.credentials, settings.replacementSuffix);
  return assessApp({ app, store: storeOf(world, bases), verifiedCurrent: verifiedCurrentOf(world, bases), now, settings, ownerEmailKnown: true });
}

export interface RunOptions {
  /** Stop the run after this many sub-steps (a crashed Lambda, a timeout): later steps and the digest do not happen. */
  readonly crashAfterStep?: number;
  readonly afterEachStep?: (world: World) => void;
}

export interface RunResult {
  readonly actions: readonly RotationAction[];
  readonly crashed: boolean;
}

/** One workflow run over the app: assess, execute each action in order, then send the queued notices. */
export function runOnce(world: World, now: Date, settings: PolicySettings, options: RunOptions = {}): RunResult {
  const { actions } = assessWorld(world, now, settings);
  let stepsDone = 0;
  for (const action of actions) {
    const steps = apply(action, world, now);
    while (!steps.next().done) {
      stepsDone += 1;
      options.afterEachStep?.(world);
      if (options.crashAfterStep !== undefined && stepsDone >= options.crashAfterStep) return { actions, crashed: true };
    }
  }
  sendQueuedNotices(world);
  return { actions, crashed: false };
}

/** Executes one action as the workflow does, yielding after each sub-step so the caller can stop there. */
export function* apply(action: RotationAction, world: World, now: Date): Generator<void> {
  switch (action.kind) {
    case 'create-replacement': {
      const version = stagePending(world, action.base, `create:${action.cycleId}`, action.cycleId, () => ({
        clientId: freshId(world, 'client'),
        secret: freshId(world, 'secret'),
      }));
      yield;
      const existing = world.credentials.find((c) => c.name === action.replacementName);
      if (existing && existing.clientId !== version.clientId) {
        throw new WorldConflict(`409: ${action.replacementName} exists with another client id`);
      }
      if (!existing) {
        const lineage = world.lineage.get(action.original.id);
        if (lineage === undefined) throw new WorldConflict(`original ${action.original.id} has no lineage`);
        const id = freshId(world, 'cred');
        world.credentials.push({
          id,
          name: action.replacementName,
          title: action.replacementTitle,
          clientId: version.clientId,
          secret: version.secret,
          createdAt: now.toISOString(),
        });
        world.lineage.set(id, lineage);
      }
      yield;
      promote(world, action.base, version.versionId);
      yield;
      return;
    }
    case 'finish-replacement': {
      const pending = pendingVersion(world, action.base);
      const credential = credentialById(world, action.replacement.id);
      if (!pending || pending.clientId !== credential.clientId) throw new WorldConflict('finish without a matching staged version');
      credential.secret = pending.secret;
      yield;
      promote(world, action.base, pending.versionId);
      yield;
      return;
    }
    case 'repair-replacement': {
      const credential = credentialById(world, action.replacement.id);
      const version = stagePending(world, action.base, `repair:${action.cycleId}:${credential.id}`, action.cycleId, () => ({
        clientId: credential.clientId,
        secret: freshId(world, 'secret'),
      }));
      yield;
      credential.secret = version.secret;
      yield;
      promote(world, action.base, version.versionId);
      yield;
      return;
    }
    case 'delete-original': {
      const index = world.credentials.findIndex((c) => c.id === action.original.id);
      if (index >= 0) {
        world.credentials.splice(index, 1);
        world.deleted.push(action.original.id);
      }
      yield;
      return;
    }
    case 'rename-replacement': {
      const credential = credentialById(world, action.replacement.id);
      if (world.credentials.some((c) => c.name === action.name && c.id !== credential.id)) {
        throw new WorldConflict(`409: cannot rename ${credential.name} to ${action.name}`);
      }
      credential.name = action.name;
      credential.title = action.title;
      yield;
      return;
    }
    case 'queue-notice': {
      secretOf(world, action.base).noticesPending[action.notice] = action.cycleId;
      world.queued.push({ base: action.base, kind: action.notice, cycleId: action.cycleId });
      yield;
      return;
    }
  }
}

function sendQueuedNotices(world: World): void {
  for (const [base, secret] of world.secrets) {
    for (const [kind, cycleId] of Object.entries(secret.noticesPending) as [NoticeKind, string][]) {
      world.sent.push({ base, kind, cycleId });
      secret.noticesSent[kind] = cycleId;
      delete secret.noticesPending[kind];
    }
  }
}

/** Idempotent per token, like `PutSecretValue` with a `ClientRequestToken`. */
function stagePending(
  world: World,
  base: string,
  token: string,
  cycleId: string,
  generate: () => { clientId: string; secret: string },
): SecretVersion {
  const secret = secretOf(world, base);
  const existing = secret.versions.find((v) => v.token === token);
  if (existing) {
    if (secret.currentVersionId !== existing.versionId) secret.pendingVersionId = existing.versionId;
    return existing;
  }
  const version: SecretVersion = { versionId: freshId(world, 'version'), token, cycleId, ...generate() };
  secret.versions.push(version);
  secret.pendingVersionId = version.versionId;
  return version;
}

function promote(world: World, base: string, versionId: string): void {
  const secret = secretOf(world, base);
  const version = secret.versions.find((v) => v.versionId === versionId);
  if (!version) throw new WorldConflict(`no version ${versionId} of ${base}`);
  secret.currentVersionId = versionId;
  if (secret.pendingVersionId === versionId) delete secret.pendingVersionId;
  world.held.add(pairKey(version));
}

function pendingVersion(world: World, base: string): SecretVersion | undefined {
  const secret = world.secrets.get(base);
  return secret?.versions.find((v) => v.versionId === secret.pendingVersionId);
}

function secretOf(world: World, base: string): BaseSecret {
  let secret = world.secrets.get(base);
  if (!secret) {
    secret = { versions: [], noticesSent: {}, noticesPending: {} };
    world.secrets.set(base, secret);
  }
  return secret;
}

function credentialById(world: World, id: string): WorldCredential {
  const credential = world.credentials.find((c) => c.id === id);
  if (!credential) throw new WorldConflict(`404: credential ${id}`);
  return credential;
}

function freshId(world: World, kind: string): string {
  const id = `${kind}-${world.nextId}`;
  world.nextId += 1;
  return id;
}

function pairKey(pair: { clientId: string; secret: string }): string {
  return `${pair.clientId}:${pair.secret}`;
}

/** Per initial credential: how many of its lifecycle's credentials exist, and how many a consumer can use. */
export function lineageCounts(world: World): Map<string, { present: number; usable: number }> {
  const counts = new Map(world.initial.map((c) => [c.name, { present: 0, usable: 0 }]));
  for (const credential of world.credentials) {
    const lineage = world.lineage.get(credential.id);
    const count = lineage === undefined ? undefined : counts.get(lineage);
    if (!count) throw new Error(`credential ${credential.name} belongs to no lifecycle`);
    count.present += 1;
    if (world.held.has(pairKey(credential))) count.usable += 1;
  }
  return counts;
}
