/**
 * The rotation policy: a pure function from one app's APIC credentials and the secret store's view of them to
 * the actions that move each credential along its lifecycle (docs/design.md "Rotation lifecycle").
 * A wrong decision here deletes a consumer's only credential or breaks a person's own, so the policy changes only
 * what it can prove it owns (docs/design.md "Ownership"): credentials whose client id the secret store holds, and the
 * exact original of an open cycle, by APIC id. Nothing is deleted unless its replacement's current secret is verified
 * with APIC and the replacement-ready notice was delivered.
 */
import type { ApicApp, ApicCredential, NoticeKind } from '../model';
import type { StoredCredentialState, StoredVersion } from '../ports';
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
import { DAY_MS, HOUR_MS } from '../time';

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

/** Names a replacement may take, in order: `name + suffix`, then `name + suffix + 2`, `+ 3`, … */
export function* replacementNames(name: string, suffix: string): Generator<string> {
  yield name + suffix;
  for (let counter = 2; ; counter += 1) yield `${name}${suffix}${counter}`;
}

/** Enough for any real clash; past it the name needs a person. */
const MAX_REPLACEMENT_NAME_TRIES = 100;

/**
 * The base name `name` would be a replacement of (`key` for `key_new` or `key_new2`), by its shape alone. Whether
 * it is one is decided by ownership: the store must hold its client id.
 */
export function replacedBaseName(name: string, suffix: string): string | undefined {
  // Every split of the trailing digits, not only the leftmost: with a suffix ending in a digit (`-v2`), `key-v22` is
  // `key` + `-v2` + `2`, while the leftmost match `22` would leave `key-v`, which does not end in the suffix.
  const digits = /[0-9]*$/.exec(name)?.[0] ?? '';
  for (let length = digits.length; length > 0; length -= 1) {
    const counter = name.slice(name.length - length);
    if (counter.startsWith('0') || Number(counter) < 2) continue;
    const base = stripSuffix(name.slice(0, -length), suffix);
    if (base !== undefined) return base;
  }
  return stripSuffix(name, suffix);
}

/**
 * The base names whose secret-store state `assessApp` needs: each credential's own name and, for names shaped like
 * a replacement, the base name it may replace.
 */
export function candidateBaseNames(credentials: readonly Pick<ApicCredential, 'name'>[], suffix: string): string[] {
  const names = new Set<string>();
  for (const { name } of credentials) {
    names.add(name);
    const base = replacedBaseName(name, suffix);
    if (base !== undefined) names.add(base);
  }
  return [...names].sort(compareStrings);
}

/**
 * Whether the app may need an action, decided from APIC data alone so that a scan of a quiet catalog reads
 * nothing else: some credential is within `warnDays` of expiry, or a name is shaped like a replacement (a rotation
 * may be in flight).
 */
export function needsAttention(app: ApicApp, now: Date, settings: EffectiveSettings): boolean {
  if (isExempt(settings)) return false;
  const attentionAge = settings.expiryDays - settings.warnDays;
  return app.credentials.some(
    (c) => ageInDays(c.createdAt, now) >= attentionAge || replacedBaseName(c.name, settings.replacementSuffix) !== undefined,
  );
}

export interface AssessAppInput {
  readonly app: ApicApp;
  /** Secret-store state per base name, for (at least) the names `candidateBaseNames` returns. Missing = no secret. */
  readonly store: ReadonlyMap<string, StoredCredentialState>;
  /**
   * Per base name whose AWSCURRENT client id belongs to a credential of the app: whether APIC accepts the stored
   * pair (verify-client-secret). A missing entry is unverified, and nothing is deleted on an unverified secret.
   */
  readonly verifiedCurrent: ReadonlyMap<string, boolean>;
  readonly now: Date;
  readonly settings: EffectiveSettings;
  /**
   * Whether the consumer org has an owner e-mail. Notices are queued either way: the workflow sends those
   * without an owner to the operator, so the decision does not depend on it.
   */
  readonly ownerEmailKnown: boolean;
  /**
   * Emergency rotation (`rotateNow`): the names of this app's credentials to replace in this run whatever their age,
   * with the grace in hours before their originals are deleted.
   */
  readonly emergency?: EmergencyTerms & { readonly credentials: readonly string[] };
}

/** An emergency rotation's terms: hours of grace, and whether deletion may skip the delivered announcement. */
export interface EmergencyTerms {
  readonly graceHours: number;
  readonly confirmRevoke: boolean;
}

/** A credential whose client id the secret store holds: the rotator issued it, so the rotator may change it. */
interface OwnedCredential {
  readonly credential: ApicCredential;
  readonly version: StoredVersion;
  readonly label: 'current' | 'pending';
}

/** A credential base name: the credential holding the name, and the credentials the rotator made for it. */
interface CredentialGroup {
  readonly base: string;
  original?: ApicCredential;
  readonly owned: OwnedCredential[];
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
  const reservedNames = new Set([...groups.values()].filter((g) => g.owned.length > 0 && !g.original && !byName.has(g.base)).map((g) => g.base));
  const context: AssessContext = {
    now,
    settings,
    byName,
    reservedNames,
    verifiedCurrent: input.verifiedCurrent,
    ...(input.emergency && { emergency: input.emergency }),
  };

  const actions: RotationAction[] = [];
  const credentials: CredentialAssessment[] = [];
  for (const base of [...groups.keys()].sort(compareStrings)) {
    const group = groups.get(base);
    if (!group) continue;
    const result = assessGroup(group, store.get(base) ?? NO_STATE, context);
    actions.push(...result.actions);
    credentials.push(...result.credentials);
  }
  for (const [base, state] of [...store].sort(([a], [b]) => compareStrings(a, b))) {
    // A blocked group tells owner and operator itself, under its own cycle: the ledger keeps one cycle per notice kind
    // and base, so a second action-needed notice would overwrite that one and both would be queued again every run.
    const groupNotifies = credentials.some((credential) => credential.baseName === base && credential.stage === 'blocked');
    actions.push(...assessStoredPair(base, state, app.credentials, context, groups.has(base), groupNotifies));
  }
  // A held deletion fails the app (and so stops its remaining actions), so it comes after every other base's actions:
  // one undelivered notice must not keep the app's other credentials from rotating.
  const held = actions.filter((action) => action.kind === 'hold-deletion');
  return { actions: [...actions.filter((action) => action.kind !== 'hold-deletion'), ...held], credentials };
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
    const created: CredentialGroup = { base, owned: [] };
    groups.set(base, created);
    return created;
  };
  for (const credential of credentials) {
    const owner = ownerOf(credential, byName, store, suffix);
    if (owner) groupOf(owner.base).owned.push(owner.owned);
    else groupOf(credential.name).original = credential;
  }
  return groups;
}

/**
 * The base whose secret holds `credential`'s client id. Under a name shaped like a replacement of that base, any
 * stored version will do. Under any other name, only the version of the open cycle of the credential holding the
 * base name: a person renamed the rotator's replacement mid-cycle, and it stays that cycle's replacement (otherwise
 * it would be rotated on its own while the base's secret hands out its pair, and a new replacement for the base
 * would stage that same pair again, which APIC refuses as a duplicate client id).
 */
function ownerOf(
  credential: ApicCredential,
  byName: ReadonlyMap<string, ApicCredential>,
  store: ReadonlyMap<string, StoredCredentialState>,
  suffix: string,
): { base: string; owned: OwnedCredential } | undefined {
  const shapedBase = replacedBaseName(credential.name, suffix);
  const byShape = shapedBase === undefined ? undefined : ownedBy(credential, store.get(shapedBase));
  if (shapedBase !== undefined && byShape) return { base: shapedBase, owned: byShape };
  for (const [base, state] of store) {
    const owned = base === credential.name ? undefined : ownedBy(credential, state);
    if (owned && owned.version.cycleId === byName.get(base)?.id) return { base, owned };
  }
  return undefined;
}

/**
 * The stored version holding `credential`'s client id, if any. Only a client id the rotator issued proves a
 * credential ours: a name shaped like a replacement is not enough, a person may have named a credential that way.
 */
function ownedBy(credential: ApicCredential, state: StoredCredentialState | undefined): OwnedCredential | undefined {
  if (state?.current?.clientId === credential.clientId) return { credential, version: state.current, label: 'current' };
  if (state?.pending?.clientId === credential.clientId) return { credential, version: state.pending, label: 'pending' };
  return undefined;
}

/**
 * Whether `owned` replaces exactly this `original` in an open cycle: the stored cycle is the original's APIC id and
 * the original is older than its replacement. A credential holding the original's name under another id is not the
 * original (a person deleted and re-created it) and is never deleted.
 */
function replacesOriginal(owned: OwnedCredential, original: ApicCredential): boolean {
  return owned.version.cycleId === original.id && Date.parse(original.createdAt) <= Date.parse(owned.credential.createdAt);
}

interface AssessContext {
  readonly now: Date;
  readonly settings: PolicySettings;
  readonly byName: ReadonlyMap<string, ApicCredential>;
  readonly reservedNames: ReadonlySet<string>;
  readonly verifiedCurrent: ReadonlyMap<string, boolean>;
  readonly emergency?: AssessAppInput['emergency'];
}

/** The emergency terms this run names for `original`, if any. */
function namedForEmergency(original: ApicCredential, context: AssessContext): EmergencyTerms | undefined {
  const emergency = context.emergency;
  return emergency?.credentials.includes(original.name) ? { graceHours: emergency.graceHours, confirmRevoke: emergency.confirmRevoke } : undefined;
}

/** `YYYY-MM-DDTHH:MMZ`, `hours` after `from`: the removal instant of an emergency rotation. */
export function instantAfter(from: string | Date, hours: number): string {
  const start = typeof from === 'string' ? Date.parse(from) : from.getTime();
  return `${new Date(start + hours * HOUR_MS).toISOString().slice(0, 16)}Z`;
}

function assessGroup(group: CredentialGroup, state: StoredCredentialState, context: AssessContext): AppAssessment {
  const { base, original, owned } = group;
  if (original) {
    const inFlight = owned.find((candidate) => replacesOriginal(candidate, original));
    const kept = owned.filter((candidate) => candidate !== inFlight);
    const main = inFlight ? assessInFlight(base, original, inFlight, state, context) : assessOriginal(base, original, state, context);
    // First: the actions that follow may stage and promote another version of the base's secret.
    const repair = inFlight ? undefined : repairOfCurrent(base, state, [original, ...kept.map((k) => k.credential)], context);
    const result = merge(main, assessKept(base, kept, state, context, original));
    return repair ? { ...result, actions: [repair, ...result.actions] } : result;
  }
  // Pending is the newer cycle: a staged replacement outranks one whose secret is current from an earlier cycle.
  const orphan = owned.find((candidate) => candidate.label === 'pending') ?? owned[0];
  if (!orphan) return { actions: [], credentials: [] };
  return merge(
    assessOrphanReplacement(base, orphan, state, context),
    assessKept(base, owned.filter((candidate) => candidate !== orphan), state, context),
  );
}

/**
 * Whether consumers still have an original to move away from after `action`. Every action of a cycle in flight
 * replaces one; a repair names the original it replaces only in an open cycle (`assessInFlight`). A repair outside
 * one (its cycle finished, a kept credential, or one a person renamed away from the base name, found by
 * `repairOfCurrent`) replaces nothing: consumers only read the secret again, and nothing is to be deleted.
 */
export function replacesAnOriginal(action: RotationAction): boolean {
  return action.kind !== 'repair-replacement' || action.original !== undefined;
}

/**
 * A repair of the credential holding the base's current secret when APIC refuses that secret (a person reset it in
 * the UI) and no replacement is in flight: a completed cycle's credential under the base name, or a kept one. The
 * rotator issued its client id, and consumers reading the store hold a secret that no longer works. None while
 * another client id is staged: that one becomes current next, and staging over it would take its AWSPENDING label,
 * leaving a credential created with it unrecognised (and its pair, staged again by the create, refused as a
 * duplicate). A staged secret of the same client id is a repair a stopped run left; repairing again finishes it.
 */
function repairOfCurrent(
  base: string,
  state: StoredCredentialState,
  candidates: readonly ApicCredential[],
  context: AssessContext,
): Extract<RotationAction, { kind: 'repair-replacement' }> | undefined {
  const { current } = state;
  if (!current || context.verifiedCurrent.get(base) !== false) return undefined;
  if (state.pending && state.pending.clientId !== current.clientId) return undefined;
  const holder = candidates.find((candidate) => candidate.clientId === current.clientId);
  return holder ? { kind: 'repair-replacement', base, cycleId: current.cycleId, replacement: refOf(holder) } : undefined;
}

function merge(first: AppAssessment, second: AppAssessment): AppAssessment {
  return { actions: [...first.actions, ...second.actions], credentials: [...first.credentials, ...second.credentials] };
}

function assessOriginal(base: string, original: ApicCredential, state: StoredCredentialState, context: AssessContext): AppAssessment {
  const { now, settings } = context;
  const age = ageInDays(original.createdAt, now);
  const cycleId = original.id;
  const expiryDate = dateAfter(original.createdAt, settings.expiryDays);
  const describe = (stage: CredentialStage, nextAction?: string, nextActionDate?: string) => [
    describeCredential(original, base, roleOfUnreplaced(original, settings.replacementSuffix), age, stage, nextAction, nextActionDate),
  ];

  const emergency = namedForEmergency(original, context);
  if (!emergency && age < settings.expiryDays - settings.warnDays) {
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
  if (!emergency && age < settings.expiryDays) {
    return {
      actions: noticeIfNew(state, { kind: 'queue-notice', base, cycleId, notice: 'warn', credentialName: original.name, dueDate: expiryDate }),
      credentials: describe('warning', 'create-replacement', expiryDate),
    };
  }
  const replacementName = freeReplacementName(original.name, context);
  if (replacementName === undefined) {
    const reason = `credential ${original.name} is due for rotation, but ${original.name}${settings.replacementSuffix} and the next ${MAX_REPLACEMENT_NAME_TRIES - 1} numbered names are taken; rename or delete some of them`;
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
        ...(emergency && { emergency }),
      },
      ...noticeIfNew(
        state,
        emergency
          ? urgentNotice(base, cycleId, original.name, instantAfter(now, emergency.graceHours), emergency)
          : { kind: 'queue-notice', base, cycleId, notice: 'replacement-ready', credentialName: original.name, dueDate: dateAfter(now, graceDays(settings)) },
      ),
    ],
    credentials: describe('due', emergency ? 'create-replacement (emergency)' : 'create-replacement', dateAfter(now, 0)),
  };
}

/** The first replacement name no credential holds and no orphan replacement will take back. */
function freeReplacementName(name: string, context: AssessContext): string | undefined {
  let tries = 0;
  for (const candidate of replacementNames(name, context.settings.replacementSuffix)) {
    if (!context.byName.has(candidate) && !context.reservedNames.has(candidate)) return candidate;
    tries += 1;
    if (tries >= MAX_REPLACEMENT_NAME_TRIES) return undefined;
  }
  return undefined;
}

function assessInFlight(
  base: string,
  original: ApicCredential,
  replacement: OwnedCredential,
  state: StoredCredentialState,
  context: AssessContext,
): AppAssessment {
  const { now, settings } = context;
  const cycleId = original.id;
  const replacementAge = ageInDays(replacement.credential.createdAt, now);
  // An emergency cycle: named by this run, or recorded with the cycle's urgent notice by the run that started it.
  const stored = state.emergency?.cycleId === cycleId ? state.emergency : undefined;
  const emergency = namedForEmergency(original, context) ?? (stored && { graceHours: stored.graceHours, confirmRevoke: stored.confirmRevoke });
  const removalDate = emergency
    ? dateAfter(replacement.credential.createdAt, emergency.graceHours / 24)
    : dateAfter(replacement.credential.createdAt, graceDays(settings));
  const readyNotice = noticeIfNew(
    state,
    emergency
      ? urgentNotice(base, cycleId, original.name, instantAfter(replacement.credential.createdAt, emergency.graceHours), emergency)
      : { kind: 'queue-notice', base, cycleId, notice: 'replacement-ready', credentialName: original.name, dueDate: removalDate },
  );
  const inGrace = emergency
    ? now.getTime() - Date.parse(replacement.credential.createdAt) < emergency.graceHours * HOUR_MS
    : replacementAge < graceDays(settings);
  const announced = state.noticesSent['replacement-ready'] === cycleId || state.noticesSent['urgent-replacement'] === cycleId;
  const describeBoth = (stage: CredentialStage, originalNext: string, replacementNext: string, date: string) => [
    describeCredential(original, base, 'original', ageInDays(original.createdAt, now), stage, originalNext, date),
    describeCredential(replacement.credential, base, 'replacement', replacementAge, stage, replacementNext, date),
  ];

  const settle = settleReplacement(base, cycleId, replacement, context, original);
  if (settle) {
    return { actions: [settle, ...readyNotice], credentials: describeBoth('repair', 'delete-original', settle.kind, dateAfter(now, 0)) };
  }
  if (inGrace || context.verifiedCurrent.get(base) !== true) {
    return { actions: readyNotice, credentials: describeBoth('in-grace', 'delete-original', 'rename-replacement', removalDate) };
  }
  if (!announced && !settings.readsSecretsManager && !emergency?.confirmRevoke) {
    const reason =
      `the replacement-ready notice of ${original.name} has not reached the owner or the operator, so ${original.name} is kept; ` +
      'set operatorEmail or fix the owner address (or readsSecretsManager for this consumer org) and the next run deletes it';
    return {
      actions: [...readyNotice, { kind: 'hold-deletion', base, cycleId, original: refOf(original), reason }],
      credentials: describeBoth('held', 'delete-original', 'rename-replacement', dateAfter(now, 0)),
    };
  }
  return {
    actions: [
      // An emergency cycle's notice (with its terms, which the deletion step checks) is queued before the deletion.
      ...(emergency ? readyNotice : []),
      { kind: 'delete-original', base, cycleId, original: refOf(original), replacement: refOf(replacement.credential) },
      // Queued before the rename: once renamed, the credential looks like a fresh original and the cycle is forgotten.
      ...noticeIfNew(state, { kind: 'queue-notice', base, cycleId, notice: 'old-removed', credentialName: original.name }),
      { kind: 'rename-replacement', base, cycleId, replacement: refOf(replacement.credential), name: original.name, title: original.title },
    ],
    credentials: describeBoth('completing', 'delete-original', 'rename-replacement', dateAfter(now, 0)),
  };
}

/** A replacement whose original is gone (a run stopped between delete and rename, or a person deleted it). */
function assessOrphanReplacement(base: string, replacement: OwnedCredential, state: StoredCredentialState, context: AssessContext): AppAssessment {
  const { now, settings, byName } = context;
  const suffix = settings.replacementSuffix;
  const { credential } = replacement;
  const age = ageInDays(credential.createdAt, now);
  const cycleId = replacement.version.cycleId;
  const describe = (stage: CredentialStage, nextAction: string) => [
    describeCredential(credential, base, 'replacement', age, stage, nextAction, stage === 'blocked' ? undefined : dateAfter(now, 0)),
  ];

  if (byName.has(base)) {
    const reason = `replacement ${credential.name} cannot be renamed back to ${base}: another credential already has that name; rename or delete it`;
    return blockedByName(state, { base, cycleId, credentialName: credential.name, reason }, describe('blocked', 'resolve-name-conflict'));
  }
  const settle = settleReplacement(base, cycleId, replacement, context);
  return {
    actions: [
      ...(settle ? [settle] : []),
      ...noticeIfNew(state, { kind: 'queue-notice', base, cycleId, notice: 'old-removed', credentialName: base }),
      {
        kind: 'rename-replacement',
        base,
        cycleId,
        replacement: refOf(credential),
        name: base,
        title: stripReplacementTitle(credential.title, suffix),
      },
    ],
    credentials: describe(settle ? 'repair' : 'completing', settle?.kind ?? 'rename-replacement'),
  };
}

/**
 * Credentials the rotator made whose cycle closed without completing: the original's name went to a credential the
 * rotator did not make. They keep working; a person decides which to remove, so owner and operator are told once.
 */
function assessKept(
  base: string,
  kept: readonly OwnedCredential[],
  state: StoredCredentialState,
  context: AssessContext,
  nameHolder?: ApicCredential,
): AppAssessment {
  const credentials = kept.map(({ credential }) =>
    describeCredential(credential, base, 'kept', ageInDays(credential.createdAt, context.now), 'blocked', 'resolve-name-conflict'),
  );
  const newest = [...kept].sort((a, b) => compareStrings(b.credential.createdAt, a.credential.createdAt) || compareStrings(a.credential.id, b.credential.id))[0];
  if (!nameHolder || !newest) return { actions: [], credentials };
  // One notice for all of them, under the newest one's cycle: the ledger keeps one cycle per notice kind and base, so
  // a notice per kept credential would overwrite the other's and both would be queued again on every run.
  const names = kept.map(({ credential }) => credential.name).join(' and ');
  const reason =
    kept.length === 1
      ? `${base} was deleted or re-created outside the rotator while ${names} replaced it; ${names} keeps working ` +
        `and was not renamed, and the new ${base} was not deleted; remove whichever your consumers no longer use`
      : `${base} was deleted or re-created outside the rotator while ${names} replaced it; they keep working ` +
        `and were not renamed, and the new ${base} was not deleted; remove whichever your consumers no longer use`;
  const notice: NoticeAction = { kind: 'queue-notice', base, cycleId: newest.version.cycleId, notice: 'action-needed', credentialName: newest.credential.name, reason };
  return { actions: noticeIfNew(state, notice), credentials };
}

/**
 * What the base's stored pair needs beyond its credential group's own assessment, while consumers may still read it.
 * - Its credential was renamed away from the base name (a person's choice, so it is not renamed back): no group
 *   holds it, and when APIC refuses its current secret (a person also reset it) it is repaired like any other.
 * - No credential of the app belongs to it any more (a person deleted the replacement and renamed or deleted the
 *   original): when the cycle's original is still there under another name, the replacement is made again with the
 *   stored pair, so what consumers were told keeps working; when nothing of the cycle is left, owner and operator are
 *   told once, also when a person made a new credential under the base name, whose secret the rotator never had.
 * `grouped`: a credential holds the base name or was made for it; its group assesses the cycle that holder belongs to.
 * `groupNotifies`: that group is blocked and sends its own action-needed notice, which covers this one.
 */
function assessStoredPair(
  base: string,
  state: StoredCredentialState,
  credentials: readonly ApicCredential[],
  context: AssessContext,
  grouped: boolean,
  groupNotifies: boolean,
): RotationAction[] {
  const { current } = state;
  if (!current) return [];
  if (credentials.some((credential) => credential.clientId === current.clientId)) {
    const repair = grouped ? undefined : repairOfCurrent(base, state, credentials, context);
    return repair ? [repair] : [];
  }
  const original = credentials.find((credential) => credential.id === current.cycleId);
  if (original && grouped) return [];
  const replacementName = original ? freeReplacementName(base, context) : undefined;
  if (original && replacementName !== undefined) {
    return [
      {
        kind: 'create-replacement',
        base,
        cycleId: current.cycleId,
        original: refOf(original),
        replacementName,
        replacementTitle: original.title + context.settings.replacementSuffix,
      },
    ];
  }
  if (groupNotifies) return [];
  const reason = `the credential whose pair the secret of ${base} hands out is gone from APIC; consumers reading that secret are refused`;
  return noticeIfNew(state, { kind: 'queue-notice', base, cycleId: current.cycleId, notice: 'action-needed', credentialName: base, reason });
}

function stripReplacementTitle(title: string, suffix: string): string {
  return replacedBaseName(title, suffix) ?? title;
}

/**
 * What makes an owned replacement's secret current and accepted: promote the staged one, or, when APIC refuses the
 * current one (a person reset it in the UI), stage a new secret for the same client id. None when it is settled.
 */
function settleReplacement(
  base: string,
  cycleId: string,
  replacement: OwnedCredential,
  context: AssessContext,
  original?: ApicCredential,
): Extract<RotationAction, { kind: 'finish-replacement' | 'repair-replacement' }> | undefined {
  const ref = refOf(replacement.credential);
  if (replacement.label === 'pending') return { kind: 'finish-replacement', base, cycleId, replacement: ref };
  if (context.verifiedCurrent.get(base) === false) {
    return { kind: 'repair-replacement', base, cycleId, replacement: ref, ...(original && { original: refOf(original) }) };
  }
  return undefined;
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

function urgentNotice(base: string, cycleId: string, credentialName: string, dueDate: string, emergency: EmergencyTerms): NoticeAction {
  return { kind: 'queue-notice', base, cycleId, notice: 'urgent-replacement', credentialName, dueDate, emergency };
}

function graceDays(settings: PolicySettings): number {
  return settings.deletionDays - settings.expiryDays;
}

function roleOfUnreplaced(credential: ApicCredential, suffix: string): CredentialRole {
  return replacedBaseName(credential.name, suffix) === undefined ? 'original' : 'independent';
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
