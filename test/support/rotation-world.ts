/**
 * A small in-memory model of one APIC app, its secret store and notice ledger, in which the policy's actions
 * are executed the way the workflow executes them, sub-step by sub-step, so a run can stop between any two and other
 * actors (test/support/other-actors.ts) can act between any two.
 * It holds real (fake) secrets so it can tell which credentials a consumer can actually use, and it records who made
 * each credential and every change the rotator made, with the facts that justified it at that moment.
 */
import type { ApicApp, NoticeKind } from '../../functions/domain/model';
import type { StoredCredentialState } from '../../functions/domain/ports';
import { assessApp, candidateBaseNames } from '../../functions/domain/policy';
import type { AppAssessment, AssessAppInput, PolicySettings, RotationAction } from '../../functions/domain/policy';


/** Who made a credential: the world's starting state, the rotator's create step, or a person / another tool. */
export type Origin = 'initial' | 'rotator' | 'actor';

export interface WorldCredential {
  readonly id: string;
  name: string;
  title: string;
  readonly clientId: string;
  secret: string;
  readonly createdAt: string;
  readonly origin: Origin;
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

/** One change of a credential in APIC, by the rotator or by another actor. */
export interface Mutation {
  readonly by: 'rotator' | 'actor';
  readonly kind: 'create' | 'delete' | 'rename' | 'patch-secret' | 'reset';
  readonly credentialId: string;
  readonly clientId: string;
  /** The credential's name before the change. */
  readonly name: string;
  /** The rotator action whose step made the change. */
  readonly action?: RotationAction['kind'];
  /**
   * Deletions by the rotator: whether, at that moment, a credential the rotator created for this very credential's
   * cycle was in APIC, held the client id of its base's AWSCURRENT, and APIC accepted the stored secret.
   */
  readonly replacementProven?: boolean;
  /** Deletions by the rotator: whether a replacement-ready notice of this credential's cycle had been delivered. */
  readonly announced?: boolean;
}

/** A rotator sub-step after which an app or a lifecycle had no usable credential left, though it had one before. */
export interface Loss {
  readonly action: RotationAction['kind'];
  readonly scope: string;
}

export interface World {
  readonly credentials: WorldCredential[];
  readonly secrets: Map<string, BaseSecret>;
  /**
   * `clientId:secret` pairs a consumer holds or can fetch: pre-existing ones, a person's, and every version made
   * current, until another secret of the same client id is made current (a repair).
   */
  readonly held: Set<string>;
  /**
   * Credential id (including deleted ones) → the consumers' lifecycle it serves: the initial credential's name, or
   * `actor:<id>` for a person's new credential. A replacement serves its original's consumers, whatever its name.
   */
  readonly lineage: Map<string, string>;
  /**
   * Credential id → its rotation unit: like the lifecycle, but a credential a person renamed starts a unit of its own
   * (to the rotator it is another credential), and a replacement joins its original's unit as the run assessed it.
   */
  readonly unit: Map<string, string>;
  readonly initial: ReadonlyArray<{ readonly name: string; readonly title: string }>;
  /** Notices delivered to someone, in order. */
  readonly sent: SentNotice[];
  /** Every notice ever queued, in order. */
  readonly queued: SentNotice[];
  /** Ids of the credentials the rotator deleted. */
  readonly deleted: string[];
  /** Client ids the rotator generated. */
  readonly issued: Set<string>;
  /** Credential the rotator created → the original it was created for, and the base whose secret holds it. */
  readonly replaces: Map<string, { readonly originalId: string; readonly base: string }>;
  /** Credentials the rotator renamed (a completed cycle). */
  readonly renamedByRotator: Set<string>;
  readonly log: Mutation[];
  readonly losses: Loss[];
  nextId: number;
}

/** APIC or Secrets Manager refuses the request (409, 404): the step fails, the rest of the app's actions stop. */
export class WorldConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorldConflict';
  }
}

/** A step's own precondition refuses to act (PreconditionFailedError), or a held deletion fails the app on purpose. */
export class StepRefused extends Error {
  constructor(
    readonly reason: 'precondition' | 'held',
    message: string,
  ) {
    super(message);
    this.name = 'StepRefused';
  }
}

export interface InitialCredential {
  readonly name: string;
  readonly createdAt: string;
  /** False for a credential whose secret nobody kept (an earlier tool's half-done rotation). Default: true. */
  readonly secretKnown?: boolean;
}

export function createWorld(initial: readonly InitialCredential[]): World {
  const world: World = {
    credentials: [],
    secrets: new Map(),
    held: new Set(),
    lineage: new Map(),
    unit: new Map(),
    initial: initial.map((c) => ({ name: c.name, title: titleOf(c.name) })),
    sent: [],
    queued: [],
    deleted: [],
    issued: new Set(),
    replaces: new Map(),
    renamedByRotator: new Set(),
    log: [],
    losses: [],
    nextId: 1,
  };
  for (const c of initial) {
    const credential: WorldCredential = {
      id: freshId(world, 'cred'),
      name: c.name,
      title: titleOf(c.name),
      clientId: freshId(world, 'client'),
      secret: freshId(world, 'secret'),
      createdAt: c.createdAt,
      origin: 'initial',
    };
    world.credentials.push(credential);
    if (c.secretKnown !== false) world.held.add(pairKey(credential));
    world.lineage.set(credential.id, c.name);
    world.unit.set(credential.id, c.name);
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
    const current = currentVersion(world, base);
    const holder = current && world.credentials.find((c) => c.clientId === current.clientId);
    if (current && holder) verified.set(base, holder.secret === current.secret);
  }
  return verified;
}

/** The policy under test: `assessApp`, or a deliberately broken variant of it. */
export type Policy = (input: AssessAppInput) => AppAssessment;

export function assessWorld(world: World, now: Date, settings: PolicySettings, policy: Policy = assessApp): AppAssessment {
  const app = appOf(world);
  const bases = candidateBaseNames(app.credentials, settings.replacementSuffix);
  return policy({ app, store: storeOf(world, bases), verifiedCurrent: verifiedCurrentOf(world, bases), now, settings, ownerEmailKnown: true });
}

export interface RunOptions {
  /** Stop the run after this many sub-steps (a crashed Lambda, a timeout): later steps and the digest do not happen. */
  readonly crashAfterStep?: number;
  /** Called after each completed sub-step, with the number done so far: other actors may act here. */
  readonly afterEachStep?: (world: World, stepsDone: number) => void;
  /** Whether the run's digest reaches anyone (SES works and someone has an address). Default: true. */
  readonly deliver?: boolean;
  readonly policy?: Policy;
  /**
   * Whether the steps re-check the world before acting, as functions/domain/workflow/actions.ts does. False runs the
   * policy's decisions unchecked, so an invariant rests on the policy alone. Default: true.
   */
  readonly guards?: boolean;
}

export interface RunResult {
  readonly actions: readonly RotationAction[];
  readonly crashed: boolean;
  readonly stepsDone: number;
  /** The step that failed the app, if one did: the app's later actions did not run. */
  readonly failure?: { readonly action: RotationAction; readonly error: WorldConflict | StepRefused };
}

/** One workflow run over the app: assess, execute each action in order, then send the queued notices. */
export function runOnce(world: World, now: Date, settings: PolicySettings, options: RunOptions = {}): RunResult {
  const { actions } = assessWorld(world, now, settings, options.policy);
  const context: StepContext = { now, settings, guards: options.guards ?? true, unitsAtAssessment: new Map(world.unit) };
  let stepsDone = 0;
  let failure: RunResult['failure'];
  run: for (const action of actions) {
    const steps = apply(action, world, context);
    for (;;) {
      const before = usableCounts(world);
      let done: boolean | undefined;
      try {
        done = steps.next().done;
      } catch (error) {
        if (!(error instanceof WorldConflict || error instanceof StepRefused)) throw error;
        failure = { action, error };
      }
      recordLosses(world, action, before);
      if (failure) break run;
      if (done) break;
      stepsDone += 1;
      options.afterEachStep?.(world, stepsDone);
      if (options.crashAfterStep !== undefined && stepsDone >= options.crashAfterStep) return { actions, crashed: true, stepsDone, failure };
    }
  }
  if (options.deliver ?? true) sendQueuedNotices(world);
  return { actions, crashed: false, stepsDone, ...(failure ? { failure } : {}) };
}

export interface StepContext {
  readonly now: Date;
  readonly settings: PolicySettings;
  /** Whether the steps' own preconditions run (see RunOptions). */
  readonly guards: boolean;
  /** Rotation units as the run's assessment saw them. */
  readonly unitsAtAssessment: ReadonlyMap<string, string>;
}

/** Executes one action as the workflow does, yielding after each sub-step so the caller can stop there. */
export function* apply(action: RotationAction, world: World, context: StepContext): Generator<void> {
  const { now, settings, guards } = context;
  switch (action.kind) {
    case 'create-replacement': {
      const version = stagePending(world, action.base, `create:${action.cycleId}`, action.cycleId, () => ({
        clientId: issueClientId(world),
        secret: freshId(world, 'secret'),
      }));
      yield;
      if (world.credentials.some((c) => c.name === action.replacementName)) {
        throw new WorldConflict(`409: a credential named ${action.replacementName} exists`);
      }
      if (world.credentials.some((c) => c.clientId === version.clientId)) {
        throw new WorldConflict(`409: client id ${version.clientId} is used by another credential`);
      }
      const lineage = world.lineage.get(action.original.id);
      if (lineage === undefined) throw new Error(`the policy named an original ${action.original.id} that never existed`);
      const created: WorldCredential = {
        id: freshId(world, 'cred'),
        name: action.replacementName,
        title: action.replacementTitle,
        clientId: version.clientId,
        secret: version.secret,
        createdAt: now.toISOString(),
        origin: 'rotator',
      };
      world.credentials.push(created);
      world.lineage.set(created.id, lineage);
      // Made for a stored secret whose original a person renamed away: it continues that secret's unit, not the
      // renamed credential's (which is rotated on its own as well).
      const unit = action.original.name === action.base ? context.unitsAtAssessment.get(action.original.id) : `secret:${action.base}`;
      world.unit.set(created.id, unit ?? lineage);
      world.replaces.set(created.id, { originalId: action.original.id, base: action.base });
      record(world, action, 'create', created);
      yield;
      ensureAccepted(world, action, created.id, version);
      promote(world, action.base, version.versionId);
      yield;
      return;
    }
    case 'finish-replacement': {
      const pending = pendingVersion(world, action.base);
      if (!pending || (guards && pending.clientId !== action.replacement.clientId)) {
        throw new StepRefused('precondition', `no staged secret matches replacement ${action.replacement.name}`);
      }
      ensureAccepted(world, action, action.replacement.id, pending);
      yield;
      promote(world, action.base, pending.versionId);
      yield;
      return;
    }
    case 'repair-replacement': {
      const current = currentVersion(world, action.base);
      if (guards && current?.clientId !== action.replacement.clientId) {
        throw new StepRefused('precondition', `replacement ${action.replacement.name} is not the current stored credential`);
      }
      const token = `repair:${action.cycleId}:${action.replacement.id}:${current?.versionId ?? 'none'}`;
      const version = stagePending(world, action.base, token, action.cycleId, () => ({
        clientId: action.replacement.clientId,
        secret: freshId(world, 'secret'),
      }));
      yield;
      ensureAccepted(world, action, action.replacement.id, version);
      yield;
      promote(world, action.base, version.versionId);
      yield;
      return;
    }
    case 'delete-original': {
      if (guards) checkDeletion(world, action, settings);
      const original = world.credentials.find((c) => c.id === action.original.id);
      if (original) {
        const facts = { replacementProven: replacementProven(world, original.id), announced: announced(world, original.id) };
        world.credentials.splice(world.credentials.indexOf(original), 1);
        world.deleted.push(original.id);
        record(world, action, 'delete', original, facts);
      }
      yield;
      return;
    }
    case 'rename-replacement': {
      const credential = credentialById(world, action.replacement.id);
      if (guards) {
        const labelled = [currentVersion(world, action.base), pendingVersion(world, action.base)];
        if (!labelled.some((v) => v?.clientId === action.replacement.clientId)) {
          throw new StepRefused('precondition', `${action.replacement.name} holds no client id the rotator issued`);
        }
      }
      if (world.credentials.some((c) => c.name === action.name && c.id !== credential.id)) {
        throw new WorldConflict(`409: cannot rename ${credential.name} to ${action.name}`);
      }
      record(world, action, 'rename', credential);
      credential.name = action.name;
      credential.title = action.title;
      world.renamedByRotator.add(credential.id);
      yield;
      return;
    }
    case 'hold-deletion':
      throw new StepRefused('held', action.reason);
    case 'queue-notice': {
      secretOf(world, action.base).noticesPending[action.notice] = action.cycleId;
      world.queued.push({ base: action.base, kind: action.notice, cycleId: action.cycleId });
      yield;
      return;
    }
  }
}

/** The guards of deleteOriginal, against the world as it is now. */
function checkDeletion(world: World, action: Extract<RotationAction, { kind: 'delete-original' }>, settings: PolicySettings): void {
  const refuse = (message: string) => new StepRefused('precondition', message);
  const current = currentVersion(world, action.base);
  if (current?.clientId !== action.replacement.clientId || current.cycleId !== action.original.id) {
    throw refuse(`replacement ${action.replacement.name} is not the current stored secret of the cycle of ${action.original.name}`);
  }
  if (secretOf(world, action.base).noticesSent['replacement-ready'] !== action.cycleId && !settings.readsSecretsManager) {
    throw refuse(`the replacement-ready notice of ${action.original.name} was not delivered`);
  }
  const replacement = world.credentials.find((c) => c.id === action.replacement.id);
  if (replacement?.clientId !== action.replacement.clientId) throw refuse(`replacement ${action.replacement.name} is no longer in APIC`);
  const original = world.credentials.find((c) => c.id === action.original.id);
  if (original && Date.parse(original.createdAt) > Date.parse(replacement.createdAt)) {
    throw refuse(`credential ${action.original.id} is younger than its replacement`);
  }
  if (replacement.secret !== current.secret) throw refuse(`APIC rejects the stored secret of replacement ${action.replacement.name}`);
}

/** ensureSecretAccepted: verify, PATCH the secret only when APIC refuses it. A missing credential is APIC's 404. */
function ensureAccepted(world: World, action: RotationAction, credentialId: string, version: SecretVersion): void {
  const credential = credentialById(world, credentialId);
  if (credential.clientId === version.clientId && credential.secret === version.secret) return;
  record(world, action, 'patch-secret', credential);
  credential.secret = version.secret;
  if (credential.clientId !== version.clientId) {
    throw new StepRefused('precondition', `APIC does not accept the staged secret of credential ${credentialId}`);
  }
}

/** Whether a credential the rotator created for `originalId`'s cycle is in APIC, current in its base's secret and accepted. */
export function replacementProven(world: World, originalId: string): boolean {
  return world.credentials.some((candidate) => {
    const made = world.replaces.get(candidate.id);
    if (made?.originalId !== originalId) return false;
    const current = currentVersion(world, made.base);
    return current?.clientId === candidate.clientId && current.secret === candidate.secret;
  });
}

function announced(world: World, cycleId: string): boolean {
  return world.sent.some((n) => n.kind === 'replacement-ready' && n.cycleId === cycleId);
}

function record(
  world: World,
  action: RotationAction,
  kind: Mutation['kind'],
  credential: WorldCredential,
  facts: Pick<Mutation, 'replacementProven' | 'announced'> = {},
): void {
  world.log.push({ by: 'rotator', kind, credentialId: credential.id, clientId: credential.clientId, name: credential.name, action: action.kind, ...facts });
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

/** Idempotent per token, like `PutSecretValue` with a `ClientRequestToken`: a known token returns its version untouched. */
function stagePending(
  world: World,
  base: string,
  token: string,
  cycleId: string,
  generate: () => { clientId: string; secret: string },
): SecretVersion {
  const secret = secretOf(world, base);
  const existing = secret.versions.find((v) => v.token === token);
  if (existing) return existing;
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
  // Consumers of a client id follow the store: once another secret of that client id is current (a repair), the
  // earlier one, which APIC had already refused, is no longer anyone's working credential.
  for (const other of secret.versions) if (other.clientId === version.clientId) world.held.delete(pairKey(other));
  world.held.add(pairKey(version));
}

/** What an earlier tool left in the store: a staged version for `cycleId` whose client id no credential has. */
export function stageLostVersion(world: World, base: string, cycleId: string): void {
  stagePending(world, base, `earlier-tool:${cycleId}`, cycleId, () => ({ clientId: freshId(world, 'lost-client'), secret: freshId(world, 'secret') }));
}

export function currentVersion(world: World, base: string): SecretVersion | undefined {
  const secret = world.secrets.get(base);
  return secret?.versions.find((v) => v.versionId === secret.currentVersionId);
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

export function freshId(world: World, kind: string): string {
  const id = `${kind}-${world.nextId}`;
  world.nextId += 1;
  return id;
}

function issueClientId(world: World): string {
  const clientId = freshId(world, 'client');
  world.issued.add(clientId);
  return clientId;
}

export function pairKey(pair: { clientId: string; secret: string }): string {
  return `${pair.clientId}:${pair.secret}`;
}

export function isUsable(world: World, credential: WorldCredential): boolean {
  return world.held.has(pairKey(credential));
}

/** Per lifecycle: how many of its credentials exist, and how many a consumer can use. */
export function lineageCounts(world: World): Map<string, { present: number; usable: number }> {
  const counts = new Map<string, { present: number; usable: number }>();
  for (const credential of world.credentials) {
    const lineage = world.lineage.get(credential.id);
    if (lineage === undefined) throw new Error(`credential ${credential.name} belongs to no lifecycle`);
    const count = counts.get(lineage) ?? { present: 0, usable: 0 };
    count.present += 1;
    if (isUsable(world, credential)) count.usable += 1;
    counts.set(lineage, count);
  }
  return counts;
}

function usableCounts(world: World): Map<string, number> {
  const usable = new Map<string, number>([['the app', 0]]);
  for (const [lineage, count] of lineageCounts(world)) {
    usable.set(`lifecycle ${lineage}`, count.usable);
    usable.set('the app', (usable.get('the app') ?? 0) + count.usable);
  }
  return usable;
}

function recordLosses(world: World, action: RotationAction, before: ReadonlyMap<string, number>): void {
  const after = usableCounts(world);
  for (const [scope, count] of before) {
    if (count > 0 && (after.get(scope) ?? 0) === 0) world.losses.push({ action: action.kind, scope });
  }
}
