import { describe, expect, it } from 'vitest';
import type { ApicApp, ApicCredential, NoticeKind } from '../functions/domain/model';
import type { EmergencyMark, StoredCredentialState } from '../functions/domain/ports';
import { assessApp } from '../functions/domain/policy';
import type { PolicySettings, RotationAction } from '../functions/domain/policy';
import { DAY_MS, HOUR_MS } from '../functions/domain/time';

const NOW = new Date('2025-06-01T03:00:00.000Z');
const POLICY: PolicySettings = { expiryDays: 90, deletionDays: 100, warnDays: 14, replacementSuffix: '_new' };

function credential(name: string, ageMs: number, clientId = `client-${name}`): ApicCredential {
  return { id: `id-${name}`, name, title: `Title ${name}`, clientId, createdAt: new Date(NOW.getTime() - ageMs).toISOString() };
}

function app(...credentials: ApicCredential[]): ApicApp {
  return { id: 'app-1', name: 'billing', title: 'Billing', consumerOrg: { id: 'org-1', name: 'acme' }, credentials };
}

interface Spec {
  current?: { clientId: string; cycleId: string };
  sent?: Partial<Record<NoticeKind, string>>;
  queued?: Partial<Record<NoticeKind, string>>;
  emergency?: EmergencyMark;
}

function assess(subject: ApicApp, store: Record<string, Spec>, emergency?: { credentials: string[]; graceHours: number; confirmRevoke: boolean }) {
  const stored = new Map<string, StoredCredentialState>(
    Object.entries(store).map(([base, spec]) => [
      base,
      {
        secretExists: true,
        ...(spec.current ? { current: { ...spec.current, versionId: 'v' } } : {}),
        ...(spec.emergency ? { emergency: spec.emergency } : {}),
        noticesSent: spec.sent ?? {},
        noticesPending: spec.queued ?? {},
      },
    ]),
  );
  const verifiedCurrent = new Map(
    Object.entries(store)
      .filter(([, spec]) => subject.credentials.some((c) => c.clientId === spec.current?.clientId))
      .map(([base]) => [base, true]),
  );
  return assessApp({ app: subject, store: stored, verifiedCurrent, now: NOW, settings: POLICY, ownerEmailKnown: true, ...(emergency && { emergency }) });
}

const kinds = (actions: readonly RotationAction[]) => actions.map((a) => (a.kind === 'queue-notice' ? `notice:${a.notice}` : a.kind));

describe('assessApp: emergency rotation (rotateNow)', () => {
  const young = credential('main', 2 * DAY_MS);
  const terms = { credentials: ['main'], graceHours: 6, confirmRevoke: false };

  it('replaces a named original whatever its age and queues an urgent notice due graceHours from now', () => {
    const result = assess(app(young, credential('other', 2 * DAY_MS)), {}, terms);
    expect(result.actions).toEqual([
      { kind: 'create-replacement', base: 'main', cycleId: 'id-main', original: { id: 'id-main', name: 'main', title: 'Title main', clientId: 'client-main' }, replacementName: 'main_new', replacementTitle: 'Title main_new', emergency: { graceHours: 6, confirmRevoke: false } },
      { kind: 'queue-notice', base: 'main', cycleId: 'id-main', notice: 'urgent-replacement', credentialName: 'main', dueDate: '2025-06-01T09:00Z', emergency: { graceHours: 6, confirmRevoke: false } },
    ]);
    expect(result.credentials.find((c) => c.name === 'main')?.nextAction).toBe('create-replacement (emergency)');
  });

  it('leaves unnamed young credentials alone', () => {
    expect(assess(app(young), {}, { ...terms, credentials: ['other'] }).actions).toEqual([]);
  });

  it('follows the free replacement name rule', () => {
    const result = assess(app(young, credential('main_new', DAY_MS, 'someone-else')), {}, terms);
    expect(result.actions[0]).toMatchObject({ kind: 'create-replacement', replacementName: 'main_new2' });
  });

  it('never replaces a foreign credential as the original of another base: a named `_new` is rotated as its own base', () => {
    const foreign = credential('main_new', DAY_MS, 'someone-else');
    const result = assess(app(young, foreign), {}, { ...terms, credentials: ['main_new'] });
    expect(result.actions[0]).toMatchObject({ kind: 'create-replacement', base: 'main_new', replacementName: 'main_new_new' });
    expect(result.actions.some((a) => a.kind === 'create-replacement' && a.base === 'main')).toBe(false);
  });

  describe('in flight', () => {
    const replacementOf = (ageMs: number) => credential('main_new', ageMs, 'client-new');
    const current = { clientId: 'client-new', cycleId: 'id-main' };
    const mark: EmergencyMark = { cycleId: 'id-main', graceHours: 6, confirmRevoke: false };

    it('keeps the original while the replacement is younger than graceHours (the recorded terms, no rotateNow needed)', () => {
      const result = assess(app(young, replacementOf(5 * HOUR_MS)), { main: { current, emergency: mark, sent: { 'urgent-replacement': 'id-main' } } });
      expect(result.actions).toEqual([]);
      expect(result.credentials[0]).toMatchObject({ stage: 'in-grace', nextActionDate: '2025-06-01' });
    });

    it('deletes the original once graceHours passed and the urgent notice was delivered', () => {
      const result = assess(app(young, replacementOf(7 * HOUR_MS)), { main: { current, emergency: mark, sent: { 'urgent-replacement': 'id-main' } } });
      expect(kinds(result.actions)).toEqual(['delete-original', 'notice:old-removed', 'rename-replacement']);
    });

    it('holds the deletion after graceHours when the urgent notice was not delivered', () => {
      const result = assess(app(young, replacementOf(7 * HOUR_MS)), { main: { current, emergency: mark, queued: { 'urgent-replacement': 'id-main' } } });
      expect(kinds(result.actions)).toEqual(['hold-deletion']);
    });

    it('with confirmRevoke deletes without a delivered announcement, queueing the urgent notice (and its terms) first', () => {
      const result = assess(app(young, replacementOf(HOUR_MS)), { main: { current } }, { credentials: ['main'], graceHours: 0, confirmRevoke: true });
      expect(kinds(result.actions)).toEqual(['notice:urgent-replacement', 'delete-original', 'notice:old-removed', 'rename-replacement']);
    });

    it('ignores recorded terms of another cycle: the ordinary grace in days applies', () => {
      const result = assess(app(young, replacementOf(7 * HOUR_MS)), {
        main: { current, emergency: { ...mark, cycleId: 'id-older' }, sent: { 'replacement-ready': 'id-main' } },
      });
      expect(result.actions).toEqual([]);
    });

    it('turns an ordinary cycle in grace into an emergency one when rotateNow names it', () => {
      const result = assess(app(credential('main', 95 * DAY_MS), replacementOf(2 * DAY_MS)), { main: { current, sent: { 'replacement-ready': 'id-main' } } }, terms);
      expect(kinds(result.actions)).toEqual(['notice:urgent-replacement', 'delete-original', 'notice:old-removed', 'rename-replacement']);
    });
  });
});
