import { describe, expect, it } from 'vitest';
import type { ApicApp, ApicCredential, NoticeKind } from '../functions/domain/model';
import type { StoredCredentialState } from '../functions/domain/ports';
import { assessApp, candidateBaseNames, needsAttention, resolvePolicy } from '../functions/domain/policy';
import type { EffectiveSettings, PolicySettings, RotationAction } from '../functions/domain/policy';
import { DAY_MS } from '../functions/domain/time';

const NOW = new Date('2025-06-01T03:00:00.000Z');
const POLICY: PolicySettings = { expiryDays: 90, deletionDays: 100, warnDays: 14, replacementSuffix: '_new' };

/** A credential `ageDays` old whose id, client id and title derive from its name. */
function credential(name: string, ageDays: number, clientId = `client-${name}`): ApicCredential {
  return { id: `id-${name}`, name, title: `Title ${name}`, clientId, createdAt: new Date(NOW.getTime() - ageDays * DAY_MS).toISOString() };
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

/** Every current secret verifies unless `rejected` names its base (a person reset it in APIC). */
function assess(
  subject: ApicApp,
  store: Record<string, StateSpec> = {},
  settings: EffectiveSettings = POLICY,
  ownerEmailKnown = true,
  rejected: readonly string[] = [],
) {
  const stored = new Map(Object.entries(store).map(([base, spec]) => [base, state(spec)]));
  const verifiedCurrent = new Map(
    Object.entries(store)
      .filter(([, spec]) => spec.current !== undefined && subject.credentials.some((c) => c.clientId === spec.current?.clientId))
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
    expect(assess(app(credential('main', 89)), {}, { ...POLICY, warnDays: 0 }).actions).toEqual([]);
  });

  it('creates the replacement and queues replacement-ready, due after the grace, once the credential reaches expiryDays', () => {
    const original = credential('main', 90);
    expect(assess(app(original)).actions).toEqual([
      { kind: 'create-replacement', base: 'main', cycleId: 'id-main', original: ref(original), replacementName: 'main_new', replacementTitle: 'Title main_new' },
      { kind: 'queue-notice', base: 'main', cycleId: 'id-main', notice: 'replacement-ready', credentialName: 'main', dueDate: '2025-06-11' },
    ]);
  });

  it('still queues notices when the consumer org has no owner e-mail (the workflow routes them to the operator)', () => {
    expect(kinds(assess(app(credential('main', 90)), {}, POLICY, false).actions)).toEqual(['create-replacement', 'notice:replacement-ready']);
  });
});

describe('assessApp: an original with its replacement', () => {
  const original = credential('main', 95);
  const replacement = credential('main_new', 5, 'client-new');
  const currentReplacement = { main: { current: { clientId: 'client-new', cycleId: 'id-main' } } };

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
    const store = { main: { ...currentReplacement.main, sent: { 'replacement-ready': 'id-main' } } };
    expect(assess(app(original, replacement), store).actions).toEqual([]);
  });

  it('measures the grace on the replacement, so an original far past deletionDays is kept while its replacement is young', () => {
    const veryOld = credential('main', 300);
    const store = { main: { ...currentReplacement.main, sent: { 'replacement-ready': 'id-main' } } };
    expect(assess(app(veryOld, replacement), store).actions).toEqual([]);
  });

  it('deletes the original, queues old-removed and renames the replacement back once the grace has passed', () => {
    const due = credential('main_new', 10, 'client-new');
    expect(assess(app(original, due), currentReplacement).actions).toEqual([
      { kind: 'delete-original', base: 'main', cycleId: 'id-main', original: ref(original), replacement: ref(due) },
      { kind: 'queue-notice', base: 'main', cycleId: 'id-main', notice: 'old-removed', credentialName: 'main' },
      { kind: 'rename-replacement', base: 'main', cycleId: 'id-main', replacement: ref(due), name: 'main', title: 'Title main' },
    ]);
  });

  it('finishes a replacement whose client id is staged but not current, and keeps the original', () => {
    const due = credential('main_new', 30, 'client-new');
    const store = { main: { current: { clientId: 'client-main', cycleId: 'id-before' }, pending: { clientId: 'client-new', cycleId: 'id-main' } } };
    expect(assess(app(original, due), store).actions).toEqual([
      { kind: 'finish-replacement', base: 'main', cycleId: 'id-main', replacement: ref(due) },
      { kind: 'queue-notice', base: 'main', cycleId: 'id-main', notice: 'replacement-ready', credentialName: 'main', dueDate: '2025-05-12' },
    ]);
  });

  it('repairs a replacement staged for this cycle under another client id (its secret was never stored), and keeps the original', () => {
    const store = { main: { pending: { clientId: 'client-lost', cycleId: 'id-main' }, sent: { 'replacement-ready': 'id-main' } } };
    expect(assess(app(original, replacement), store).actions).toEqual([
      { kind: 'repair-replacement', base: 'main', cycleId: 'id-main', replacement: ref(replacement) },
    ]);
  });
});

describe('assessApp: names ending with the suffix that the rotator does not manage', () => {
  it('treats a suffixed credential without store state as independent and leaves a young one alone', () => {
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

  it('blocks a due original whose replacement name is taken, with one action-needed notice naming the conflict', () => {
    const result = assess(app(credential('main', 95), credential('main_new', 10)));
    expect(result.actions).toEqual([
      {
        kind: 'queue-notice',
        base: 'main',
        cycleId: 'id-main',
        notice: 'action-needed',
        credentialName: 'main',
        reason: expect.stringMatching(/main_new exists and is not managed by the rotator/) as unknown as string,
      },
    ]);
    expect(result.credentials.find((c) => c.name === 'main')?.stage).toBe('blocked');
  });

  it('does not repeat the action-needed notice of a blocked cycle', () => {
    const result = assess(app(credential('main', 95), credential('main_new', 10)), { main: { sent: { 'action-needed': 'id-main' } } });
    expect(result.actions).toEqual([]);
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

  it('keeps the orphan’s base name for it, blocking a due original that would create a replacement with that name', () => {
    const store = { main_new: { current: { clientId: 'client-nn', cycleId: 'id-gone' } } };
    const result = assess(app(credential('main', 95), credential('main_new_new', 12, 'client-nn')), store);
    expect(kinds(result.actions)).toEqual(['notice:action-needed', 'notice:old-removed', 'rename-replacement']);
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

describe('assessApp: ordering and exemption', () => {
  it('orders actions by base name, each base in lifecycle order', () => {
    const store = { beta: { current: { clientId: 'client-beta-new', cycleId: 'id-beta' } } };
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
    const result = assess(app(credential('main', 400)), {}, { exempt: true });
    expect(result.actions).toEqual([]);
    expect(result.credentials.map((c) => c.stage)).toEqual(['exempt']);
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
