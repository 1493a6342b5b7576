/**
 * The rotation policy: a pure function from one app's APIC credentials and the secret store's view of them to
 * the actions that move each credential along its lifecycle (docs/design.md "Rotation lifecycle").
 * A wrong decision here deletes a consumer's only credential, so every destructive action is guarded by what
 * the secret store proves: nothing is deleted unless its replacement exists and the replacement's client id is
 * the store's current one.
 */
import type { ApicApp, ApicCredential, NoticeKind } from '../model';
import type { StoredCredentialState } from '../ports';
import { isExempt } from './settings';
import type {
  AppAssessment,
  CredentialAssessment,
  CredentialRef,
  CredentialRole,
  CredentialStage,
  EffectiveSettings,
  PolicySettings,
  RotationAction,
} from './types';
import { DAY_MS } from '../time';

/** Whole days elapsed since `createdAt`. */
export function ageInDays(createdAt: string, now: Date): number {
  return Math.floor((now.getTime() - Date.parse(createdAt)) / DAY_MS);
}

/** YYYY-MM-DD (UTC) of `days` days after `from`. */
/** YYYY-MM-DD `days` after `from` (UTC). */
export function dateAfter(from: string | Date, days: number): string {
  const start = typeof from === 'string' ? Date.parse(from) : from.getTime();
  return new Date(start + days * DAY_MS).toISOString().slice(0, 10);
}

function stripSuffix(name: string, suffix: string): string | undefined {
  return name.length > suffix.length && name.endsWith(suffix) ? name.slice(0, -suffix.length) : undefined;
}

/**
 * The base names whose secret-store state `assessApp` needs: each credential's own name and, for names ending
 * with the suffix, the name without it (the base it may be a replacement of).
 */
export function candidateBaseNames(credentials: readonly Pick<ApicCredential, 'name'>[], suffix: string): string[] {
  const names = new Set<string>();
  for (const { name } of credentials) {
    names.add(name);
    const base = stripSuffix(name, suffix);
    if (base !== undefined) names.add(base);
  }
  return [...names].sort(compareStrings);
}

/**
 * Whether the app may need an action, decided from APIC data alone so that a scan of a quiet catalog reads
 * nothing else: some credential is within `warnDays` of expiry, or a name ends with the suffix (a rotation
 * may be in flight).
 */
export function needsAttention(app: ApicApp, now: Date, settings: EffectiveSettings): boolean {
  if (isExempt(settings)) return false;
  const attentionAge = settings.expiryDays - settings.warnDays;
  return app.credentials.some(
    (c) => ageInDays(c.createdAt, now) >= attentionAge || stripSuffix(c.name, settings.replacementSuffix) !== undefined,
  );
}

export interface AssessAppInput {
  readonly app: ApicApp;
  /** Secret-store state per base name, for (at least) the names `candidateBaseNames` returns. Missing = no secret. */
  readonly store: ReadonlyMap<string, StoredCredentialState>;
  readonly now: Date;
  readonly settings: EffectiveSettings;
  /**
   * Whether the consumer org has an owner e-mail. Notices are queued either way: the workflow sends those
   * without an owner to the operator, so the decision does not depend on it.
   */
  readonly ownerEmailKnown: boolean;
}

/** A credential base name and the (at most two) credentials of its lifecycle. */
interface CredentialGroup {
  readonly base: string;
  original?: ApicCredential;
  replacement?: ApicCredential;
}

const NO_STATE: StoredCredentialState = { secretExists: false, noticesSent: {}, noticesPending: {} };

export function assessApp(input: AssessAppInput): AppAssessment {
  const { app, store, now, settings } = input;
  if (isExempt(settings)) {
    return {
      actions: [],
      credentials: app.credentials.map((c) => ({
        credentialId: c.id,
        name: c.name,
        baseName: c.name,
        role: 'original',
        ageDays: ageInDays(c.createdAt, now),
        stage: 'exempt',
      })),
    };
  }
  const byName = new Map(app.credentials.map((c) => [c.name, c]));
  const groups = groupCredentials(app.credentials, byName, store, settings.replacementSuffix);
  // A replacement whose original is gone is renamed back to the base name; no new replacement may take it.
  const reservedNames = new Set([...groups.values()].filter((g) => g.replacement && !g.original && !byName.has(g.base)).map((g) => g.base));
  const context: AssessContext = { now, settings, byName, reservedNames };

  const actions: RotationAction[] = [];
  const credentials: CredentialAssessment[] = [];
  for (const base of [...groups.keys()].sort(compareStrings)) {
    const group = groups.get(base);
    if (!group) continue;
    const result = assessGroup(group, store.get(base) ?? NO_STATE, context);
    actions.push(...result.actions);
    credentials.push(...result.credentials);
  }
  return { actions, credentials };
}

function groupCredentials(
  credentials: readonly ApicCredential[],
  byName: ReadonlyMap<string, ApicCredential>,
  store: ReadonlyMap<string, StoredCredentialState>,
  suffix: string,
): Map<string, CredentialGroup> {
  const groups = new Map<string, CredentialGroup>();
  const groupOf = (base: string): CredentialGroup => {
    const existing = groups.get(base);
    if (existing) return existing;
    const created: CredentialGroup = { base };
    groups.set(base, created);
    return created;
  };
  for (const credential of credentials) {
    const base = replacedBase(credential, byName, store, suffix);
    if (base === undefined) groupOf(credential.name).original = credential;
    else groupOf(base).replacement = credential;
  }
  return groups;
}

/**
 * The base name `credential` replaces, when the store proves it ours: its client id is the base's current or
 * pending one, or the base's pending version belongs to the cycle of the credential named like the base.
 * A name ending in the suffix is not enough: a human may have named a credential that way.
 */
function replacedBase(
  credential: ApicCredential,
  byName: ReadonlyMap<string, ApicCredential>,
  store: ReadonlyMap<string, StoredCredentialState>,
  suffix: string,
): string | undefined {
  const base = stripSuffix(credential.name, suffix);
  if (base === undefined) return undefined;
  const state = store.get(base);
  if (!state) return undefined;
  const ours =
    state.current?.clientId === credential.clientId ||
    state.pending?.clientId === credential.clientId ||
    (state.pending !== undefined && state.pending.cycleId === byName.get(base)?.id);
  return ours ? base : undefined;
}

interface AssessContext {
  readonly now: Date;
  readonly settings: PolicySettings;
  readonly byName: ReadonlyMap<string, ApicCredential>;
  readonly reservedNames: ReadonlySet<string>;
}

function assessGroup(group: CredentialGroup, state: StoredCredentialState, context: AssessContext): AppAssessment {
  const { original, replacement } = group;
  if (original && replacement) return assessInFlight(group.base, original, replacement, state, context);
  if (replacement) return assessOrphanReplacement(group.base, replacement, state, context);
  if (original) return assessOriginal(group.base, original, state, context);
  return { actions: [], credentials: [] };
}

function assessOriginal(base: string, original: ApicCredential, state: StoredCredentialState, context: AssessContext): AppAssessment {
  const { now, settings, byName, reservedNames } = context;
  const age = ageInDays(original.createdAt, now);
  const cycleId = original.id;
  const expiryDate = dateAfter(original.createdAt, settings.expiryDays);
  const describe = (stage: CredentialStage, nextAction?: string, nextActionDate?: string) => [
    describeCredential(original, base, roleOfUnreplaced(original, settings.replacementSuffix), age, stage, nextAction, nextActionDate),
  ];

  if (age < settings.expiryDays - settings.warnDays) {
    const warns = settings.warnDays > 0;
    return {
      actions: [],
      credentials: describe(
        'active',
        warns ? 'warn' : 'create-replacement',
        warns ? dateAfter(original.createdAt, settings.expiryDays - settings.warnDays) : expiryDate,
      ),
    };
  }
  if (age < settings.expiryDays) {
    return {
      actions: noticeIfNew(state, { kind: 'queue-notice', base, cycleId, notice: 'warn', credentialName: original.name, dueDate: expiryDate }),
      credentials: describe('warning', 'create-replacement', expiryDate),
    };
  }
  const replacementName = original.name + settings.replacementSuffix;
  if (byName.has(replacementName) || reservedNames.has(replacementName)) {
    const reason = `credential ${original.name} is due for rotation, but a credential named ${replacementName} exists and is not managed by the rotator; rename or delete it`;
    return blockedByName(state, { base, cycleId, credentialName: original.name, reason }, describe('blocked', 'resolve-name-conflict'));
  }
  return {
    actions: [
      {
        kind: 'create-replacement',
        base,
        cycleId,
        original: refOf(original),
        replacementName,
        replacementTitle: original.title + settings.replacementSuffix,
      },
      ...noticeIfNew(state, {
        kind: 'queue-notice',
        base,
        cycleId,
        notice: 'replacement-ready',
        credentialName: original.name,
        dueDate: dateAfter(now, graceDays(settings)),
      }),
    ],
    credentials: describe('due', 'create-replacement', dateAfter(now, 0)),
  };
}

function assessInFlight(
  base: string,
  original: ApicCredential,
  replacement: ApicCredential,
  state: StoredCredentialState,
  context: AssessContext,
): AppAssessment {
  const { now, settings } = context;
  const cycleId = original.id;
  const replacementAge = ageInDays(replacement.createdAt, now);
  const removalDate = dateAfter(replacement.createdAt, graceDays(settings));
  const readyNotice = noticeIfNew(state, {
    kind: 'queue-notice',
    base,
    cycleId,
    notice: 'replacement-ready',
    credentialName: original.name,
    dueDate: removalDate,
  });
  const describeBoth = (stage: CredentialStage, originalNext: string, replacementNext: string, date: string) => [
    describeCredential(original, base, 'original', ageInDays(original.createdAt, now), stage, originalNext, date),
    describeCredential(replacement, base, 'replacement', replacementAge, stage, replacementNext, date),
  ];

  if (replacement.clientId !== state.current?.clientId) {
    const settle = settleReplacement(base, cycleId, replacement, state);
    return { actions: [settle, ...readyNotice], credentials: describeBoth('repair', 'delete-original', settle.kind, dateAfter(now, 0)) };
  }
  if (replacementAge < graceDays(settings)) {
    return { actions: readyNotice, credentials: describeBoth('in-grace', 'delete-original', 'rename-replacement', removalDate) };
  }
  return {
    actions: [
      { kind: 'delete-original', base, cycleId, original: refOf(original), replacement: refOf(replacement) },
      // Queued before the rename: once renamed, the credential looks like a fresh original and the cycle is forgotten.
      ...noticeIfNew(state, { kind: 'queue-notice', base, cycleId, notice: 'old-removed', credentialName: original.name }),
      { kind: 'rename-replacement', base, cycleId, replacement: refOf(replacement), name: original.name, title: original.title },
    ],
    credentials: describeBoth('completing', 'delete-original', 'rename-replacement', dateAfter(now, 0)),
  };
}

/** A replacement whose original is gone (a run stopped between delete and rename): settle it, rename it back. */
function assessOrphanReplacement(
  base: string,
  replacement: ApicCredential,
  state: StoredCredentialState,
  context: AssessContext,
): AppAssessment {
  const { now, settings, byName } = context;
  const suffix = settings.replacementSuffix;
  const age = ageInDays(replacement.createdAt, now);
  const isCurrent = replacement.clientId === state.current?.clientId;
  const cycleId = (isCurrent ? state.current?.cycleId : state.pending?.cycleId) ?? replacement.id;
  const describe = (stage: CredentialStage, nextAction: string) => [
    describeCredential(replacement, base, 'replacement', age, stage, nextAction, stage === 'blocked' ? undefined : dateAfter(now, 0)),
  ];

  if (byName.has(base)) {
    const reason = `replacement ${replacement.name} cannot be renamed back to ${base}: another credential already has that name; rename or delete it`;
    return blockedByName(state, { base, cycleId, credentialName: replacement.name, reason }, describe('blocked', 'resolve-name-conflict'));
  }
  const settle = isCurrent ? [] : [settleReplacement(base, cycleId, replacement, state)];
  return {
    actions: [
      ...settle,
      ...noticeIfNew(state, { kind: 'queue-notice', base, cycleId, notice: 'old-removed', credentialName: base }),
      {
        kind: 'rename-replacement',
        base,
        cycleId,
        replacement: refOf(replacement),
        name: base,
        title: stripSuffix(replacement.title, suffix) ?? replacement.title,
      },
    ],
    credentials: describe(isCurrent ? 'completing' : 'repair', settle[0]?.kind ?? 'rename-replacement'),
  };
}

/** Makes an existing replacement's secret current: promote the staged one, or stage a new one when none matches. */
function settleReplacement(
  base: string,
  cycleId: string,
  replacement: ApicCredential,
  state: StoredCredentialState,
): Extract<RotationAction, { kind: 'finish-replacement' | 'repair-replacement' }> {
  const kind = replacement.clientId === state.pending?.clientId ? 'finish-replacement' : 'repair-replacement';
  return { kind, base, cycleId, replacement: refOf(replacement) };
}

type NoticeAction = Extract<RotationAction, { kind: 'queue-notice' }>;

/** The notice, unless one of its kind was already sent or queued for this cycle. */
function noticeIfNew(state: StoredCredentialState, notice: NoticeAction): NoticeAction[] {
  const kind: NoticeKind = notice.notice;
  const known = state.noticesSent[kind] === notice.cycleId || state.noticesPending[kind] === notice.cycleId;
  return known ? [] : [notice];
}

/** A name clash only a person can resolve: nothing changes, the owner is told once per cycle. */
function blockedByName(
  state: StoredCredentialState,
  notice: Pick<NoticeAction, 'base' | 'cycleId' | 'credentialName' | 'reason'>,
  credentials: AppAssessment['credentials'],
): AppAssessment {
  return { actions: noticeIfNew(state, { kind: 'queue-notice', notice: 'action-needed', ...notice }), credentials };
}

function graceDays(settings: PolicySettings): number {
  return settings.deletionDays - settings.expiryDays;
}

function roleOfUnreplaced(credential: ApicCredential, suffix: string): CredentialRole {
  return stripSuffix(credential.name, suffix) === undefined ? 'original' : 'independent';
}

function describeCredential(
  credential: ApicCredential,
  baseName: string,
  role: CredentialRole,
  ageDays: number,
  stage: CredentialStage,
  nextAction?: string,
  nextActionDate?: string,
): CredentialAssessment {
  return {
    credentialId: credential.id,
    name: credential.name,
    baseName,
    role,
    ageDays,
    stage,
    ...(nextAction === undefined ? {} : { nextAction }),
    ...(nextActionDate === undefined ? {} : { nextActionDate }),
  };
}

function refOf(credential: ApicCredential): CredentialRef {
  return { id: credential.id, name: credential.name, title: credential.title, clientId: credential.clientId };
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
