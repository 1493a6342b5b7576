import { describe, expect, it } from 'vitest';
import type { ApicApp, ApicCredential, NoticeKind } from '../functions/domain/model';
import type { StoredCredentialState } from '../functions/domain/ports';
import { assessApp, candidateBaseNames, needsAttention, replacedBaseName, replacementNames, resolvePolicy } from '../functions/domain/policy';
import type { EffectiveSettings, PolicySettings, RotationAction } from '../functions/domain/policy';
import { DAY_MS } from '../functions/domain/time';

const NOW = new Date('2025-06-01T03:00:00.000Z');
const POLICY: PolicySettings = { expiryDays: 90, deletionDays: 100, warnDays: 14, replacementSuffix: '_new' };

/** A credential `ageDays` old whose id, client id and title derive from its name (or `id`, for a re-created one). */
function credential(name: string, ageDays: number, clientId = `client-${name}`, id = `id-${name}`): ApicCredential {
  return { id, name, title: `Title ${name}`, clientId, createdAt: new Date(NOW.getTime() - ageDays * DAY_MS).toISOString() };
}

function app(...credentials: ApicCredential[]): ApicApp {
  return { id: 'app-1', name: 'billing', title: 'Billing', consumerOrg: { id: 'org-1', name: 'acme' }, credentials };
}

interface StateSpec {
  current?: { clientId: string; cycleId: string };
  pending?: { clientId: string; cycleId: string };
  sent?: Partial<Record<NoticeKind, string>>;
  queued?: Partial<Record<NoticeKind, string>>;
}

function state(spec: StateSpec): StoredCredentialState {
  return {
    secretExists: true,
    ...(spec.current ? { current: { ...spec.current, versionId: 'v-current' } } : {}),
    ...(spec.pending ? { pending: { ...spec.pending, versionId: 'v-pending' } } : {}),
    noticesSent: spec.sent ?? {},
    noticesPending: spec.queued ?? {},
  };
}

interface AssessOptions {
  readonly settings?: EffectiveSettings;
  readonly ownerEmailKnown?: boolean;
  /** Bases whose current secret APIC rejects (a person reset it in the UI). */
  readonly rejected?: readonly string[];
  /** Bases whose current secret could not be verified (no verifiedCurrent entry). */
  readonly unverified?: readonly string[];
}

/** Every current secret held by a credential of the app verifies, unless `rejected` or `unverified` names its base. */
function assess(subject: ApicApp, store: Record<string, StateSpec> = {}, options: AssessOptions = {}) {
  const { settings = POLICY, ownerEmailKnown = true, rejected = [], unverified = [] } = options;
  const stored = new Map(Object.entries(store).map(([base, spec]) => [base, state(spec)]));
  const verifiedCurrent = new Map(
    Object.entries(store)
      .filter(([base, spec]) => !unverified.includes(base) && subject.credentials.some((c) => c.clientId === spec.current?.clientId))
      .map(([base]) => [base, !rejected.includes(base)]),
  );
  return assessApp({ app: subject, store: stored, verifiedCurrent, now: NOW, settings, ownerEmailKnown });
}

function kinds(actions: readonly RotationAction[]): string[] {
  return actions.map((a) => (a.kind === 'queue-notice' ? `notice:${a.notice}` : a.kind));
}

function ref(c: ApicCredential) {
  return { id: c.id, name: c.name, title: c.title, clientId: c.clientId };
}

/** The first `count` names of an endless generator. */
function first(names: Iterable<string>, count: number): string[] {
  const taken: string[] = [];
  for (const name of names) {
    if (taken.length === count) break;
    taken.push(name);
  }
  return taken;
}

function roles(result: ReturnType<typeof assess>) {
  return result.credentials.map((c) => [c.name, c.role, c.stage]);
}

/** Whether any action names the credential (to change it, or as the original or replacement of a cycle). */
function touches(actions: readonly RotationAction[], id: string): boolean {
  return actions.some((a) => ('original' in a && a.original?.id === id) || ('replacement' in a && a.replacement.id === id));
}

describe('assessApp: an original alone', () => {
  it('does nothing to a credential younger than expiryDays − warnDays', () => {
    const result = assess(app(credential('main', 75)));
    expect(result.actions).toEqual([]);
    expect(result.credentials).toEqual([
      { credentialId: 'id-main', name: 'main', baseName: 'main', role: 'original', ageDays: 75, stage: 'active', nextAction: 'warn', nextActionDate: '2025-06-02' },
    ]);
  });

  it('counts age in whole days, so a credential a minute short of the warning age is not warned', () => {
    const almost = { ...credential('main', 0), createdAt: new Date(NOW.getTime() - 76 * DAY_MS + 60_000).toISOString() };
    expect(assess(app(almost)).actions).toEqual([]);
  });

  it('queues a warn notice, due on the expiry date, once the credential is within warnDays of expiry', () => {
    expect(assess(app(credential('main', 76))).actions).toEqual([
      { kind: 'queue-notice', base: 'main', cycleId: 'id-main', notice: 'warn', credentialName: 'main', dueDate: '2025-06-15' },
    ]);
  });

  it('does not warn again when the warn notice of this cycle was sent', () => {
    expect(assess(app(credential('main', 80)), { main: { sent: { warn: 'id-main' } } }).actions).toEqual([]);
  });

  it('does not warn again when the warn notice of this cycle is still queued', () => {
    expect(assess(app(credential('main', 80)), { main: { queued: { warn: 'id-main' } } }).actions).toEqual([]);
  });

  it('warns again when the sent warn notice belongs to an earlier cycle', () => {
    expect(kinds(assess(app(credential('main', 80)), { main: { sent: { warn: 'id-older' } } }).actions)).toEqual(['notice:warn']);
  });

  it('sends no warning when warnDays is 0', () => {
    expect(assess(app(credential('main', 89)), {}, { settings: { ...POLICY, warnDays: 0 } }).actions).toEqual([]);
  });

  it('creates the replacement and queues replacement-ready, due after the grace, once the credential reaches expiryDays', () => {
    const original = credential('main', 90);
    expect(assess(app(original)).actions).toEqual([
      { kind: 'create-replacement', base: 'main', cycleId: 'id-main', original: ref(original), replacementName: 'main_new', replacementTitle: 'Title main_new' },
      { kind: 'queue-notice', base: 'main', cycleId: 'id-main', notice: 'replacement-ready', credentialName: 'main', dueDate: '2025-06-11' },
    ]);
  });

  it('still queues notices when the consumer org has no owner e-mail (the workflow routes them to the operator)', () => {
    expect(kinds(assess(app(credential('main', 90)), {}, { ownerEmailKnown: false }).actions)).toEqual(['create-replacement', 'notice:replacement-ready']);
  });
});

describe('assessApp: an original with its replacement', () => {
  const original = credential('main', 95);
  const replacement = credential('main_new', 5, 'client-new');
  const due = credential('main_new', 10, 'client-new');
  const currentReplacement = { main: { current: { clientId: 'client-new', cycleId: 'id-main' } } };
  const delivered = { main: { ...currentReplacement.main, sent: { 'replacement-ready': 'id-main' } } };

  it('only queues replacement-ready during the grace when that notice was never sent (a failed mail)', () => {
    const result = assess(app(original, replacement), currentReplacement);
    expect(result.actions).toEqual([
      { kind: 'queue-notice', base: 'main', cycleId: 'id-main', notice: 'replacement-ready', credentialName: 'main', dueDate: '2025-06-06' },
    ]);
    expect(result.credentials.map((c) => [c.name, c.role, c.stage, c.nextAction, c.nextActionDate])).toEqual([
      ['main', 'original', 'in-grace', 'delete-original', '2025-06-06'],
      ['main_new', 'replacement', 'in-grace', 'rename-replacement', '2025-06-06'],
    ]);
  });

  it('does nothing during the grace once replacement-ready was sent', () => {
    expect(assess(app(original, replacement), delivered).actions).toEqual([]);
  });

  it('measures the grace on the replacement, so an original far past deletionDays is kept while its replacement is young', () => {
    expect(assess(app(credential('main', 300), replacement), delivered).actions).toEqual([]);
  });

  it('deletes the original, queues old-removed and renames the replacement back once the grace has passed and replacement-ready was delivered', () => {
    expect(assess(app(original, due), delivered).actions).toEqual([
      { kind: 'delete-original', base: 'main', cycleId: 'id-main', original: ref(original), replacement: ref(due) },
      { kind: 'queue-notice', base: 'main', cycleId: 'id-main', notice: 'old-removed', credentialName: 'main' },
      { kind: 'rename-replacement', base: 'main', cycleId: 'id-main', replacement: ref(due), name: 'main', title: 'Title main' },
    ]);
  });

  it('finishes a replacement whose client id is staged but not current, and keeps the original', () => {
    const staged = credential('main_new', 30, 'client-new');
    const store = { main: { current: { clientId: 'client-main', cycleId: 'id-before' }, pending: { clientId: 'client-new', cycleId: 'id-main' } } };
    expect(assess(app(original, staged), store).actions).toEqual([
      { kind: 'finish-replacement', base: 'main', cycleId: 'id-main', replacement: ref(staged) },
      { kind: 'queue-notice', base: 'main', cycleId: 'id-main', notice: 'replacement-ready', credentialName: 'main', dueDate: '2025-05-12' },
    ]);
  });
});

describe('assessApp: deletion waits for a delivered replacement-ready notice', () => {
  const original = credential('main', 120);
  const due = credential('main_new', 20, 'client-new');
  const current = { clientId: 'client-new', cycleId: 'id-main' };

  it('holds the deletion after the grace when replacement-ready never reached anyone, queueing it once more, with a reason', () => {
    const result = assess(app(original, due), { main: { current } });
    expect(result.actions).toEqual([
      { kind: 'queue-notice', base: 'main', cycleId: 'id-main', notice: 'replacement-ready', credentialName: 'main', dueDate: '2025-05-22' },
      {
        kind: 'hold-deletion',
        base: 'main',
        cycleId: 'id-main',
        original: ref(original),
        reason: expect.stringMatching(/replacement-ready notice of main has not reached the owner or the operator, so main is kept/) as unknown as string,
      },
    ]);
    expect(result.credentials.map((c) => [c.name, c.stage, c.nextAction])).toEqual([
      ['main', 'held', 'delete-original'],
      ['main_new', 'held', 'rename-replacement'],
    ]);
  });

  it('only holds while the notice is queued but not yet sent', () => {
    expect(kinds(assess(app(original, due), { main: { current, queued: { 'replacement-ready': 'id-main' } } }).actions)).toEqual(['hold-deletion']);
  });

  it('holds when the delivered replacement-ready notice belongs to another cycle', () => {
    const store = { main: { current, sent: { 'replacement-ready': 'id-earlier' }, queued: { 'replacement-ready': 'id-main' } } };
    expect(kinds(assess(app(original, due), store).actions)).toEqual(['hold-deletion']);
  });

  it('deletes without a delivered notice when the consumer org reads Secrets Manager', () => {
    const settings = { ...POLICY, readsSecretsManager: true };
    const result = assess(app(original, due), { main: { current, queued: { 'replacement-ready': 'id-main' } } }, { settings });
    expect(kinds(result.actions)).toEqual(['delete-original', 'notice:old-removed', 'rename-replacement']);
  });

  it('puts held deletions after every other action of the app, since a held deletion fails the app', () => {
    const store = { alpha: { current: { clientId: 'client-an', cycleId: 'id-alpha' }, queued: { 'replacement-ready': 'id-alpha' } } };
    const result = assess(app(credential('alpha', 120), credential('alpha_new', 20, 'client-an'), credential('beta', 95)), store);
    expect(result.actions.map((a) => `${a.base} ${kinds([a]).join()}`)).toEqual([
      'beta create-replacement',
      'beta notice:replacement-ready',
      'alpha hold-deletion',
    ]);
  });
});

describe('assessApp: the stored current secret is verified with APIC before any decision', () => {
  const original = credential('main', 120);
  const due = credential('main_new', 20, 'client-new');
  const delivered = { main: { current: { clientId: 'client-new', cycleId: 'id-main' }, sent: { 'replacement-ready': 'id-main' } } };

  it('repairs a current replacement APIC rejects (a person reset its secret) instead of deleting the original', () => {
    const result = assess(app(original, due), delivered, { rejected: ['main'] });
    expect(result.actions).toEqual([{ kind: 'repair-replacement', base: 'main', cycleId: 'id-main', replacement: ref(due), original: ref(original) }]);
    expect(result.credentials.map((c) => [c.name, c.stage, c.nextAction])).toEqual([
      ['main', 'repair', 'delete-original'],
      ['main_new', 'repair', 'repair-replacement'],
    ]);
  });

  it('repairs a rejected replacement during the grace as well', () => {
    const young = credential('main_new', 2, 'client-new');
    expect(kinds(assess(app(original, young), delivered, { rejected: ['main'] }).actions)).toEqual(['repair-replacement']);
  });

  it('never deletes on a current secret that was not verified, however long the grace has passed', () => {
    const result = assess(app(original, due), delivered, { unverified: ['main'] });
    expect(result.actions).toEqual([]);
    expect(result.credentials.map((c) => c.stage)).toEqual(['in-grace', 'in-grace']);
  });

  it('repairs a replacement whose original is gone before renaming it back', () => {
    const orphan = credential('main_new', 12, 'client-new');
    const result = assess(app(orphan), { main: { current: { clientId: 'client-new', cycleId: 'id-gone' } } }, { rejected: ['main'] });
    expect(kinds(result.actions)).toEqual(['repair-replacement', 'notice:old-removed', 'rename-replacement']);
  });

  it('repairs its completed credential under the base name when APIC rejects the current secret', () => {
    const completed = credential('main', 30, 'client-main');
    const result = assess(app(completed), { main: { current: { clientId: 'client-main', cycleId: 'id-earlier' } } }, { rejected: ['main'] });
    expect(result.actions).toEqual([{ kind: 'repair-replacement', base: 'main', cycleId: 'id-earlier', replacement: ref(completed) }]);
  });

  it('repairs a completed credential before creating its replacement, so the create stages after the repair', () => {
    const completed = credential('main', 95, 'client-main');
    const result = assess(app(completed), { main: { current: { clientId: 'client-main', cycleId: 'id-earlier' } } }, { rejected: ['main'] });
    expect(kinds(result.actions)).toEqual(['repair-replacement', 'create-replacement', 'notice:replacement-ready']);
  });

  it('finishes a repair a stopped run left staged (same client id)', () => {
    const completed = credential('main', 30, 'client-main');
    const store = { main: { current: { clientId: 'client-main', cycleId: 'id-earlier' }, pending: { clientId: 'client-main', cycleId: 'id-earlier' } } };
    expect(kinds(assess(app(completed), store, { rejected: ['main'] }).actions)).toEqual(['repair-replacement']);
  });

  it('does not repair over a staged secret of another client id, which a create promotes next', () => {
    const completed = credential('main', 95, 'client-main');
    const store = { main: { current: { clientId: 'client-main', cycleId: 'id-earlier' }, pending: { clientId: 'client-staged', cycleId: 'id-main' } } };
    expect(kinds(assess(app(completed), store, { rejected: ['main'] }).actions)).toEqual(['create-replacement', 'notice:replacement-ready']);
  });

  it('does not repair a credential whose client id is not the current one; a current pair nothing of its cycle holds is told once', () => {
    const store = { main: { current: { clientId: 'client-other', cycleId: 'id-x' } } };
    expect(kinds(assess(app(credential('main', 30)), store, { rejected: ['main'] }).actions)).toEqual(['notice:action-needed']);
    expect(assess(app(credential('main', 30)), { main: { ...store.main, sent: { 'action-needed': 'id-x' } } }).actions).toEqual([]);
  });

  it('repairs the current secret of a credential a person renamed away from the base name, and leaves its name alone', () => {
    const renamed = credential('main-renamed', 20, 'client-main', 'id-renamed');
    const store = { main: { current: { clientId: 'client-main', cycleId: 'id-earlier' } } };
    const result = assess(app(renamed), store, { rejected: ['main'] });
    expect(result.actions).toEqual([{ kind: 'repair-replacement', base: 'main', cycleId: 'id-earlier', replacement: ref(renamed) }]);
    expect(assess(app(renamed), store).actions).toEqual([]);
  });
});

describe('assessApp: ownership, by client id and by the APIC id of the cycle', () => {
  it('takes a <name><suffix> for the replacement only when the store holds its client id', () => {
    const result = assess(app(credential('main', 10), credential('main_new', 10)));
    expect(result.actions).toEqual([]);
    expect(result.credentials.map((c) => [c.name, c.baseName, c.role])).toEqual([
      ['main', 'main', 'original'],
      ['main_new', 'main_new', 'independent'],
    ]);
  });

  it('treats a suffixed credential as independent when the store of its base holds other client ids', () => {
    const store = { main: { current: { clientId: 'client-other', cycleId: 'id-x' }, pending: { clientId: 'client-y', cycleId: 'id-x' } } };
    const result = assess(app(credential('main', 10), credential('main_new', 10)), store);
    expect(result.credentials.find((c) => c.name === 'main_new')?.role).toBe('independent');
  });

  it('does not take over a <name><suffix> because a version is staged for this cycle under a client id APIC does not know', () => {
    const original = credential('main', 95);
    const own = credential('main_new', 5);
    const store = { main: { pending: { clientId: 'client-lost', cycleId: 'id-main' }, sent: { 'replacement-ready': 'id-main' } } };
    const result = assess(app(original, own), store);
    expect(result.actions).toEqual([
      { kind: 'create-replacement', base: 'main', cycleId: 'id-main', original: ref(original), replacementName: 'main_new2', replacementTitle: 'Title main_new' },
    ]);
    expect(touches(result.actions, own.id)).toBe(false);
    expect(result.credentials.find((c) => c.name === 'main_new')?.role).toBe('independent');
  });

  it('takes a numbered <name><suffix>N for the replacement by its client id, and a foreign one for independent', () => {
    const original = credential('main', 95);
    const ours = credential('main_new2', 3, 'client-ours');
    const store = { main: { current: { clientId: 'client-ours', cycleId: 'id-main' }, sent: { 'replacement-ready': 'id-main' } } };
    expect(roles(assess(app(original, credential('main_new', 3), ours), store))).toEqual([
      ['main', 'original', 'in-grace'],
      ['main_new2', 'replacement', 'in-grace'],
      ['main_new', 'independent', 'active'],
    ]);
    expect(roles(assess(app(original, credential('main_new2', 3)), {}))[1]).toEqual(['main_new2', 'independent', 'active']);
  });

  it('keeps a replacement whose original is younger than it, though the cycle id matches', () => {
    const youngerOriginal = credential('main', 2);
    const replacement = credential('main_new', 20, 'client-new');
    const store = { main: { current: { clientId: 'client-new', cycleId: 'id-main' }, sent: { 'replacement-ready': 'id-main' } } };
    const result = assess(app(youngerOriginal, replacement), store);
    expect(touches(result.actions, youngerOriginal.id)).toBe(false);
    expect(roles(result)).toEqual([
      ['main', 'original', 'active'],
      ['main_new', 'kept', 'blocked'],
    ]);
  });

  it('keeps following a replacement a person renamed mid-cycle: its client id and cycle are the store’s, and it is renamed back', () => {
    const original = credential('main', 120);
    const renamed = credential('payments', 20, 'client-new', 'id-main_new');
    const store = { main: { current: { clientId: 'client-new', cycleId: 'id-main' }, sent: { 'replacement-ready': 'id-main' } } };
    expect(assess(app(original, renamed), store).actions).toEqual([
      { kind: 'delete-original', base: 'main', cycleId: 'id-main', original: ref(original), replacement: ref(renamed) },
      { kind: 'queue-notice', base: 'main', cycleId: 'id-main', notice: 'old-removed', credentialName: 'main' },
      { kind: 'rename-replacement', base: 'main', cycleId: 'id-main', replacement: ref(renamed), name: 'main', title: 'Title main' },
    ]);
  });

  it('does not follow a renamed credential whose stored cycle is not the open cycle of the credential holding the base name', () => {
    const store = { main: { current: { clientId: 'client-new', cycleId: 'id-gone' } } };
    const result = assess(app(credential('main', 10), credential('payments', 20, 'client-new')), store);
    expect(result.actions).toEqual([]);
    expect(roles(result)).toEqual([
      ['main', 'original', 'active'],
      ['payments', 'original', 'active'],
    ]);
  });
});

describe('assessApp: a person re-created the original while its replacement was in flight', () => {
  const recreated = credential('main', 5, 'client-recreated', 'id-main-recreated');
  const kept = credential('main_new', 10, 'client-new');
  const store = { main: { current: { clientId: 'client-new', cycleId: 'id-main' }, sent: { 'replacement-ready': 'id-main' } } };

  it('closes the cycle without deleting the name-holder: the replacement is kept and owner and operator are told once', () => {
    const result = assess(app(recreated, kept), store);
    expect(result.actions).toEqual([
      {
        kind: 'queue-notice',
        base: 'main',
        cycleId: 'id-main',
        notice: 'action-needed',
        credentialName: 'main_new',
        reason: expect.stringMatching(/main_new keeps working and was not renamed, and the new main was not deleted/) as unknown as string,
      },
    ]);
    expect(roles(result)).toEqual([
      ['main', 'original', 'active'],
      ['main_new', 'kept', 'blocked'],
    ]);
  });

  it('does not repeat the action-needed notice of the kept replacement', () => {
    expect(assess(app(recreated, kept), { main: { ...store.main, sent: { ...store.main.sent, 'action-needed': 'id-main' } } }).actions).toEqual([]);
  });

  it('rotates the name-holder as a plain original when it is due, into the next free name, leaving the kept one alone', () => {
    const dueHolder = credential('main', 95, 'client-recreated', 'id-main-recreated');
    const result = assess(app(dueHolder, kept), { main: { ...store.main, sent: { 'action-needed': 'id-main' } } });
    expect(result.actions).toEqual([
      { kind: 'create-replacement', base: 'main', cycleId: 'id-main-recreated', original: ref(dueHolder), replacementName: 'main_new2', replacementTitle: 'Title main_new' },
      { kind: 'queue-notice', base: 'main', cycleId: 'id-main-recreated', notice: 'replacement-ready', credentialName: 'main', dueDate: '2025-06-11' },
    ]);
    expect(touches(result.actions, kept.id)).toBe(false);
  });

  it('sends one notice for two kept replacements, under the newest one’s cycle, naming both', () => {
    const older = credential('main_new', 30, 'client-old');
    const newer = credential('main_new2', 10, 'client-newer');
    const twoKept = { main: { current: { clientId: 'client-old', cycleId: 'id-first' }, pending: { clientId: 'client-newer', cycleId: 'id-second' } } };
    const result = assess(app(recreated, older, newer), twoKept);
    expect(result.actions).toEqual([
      {
        kind: 'queue-notice',
        base: 'main',
        cycleId: 'id-second',
        notice: 'action-needed',
        credentialName: 'main_new2',
        reason: expect.stringMatching(/main_new and main_new2 replaced it; they keep working/) as unknown as string,
      },
    ]);
  });

  it('repairs a kept replacement APIC rejects, before anything else of the base', () => {
    const dueHolder = credential('main', 95, 'client-recreated', 'id-main-recreated');
    const result = assess(app(dueHolder, kept), { main: { ...store.main, sent: { 'action-needed': 'id-main' } } }, { rejected: ['main'] });
    expect(kinds(result.actions)).toEqual(['repair-replacement', 'create-replacement', 'notice:replacement-ready']);
    expect(result.actions[0]).toEqual({ kind: 'repair-replacement', base: 'main', cycleId: 'id-main', replacement: ref(kept) });
  });
});

describe('assessApp: names ending with the suffix that the rotator does not manage', () => {
  it('rotates a due original whose <name><suffix> is taken into the next free name, <name><suffix>2, titled as usual', () => {
    const original = credential('main', 95);
    const foreign = credential('main_new', 10);
    const result = assess(app(original, foreign));
    expect(result.actions).toEqual([
      { kind: 'create-replacement', base: 'main', cycleId: 'id-main', original: ref(original), replacementName: 'main_new2', replacementTitle: 'Title main_new' },
      { kind: 'queue-notice', base: 'main', cycleId: 'id-main', notice: 'replacement-ready', credentialName: 'main', dueDate: '2025-06-11' },
    ]);
    expect(touches(result.actions, foreign.id)).toBe(false);
  });

  it('takes the first free numbered name', () => {
    const result = assess(app(credential('main', 95), credential('main_new', 10), credential('main_new2', 10)));
    expect(result.actions[0]).toMatchObject({ kind: 'create-replacement', replacementName: 'main_new3' });
  });

  it('blocks only when <name><suffix> and the next 99 numbered names are all taken, with one action-needed notice', () => {
    const taken = first(replacementNames('main', '_new'), 100).map((name) => credential(name, 10));
    const result = assess(app(credential('main', 95), ...taken));
    expect(result.actions.filter((a) => a.base === 'main')).toEqual([
      {
        kind: 'queue-notice',
        base: 'main',
        cycleId: 'id-main',
        notice: 'action-needed',
        credentialName: 'main',
        reason: expect.stringMatching(/main_new and the next 99 numbered names are taken/) as unknown as string,
      },
    ]);
    expect(result.credentials.find((c) => c.name === 'main')?.stage).toBe('blocked');
    expect(assess(app(credential('main', 95), ...taken), { main: { sent: { 'action-needed': 'id-main' } } }).actions.filter((a) => a.base === 'main')).toEqual([]);
  });

  it('rotates a due independent suffixed credential on its own, into name + suffix + suffix', () => {
    const independent = credential('main_new', 91);
    expect(assess(app(credential('main', 10), independent)).actions).toEqual([
      { kind: 'create-replacement', base: 'main_new', cycleId: 'id-main_new', original: ref(independent), replacementName: 'main_new_new', replacementTitle: 'Title main_new_new' },
      { kind: 'queue-notice', base: 'main_new', cycleId: 'id-main_new', notice: 'replacement-ready', credentialName: 'main_new', dueDate: '2025-06-11' },
    ]);
  });

  it('rotates several independent credentials each on its own and never deletes because another exists', () => {
    const result = assess(app(credential('zeta', 95), credential('alpha', 120), credential('beta', 3)));
    expect(result.actions.map((a) => `${a.base} ${kinds([a]).join()}`)).toEqual([
      'alpha create-replacement',
      'alpha notice:replacement-ready',
      'zeta create-replacement',
      'zeta notice:replacement-ready',
    ]);
  });

  it('recognises numbered replacement names with a suffix that ends in a digit (key-v22 is key + -v2 + 2)', () => {
    const settings = { ...POLICY, replacementSuffix: '-v2' };
    const original = credential('key', 95);
    expect(assess(app(original, credential('key-v2', 10)), {}, { settings }).actions[0]).toMatchObject({ replacementName: 'key-v22' });
    const ours = credential('key-v22', 3, 'client-ours');
    const store = { key: { current: { clientId: 'client-ours', cycleId: 'id-key' }, sent: { 'replacement-ready': 'id-key' } } };
    expect(roles(assess(app(original, credential('key-v2', 10), ours), store, { settings }))).toEqual([
      ['key', 'original', 'in-grace'],
      ['key-v22', 'replacement', 'in-grace'],
      ['key-v2', 'independent', 'active'],
    ]);
  });
});

describe('assessApp: a replacement whose original is gone (a run stopped between delete and rename)', () => {
  it('renames a current replacement back and queues old-removed for the cycle of the stored version', () => {
    const orphan = credential('main_new', 12, 'client-new');
    expect(assess(app(orphan), { main: { current: { clientId: 'client-new', cycleId: 'id-gone' } } }).actions).toEqual([
      { kind: 'queue-notice', base: 'main', cycleId: 'id-gone', notice: 'old-removed', credentialName: 'main' },
      { kind: 'rename-replacement', base: 'main', cycleId: 'id-gone', replacement: ref(orphan), name: 'main', title: 'Title main' },
    ]);
  });

  it('only renames when old-removed of that cycle was already queued', () => {
    const store = { main: { current: { clientId: 'client-new', cycleId: 'id-gone' }, queued: { 'old-removed': 'id-gone' } } };
    expect(kinds(assess(app(credential('main_new', 12, 'client-new')), store).actions)).toEqual(['rename-replacement']);
  });

  it('finishes a staged orphan replacement before renaming it', () => {
    const store = { main: { pending: { clientId: 'client-new', cycleId: 'id-gone' } } };
    expect(kinds(assess(app(credential('main_new', 12, 'client-new')), store).actions)).toEqual([
      'finish-replacement',
      'notice:old-removed',
      'rename-replacement',
    ]);
  });

  it('keeps the orphan’s base name for it: a due original whose replacement would take that name takes the next one', () => {
    const store = { main_new: { current: { clientId: 'client-nn', cycleId: 'id-gone' } } };
    const result = assess(app(credential('main', 95), credential('main_new_new', 12, 'client-nn')), store);
    expect(kinds(result.actions)).toEqual(['create-replacement', 'notice:replacement-ready', 'notice:old-removed', 'rename-replacement']);
    expect(result.actions[0]).toMatchObject({ replacementName: 'main_new2' });
  });

  it('blocks the rename when another lifecycle’s credential holds the base name', () => {
    const store = {
      main: { current: { clientId: 'client-n', cycleId: 'id-main' } },
      main_new: { current: { clientId: 'client-nn', cycleId: 'id-gone' } },
    };
    const result = assess(app(credential('main', 95), credential('main_new', 3, 'client-n'), credential('main_new_new', 3, 'client-nn')), store);
    const forNested = result.actions.filter((a) => a.base === 'main_new');
    expect(kinds(forNested)).toEqual(['notice:action-needed']);
    expect(result.credentials.find((c) => c.name === 'main_new_new')?.stage).toBe('blocked');
  });
});

describe('assessApp: the four cases of the ownership issue', () => {
  it('“A re-created original is deleted”: the new key is not; the cycle closes, owner and operator are told, the replacement is kept', () => {
    // Day 0 key_new was created and made current; day 5 a person deleted key and created a new key; day 10 the grace is over.
    const newKey = credential('key', 5, 'client-person', 'id-key-recreated');
    const keyNew = credential('key_new', 10, 'client-key_new');
    const store = { key: { current: { clientId: 'client-key_new', cycleId: 'id-key' }, sent: { 'replacement-ready': 'id-key' } } };
    const result = assess(app(newKey, keyNew), store);
    expect(kinds(result.actions)).toEqual(['notice:action-needed']);
    expect(result.actions[0]).toMatchObject({ cycleId: 'id-key', credentialName: 'key_new' });
    expect(touches(result.actions, newKey.id)).toBe(false);
    expect(roles(result)).toEqual([
      ['key', 'original', 'active'],
      ['key_new', 'kept', 'blocked'],
    ]);
  });

  it('“A person’s own <name>_new is taken over”: after a create stopped once its secret was staged, the rotation uses key_new2', () => {
    const key = credential('key', 91);
    const own = credential('key_new', 0, 'client-person');
    const store = { key: { pending: { clientId: 'client-staged', cycleId: 'id-key' } } };
    const result = assess(app(key, own), store);
    expect(result.actions).toEqual([
      { kind: 'create-replacement', base: 'key', cycleId: 'id-key', original: ref(key), replacementName: 'key_new2', replacementTitle: 'Title key_new' },
      { kind: 'queue-notice', base: 'key', cycleId: 'id-key', notice: 'replacement-ready', credentialName: 'key', dueDate: '2025-06-11' },
    ]);
    expect(touches(result.actions, own.id)).toBe(false);
  });

  it('“An original is deleted that no notice ever announced”: held until the notice is delivered, deleted on the first run after', () => {
    const key = credential('key', 101);
    const keyNew = credential('key_new', 11, 'client-key_new');
    const current = { clientId: 'client-key_new', cycleId: 'id-key' };
    expect(kinds(assess(app(key, keyNew), { key: { current, queued: { 'replacement-ready': 'id-key' } } }).actions)).toEqual(['hold-deletion']);
    expect(kinds(assess(app(key, keyNew), { key: { current, sent: { 'replacement-ready': 'id-key' } } }).actions)).toEqual([
      'delete-original',
      'notice:old-removed',
      'rename-replacement',
    ]);
  });

  it('“Name clashes block rotation forever”: key goes to key_new2, and the foreign key_new is rotated on its own when due', () => {
    const key = credential('key', 95);
    const foreign = credential('key_new', 92);
    expect(assess(app(key, foreign)).actions.map((a) => [a.base, a.kind, 'replacementName' in a ? a.replacementName : ''])).toEqual([
      ['key', 'create-replacement', 'key_new2'],
      ['key', 'queue-notice', ''],
      ['key_new', 'create-replacement', 'key_new_new'],
      ['key_new', 'queue-notice', ''],
    ]);
  });
});

describe('assessApp: ordering and exemption', () => {
  it('orders actions by base name, each base in lifecycle order', () => {
    const store = { beta: { current: { clientId: 'client-beta-new', cycleId: 'id-beta' }, sent: { 'replacement-ready': 'id-beta' } } };
    const result = assess(app(credential('beta', 150), credential('beta_new', 20, 'client-beta-new'), credential('alpha', 100)), store);
    expect(result.actions.map((a) => `${a.base} ${kinds([a]).join()}`)).toEqual([
      'alpha create-replacement',
      'alpha notice:replacement-ready',
      'beta delete-original',
      'beta notice:old-removed',
      'beta rename-replacement',
    ]);
  });

  it('does nothing for an exempt consumer org and reports its credentials as exempt', () => {
    const result = assess(app(credential('main', 400)), {}, { settings: { exempt: true } });
    expect(result.actions).toEqual([]);
    expect(result.credentials.map((c) => c.stage)).toEqual(['exempt']);
  });
});

describe('replacement names', () => {
  it('are <name><suffix>, then <name><suffix>2, <name><suffix>3, …', () => {
    expect(first(replacementNames('key', '_new'), 4)).toEqual(['key_new', 'key_new2', 'key_new3', 'key_new4']);
  });

  it('map back to the name they may replace, by shape alone', () => {
    expect(
      ['key_new', 'key_new2', 'key_new10', 'key_new1', 'key_new02', 'key_new_new', 'key', '_new'].map((name) => replacedBaseName(name, '_new')),
    ).toEqual(['key', 'key', 'key', undefined, undefined, 'key_new', undefined, undefined]);
  });

  it('map back with a suffix that ends in a digit, whichever way the trailing digits split', () => {
    expect(['key-v2', 'key-v22', 'key-v23', 'key-v210', 'key-v', 'key-v2-v2'].map((name) => replacedBaseName(name, '-v2'))).toEqual([
      'key',
      'key',
      'key',
      'key',
      undefined,
      'key-v2',
    ]);
  });
});

describe('needsAttention', () => {
  it('is false when every credential is younger than expiryDays − warnDays', () => {
    expect(needsAttention(app(credential('a', 75), credential('b', 0)), NOW, POLICY)).toBe(false);
  });

  it('is true once a credential reaches expiryDays − warnDays', () => {
    expect(needsAttention(app(credential('a', 76)), NOW, POLICY)).toBe(true);
  });

  it('is true when a credential name ends with the suffix (a rotation may be in flight)', () => {
    expect(needsAttention(app(credential('a_new', 1)), NOW, POLICY)).toBe(true);
  });

  it('is false for an exempt consumer org', () => {
    expect(needsAttention(app(credential('a_new', 400)), NOW, { exempt: true })).toBe(false);
  });
});

describe('candidateBaseNames', () => {
  it('lists each name and, for suffixed names, the name without the suffix, once each and sorted', () => {
    expect(candidateBaseNames([{ name: 'b_new' }, { name: 'b' }, { name: 'a_new_new' }, { name: '_new' }], '_new')).toEqual([
      '_new',
      'a_new',
      'a_new_new',
      'b',
      'b_new',
    ]);
  });

  it('lists the name a numbered replacement name may replace', () => {
    expect(candidateBaseNames([{ name: 'c_new2' }, { name: 'd-v23' }], '_new')).toEqual(['c', 'c_new2', 'd-v23']);
  });

  it('lists the name a numbered replacement name may replace when the suffix ends in a digit', () => {
    expect(candidateBaseNames([{ name: 'd-v23' }], '-v2')).toEqual(['d', 'd-v23']);
  });
});

describe('resolvePolicy', () => {
  const run = { policy: POLICY, consumerOrgOverrides: { slow: { expiryDays: 180, deletionDays: 200 }, frozen: { exempt: true } } };

  it('returns the run policy for a consumer org without override', () => {
    expect(resolvePolicy(run, 'acme')).toEqual(POLICY);
  });

  it('merges an override over the run policy', () => {
    expect(resolvePolicy(run, 'slow')).toEqual({ ...POLICY, expiryDays: 180, deletionDays: 200 });
  });

  it('returns exempt for an exempt consumer org', () => {
    expect(resolvePolicy(run, 'frozen')).toEqual({ exempt: true });
  });

  it('ignores inherited object keys used as consumer org names', () => {
    expect(resolvePolicy(run, 'constructor')).toEqual(POLICY);
  });
});

describe('assessApp: a stored secret no credential of the app belongs to any more', () => {
  it('makes the replacement again, with the stored cycle, when the cycle’s original is still there under another name', () => {
    const renamed = credential('key-legacy', 100);
    const result = assess(app(renamed), { key: { current: { clientId: 'client-deleted', cycleId: 'id-key-legacy' } } });
    expect(result.actions.filter((action) => action.base === 'key')).toEqual([
      {
        kind: 'create-replacement',
        base: 'key',
        cycleId: 'id-key-legacy',
        original: ref(renamed),
        replacementName: 'key_new',
        replacementTitle: 'Title key-legacy_new',
      },
    ]);
  });

  it('tells owner and operator once when nothing of the cycle is left', () => {
    const store = { key: { current: { clientId: 'client-deleted', cycleId: 'id-gone' } } };
    expect(kinds(assess(app(credential('other', 3)), store).actions)).toEqual(['notice:action-needed']);
    const told = { key: { ...store.key, sent: { 'action-needed': 'id-gone' } } };
    expect(assess(app(credential('other', 3)), told).actions).toEqual([]);
  });

  it('leaves a secret alone whose current pair a credential of the app holds', () => {
    const holder = credential('renamed-by-person', 3, 'client-kept');
    expect(assess(app(holder), { key: { current: { clientId: 'client-kept', cycleId: 'id-x' } } }).actions).toEqual([]);
  });
});
