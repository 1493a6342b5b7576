import { describe, expect, it } from 'vitest';
import type { ApicApp, ApicCredential, CatalogTarget } from '../functions/domain/model';
import { assessApp, type PolicySettings } from '../functions/domain/policy';
import type { StoredCredentialState } from '../functions/domain/ports';
import { postRunReportRows, type ReportRow } from '../functions/domain/report';
import { assessApp as assessAppStep, type AssessDeps } from '../functions/domain/workflow/assess';
import type { RunContext } from '../functions/domain/workflow/types';

const TARGET: CatalogTarget = { providerOrg: 'acme', catalog: 'prod' };
const SETTINGS: PolicySettings = { expiryDays: 90, deletionDays: 120, warnDays: 14, replacementSuffix: '_new' };
const NOW = new Date('2026-06-01T12:00:00.000Z');

function credential(id: string, name: string, createdAt: string, clientId = `client-${id}`): ApicCredential {
  return { id, name, title: name.toUpperCase(), clientId, createdAt };
}

function app(credentials: ApicCredential[]): ApicApp {
  return { id: 'app-id', name: 'payments', title: 'Payments', consumerOrg: { id: 'org-id', name: 'bank' }, credentials };
}

function rowsOf(apicApp: ApicApp, store = new Map<string, StoredCredentialState>(), verified = new Map<string, boolean>()): ReportRow[] {
  const assessment = assessApp({ app: apicApp, store, verifiedCurrent: verified, now: NOW, settings: SETTINGS, ownerEmailKnown: true });
  return postRunReportRows({ target: TARGET, app: apicApp, assessment, now: NOW, settings: SETTINGS });
}

const brief = (rows: ReportRow[]) =>
  rows.map(({ credential: name, role, ageDays, stage, action, nextAction, nextActionDate, clientId }) => ({
    name,
    role,
    ageDays,
    stage,
    action,
    nextAction,
    nextActionDate,
    clientId,
  }));

describe('postRunReportRows', () => {
  it('after creating a replacement: the original waits for deletion after the grace and the replacement has a row', () => {
    const rows = rowsOf(app([credential('c1', 'main', '2026-02-01T00:00:00.000Z')]));
    expect(brief(rows)).toEqual([
      {
        name: 'main',
        role: 'original',
        ageDays: 120,
        stage: 'in-grace',
        action: 'create-replacement+queue-notice:replacement-ready',
        nextAction: 'delete-original',
        nextActionDate: '2026-07-01',
        clientId: 'client-c1',
      },
      {
        name: 'main_new',
        role: 'replacement',
        ageDays: 0,
        stage: 'in-grace',
        action: 'create-replacement',
        nextAction: 'delete-original',
        nextActionDate: '2026-07-01',
        clientId: '',
      },
    ]);
    expect(rows[1]?.createdAt).toBe(NOW.toISOString());
    // Nothing is left due on the run's own date.
    expect(rows.filter((row) => row.nextActionDate === '2026-06-01')).toEqual([]);
  });

  it('after deleting the original: its row is gone and the replacement is shown renamed, as an active original', () => {
    const original = credential('c1', 'main', '2026-01-01T00:00:00.000Z');
    const replacement = credential('c2', 'main_new', '2026-04-01T00:00:00.000Z');
    const store = new Map<string, StoredCredentialState>([
      [
        'main',
        {
          secretExists: true,
          current: { clientId: 'client-c2', cycleId: 'c1', versionId: 'v1' },
          noticesSent: { 'replacement-ready': 'c1' },
          noticesPending: {},
        },
      ],
    ]);
    const rows = rowsOf(app([original, replacement]), store, new Map([['main', true]]));
    expect(rows.map((row) => row.credential)).toEqual(['main']);
    const [renamed] = rows;
    expect(renamed?.clientId).toBe('client-c2');
    expect(renamed?.role).toBe('original');
    expect(renamed?.stage).toBe('active');
    expect(renamed?.action.split('+')).toEqual(expect.arrayContaining(['delete-original', 'rename-replacement']));
    expect(renamed?.nextAction).toBe('warn');
    expect(renamed?.nextActionDate).toBe('2026-06-16');
  });

  it('leaves quiet credentials as they are', () => {
    const rows = rowsOf(app([credential('c1', 'main', '2026-05-01T00:00:00.000Z')]));
    expect(brief(rows)).toEqual([
      { name: 'main', role: 'original', ageDays: 31, stage: 'active', action: '', nextAction: 'warn', nextActionDate: '2026-07-16', clientId: 'client-c1' },
    ]);
  });

  it('after repairing a finished credential whose secret a person reset (a verification day): it stays active, nothing is to be deleted', () => {
    // The cycle of c0 finished: main (c2) is the renamed replacement and holds AWSCURRENT, which APIC now refuses.
    const finished = credential('c2', 'main', '2026-05-01T00:00:00.000Z');
    const store = new Map<string, StoredCredentialState>([
      ['main', { secretExists: true, current: { clientId: 'client-c2', cycleId: 'c0', versionId: 'v1' }, noticesSent: {}, noticesPending: {} }],
    ]);
    const rows = rowsOf(app([finished]), store, new Map([['main', false]]));
    expect(brief(rows)).toEqual([
      {
        name: 'main',
        role: 'original',
        ageDays: 31,
        stage: 'active',
        action: 'repair-replacement',
        nextAction: 'warn',
        nextActionDate: '2026-07-16',
        clientId: 'client-c2',
      },
    ]);
  });
});

describe('AssessApp', () => {
  it('writes the app part as the run leaves it: the due original in grace and its replacement listed', async () => {
    const apicApp = app([credential('c1', 'main', '2026-02-01T00:00:00.000Z')]);
    const parts: ReportRow[][] = [];
    const deps = {
      apic: {
        getApp: () => Promise.resolve(apicApp),
        verifyClientSecret: () => Promise.resolve(true),
        getConsumerOrg: () => Promise.resolve({ id: 'org-id', name: 'bank', ownerEmail: 'ops@bank.example' }),
      },
      store: {
        secretName: (locator: { credential: string }) => `apic-rotator/acme/prod/bank/payments/${locator.credential}`,
        describe: () => Promise.resolve({ secretExists: false, noticesSent: {}, noticesPending: {} }),
        readCurrent: () => Promise.resolve(undefined),
        storedCredentialBases: () => Promise.resolve([]),
      },
      reports: {
        putPart: (_runId: string, _name: string, rows: readonly ReportRow[]) => {
          parts.push([...rows]);
          return Promise.resolve();
        },
      },
    } as unknown as AssessDeps;
    const run = {
      runId: 'run-1',
      now: NOW.toISOString(),
      dryRun: true,
      trigger: 'test',
      targets: [TARGET],
      policy: { expiryDays: 90, deletionDays: 120, warnDays: 14, replacementSuffix: '_new' },
      consumerOrgOverrides: {},
      filter: {},
      pageSize: 100,
    } as RunContext;
    await assessAppStep(deps, run, { targetIndex: 0, consumerOrg: 'bank', app: 'payments' });
    expect(parts.flat().map((row) => [row.credential, row.stage, row.nextAction, row.nextActionDate])).toEqual([
      ['main', 'in-grace', 'delete-original', '2026-07-01'],
      ['main_new', 'in-grace', 'delete-original', '2026-07-01'],
    ]);
  });
});
