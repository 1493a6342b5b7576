import { describe, expect, it } from 'vitest';
import type { ApicApp, ApicCredential, CatalogTarget } from '../functions/domain/model';
import type { AppAssessment, CredentialAssessment, CredentialRef, RotationAction } from '../functions/domain/policy';
import { REPORT_COLUMNS, ownerKey, quietAppRows, reportRows, toCsv, toJsonLines } from '../functions/domain/report';

const TARGET: CatalogTarget = { providerOrg: 'acme', catalog: 'prod' };

function credential(id: string, name: string, createdAt = '2026-01-01T00:00:00.000Z'): ApicCredential {
  return { id, name, title: name.toUpperCase(), clientId: `client-${id}`, createdAt };
}

function refOf(c: ApicCredential): CredentialRef {
  return { id: c.id, name: c.name, title: c.title, clientId: c.clientId };
}

function assessed(c: ApicCredential, overrides: Partial<CredentialAssessment> = {}): CredentialAssessment {
  return { credentialId: c.id, name: c.name, baseName: c.name, role: 'original', ageDays: 30, stage: 'active', ...overrides };
}

function appWith(credentials: ApicCredential[]): ApicApp {
  return { id: 'app-id', name: 'payments', title: 'Payments', consumerOrg: { id: 'org-id', name: 'bank' }, credentials };
}

const original = credential('c1', 'main');
const replacement = credential('c2', 'main_new', '2026-03-01T00:00:00.000Z');
const bystander = credential('c3', 'other');
const app = appWith([original, replacement, bystander]);
const inFlight: CredentialAssessment[] = [
  assessed(original, { stage: 'completing', ageDays: 120 }),
  assessed(replacement, { baseName: 'main', role: 'replacement', stage: 'completing', ageDays: 60 }),
  assessed(bystander),
];

function actionsOf(actions: RotationAction[], credentials = inFlight): Record<string, string> {
  const rows = reportRows({ target: TARGET, app, assessment: { actions, credentials } });
  return Object.fromEntries(rows.map((row) => [row.credential, row.action]));
}

const notice = (kind: 'warn' | 'replacement-ready' | 'old-removed' | 'action-needed', credentialName: string, base = 'main'): RotationAction => ({
  kind: 'queue-notice',
  base,
  cycleId: 'c1',
  notice: kind,
  credentialName,
});

describe('reportRows', () => {
  it('builds one row per assessed credential with its app, client id, dates and plan', () => {
    const assessment: AppAssessment = {
      actions: [],
      credentials: [assessed(original, { nextAction: 'warn', nextActionDate: '2026-03-02' }), assessed(bystander)],
    };
    expect(reportRows({ target: TARGET, app, assessment })).toEqual([
      {
        providerOrg: 'acme',
        catalog: 'prod',
        consumerOrg: 'bank',
        ownerEmail: '',
        app: 'payments',
        credential: 'main',
        role: 'original',
        clientId: 'client-c1',
        createdAt: '2026-01-01T00:00:00.000Z',
        ageDays: 30,
        stage: 'active',
        action: '',
        nextAction: 'warn',
        nextActionDate: '2026-03-02',
      },
      {
        providerOrg: 'acme',
        catalog: 'prod',
        consumerOrg: 'bank',
        ownerEmail: '',
        app: 'payments',
        credential: 'other',
        role: 'original',
        clientId: 'client-c3',
        createdAt: '2026-01-01T00:00:00.000Z',
        ageDays: 30,
        stage: 'active',
        action: '',
        nextAction: '',
        nextActionDate: '',
      },
    ]);
  });

  it('puts create-replacement on the original', () => {
    const action: RotationAction = {
      kind: 'create-replacement',
      base: 'main',
      cycleId: 'c1',
      original: refOf(original),
      replacementName: 'main_new',
      replacementTitle: 'MAIN_new',
    };
    expect(actionsOf([action])).toEqual({ main: 'create-replacement', main_new: '', other: '' });
  });

  it.each(['finish-replacement', 'repair-replacement'] as const)('puts %s on the replacement', (kind) => {
    expect(actionsOf([{ kind, base: 'main', cycleId: 'c1', replacement: refOf(replacement) }])).toEqual({ main: '', main_new: kind, other: '' });
  });

  it('puts rename-replacement on the replacement and delete-original on the original', () => {
    const actions: RotationAction[] = [
      { kind: 'delete-original', base: 'main', cycleId: 'c1', original: refOf(original), replacement: refOf(replacement) },
      { kind: 'rename-replacement', base: 'main', cycleId: 'c1', replacement: refOf(replacement), name: 'main', title: 'MAIN' },
    ];
    expect(actionsOf(actions)).toEqual({ main: 'delete-original', main_new: 'rename-replacement', other: '' });
  });

  it.each(['warn', 'replacement-ready', 'old-removed', 'action-needed'] as const)('puts a %s notice on the credential it names', (kind) => {
    expect(actionsOf([notice(kind, 'main_new')])).toEqual({ main: '', main_new: `queue-notice:${kind}`, other: '' });
  });

  it('joins several actions of one credential with + in plan order, each once', () => {
    const actions: RotationAction[] = [
      { kind: 'delete-original', base: 'main', cycleId: 'c1', original: refOf(original), replacement: refOf(replacement) },
      notice('old-removed', 'main'),
      notice('old-removed', 'main'),
      { kind: 'rename-replacement', base: 'main', cycleId: 'c1', replacement: refOf(replacement), name: 'main', title: 'MAIN' },
    ];
    expect(actionsOf(actions)).toEqual({ main: 'delete-original+queue-notice:old-removed', main_new: 'rename-replacement', other: '' });
  });

  it('puts a notice naming a credential that is gone on the credentials of its base (an orphaned replacement)', () => {
    const orphan = [assessed(replacement, { baseName: 'main', role: 'replacement', stage: 'completing' }), assessed(bystander)];
    const actions: RotationAction[] = [
      notice('old-removed', 'main'),
      { kind: 'rename-replacement', base: 'main', cycleId: 'c1', replacement: refOf(replacement), name: 'main', title: 'MAIN' },
    ];
    expect(actionsOf(actions, orphan)).toEqual({ main_new: 'queue-notice:old-removed+rename-replacement', other: '' });
  });

  it('gives an app without assessed credentials no rows', () => {
    expect(reportRows({ target: TARGET, app: appWith([]), assessment: { actions: [], credentials: [] } })).toEqual([]);
  });

  it('never carries a secret-like field of its inputs into the rows, the CSV or the JSON Lines', () => {
    const secret = 'sup3r-s3cret-value';
    const leaky = { ...original, clientSecret: secret, client_secret: secret, password: secret } as ApicCredential;
    const leakyApp = { ...appWith([leaky]), clientSecret: secret } as ApicApp;
    const leakyAssessed = { ...assessed(leaky), clientSecret: secret } as CredentialAssessment;
    const rows = reportRows({ target: { ...TARGET, secret } as CatalogTarget, app: leakyApp, assessment: { actions: [], credentials: [leakyAssessed] } });

    expect(rows).toHaveLength(1);
    expect(Object.keys(rows[0] ?? {})).toEqual([...REPORT_COLUMNS]);
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(toCsv(rows)).not.toContain(secret);
    expect(toJsonLines(rows)).not.toContain(secret);
  });
});

describe('quietAppRows', () => {
  const settings = { expiryDays: 90, deletionDays: 120, warnDays: 14, replacementSuffix: '_new' };
  const now = new Date('2026-02-01T12:00:00.000Z');

  it('reports an app needing no attention from APIC data alone, with the next step and its date', () => {
    const rows = quietAppRows({ target: TARGET, app: appWith([original, bystander]), now, settings });
    expect(rows.map(({ credential, stage, ageDays, action, nextAction, nextActionDate }) => ({ credential, stage, ageDays, action, nextAction, nextActionDate }))).toEqual([
      { credential: 'main', stage: 'active', ageDays: 31, action: '', nextAction: 'warn', nextActionDate: '2026-03-18' },
      { credential: 'other', stage: 'active', ageDays: 31, action: '', nextAction: 'warn', nextActionDate: '2026-03-18' },
    ]);
  });

  it('reports every credential of an exempt consumer org as exempt', () => {
    const rows = quietAppRows({ target: TARGET, app: appWith([original, replacement]), now, settings: { exempt: true } });
    expect(rows.map((entry) => [entry.credential, entry.stage, entry.nextAction])).toEqual([
      ['main', 'exempt', ''],
      ['main_new', 'exempt', ''],
    ]);
  });

  it('refuses an app that needs attention, whose plan depends on the secret store', () => {
    expect(() => quietAppRows({ target: TARGET, app: appWith([original, replacement]), now, settings })).toThrow(
      'app bank/payments needs attention: report it from its full assessment',
    );
  });
});

describe('ownerKey', () => {
  it('joins provider org, catalog and consumer org with /', () => {
    expect(ownerKey({ providerOrg: 'acme', catalog: 'prod', consumerOrg: 'bank' })).toBe('acme/prod/bank');
  });
});
