import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ReportStore } from '../functions/adapters';
import { REPORT_COLUMNS, buildReport, partFileName, partsPrefix, reportKeys, type ReportRow } from '../functions/domain/report';
import { startS3Emulator, type S3Emulator } from '../tools/emulators/s3/emulator';

const BUCKET = 'rotator-reports';
const RUN_DATE = '2026-11-23';
let emulator: S3Emulator;
let client: S3Client;
let store: S3ReportStore;

function row(location: string, credential: string, overrides: Partial<ReportRow> = {}): ReportRow {
  const [providerOrg = '', catalog = '', consumerOrg = '', app = ''] = location.split('/');
  return {
    providerOrg,
    catalog,
    consumerOrg,
    ownerEmail: '',
    app,
    credential,
    role: 'original',
    clientId: `id-${credential}`,
    createdAt: '2026-01-01T00:00:00.000Z',
    ageDays: 326,
    stage: 'active',
    action: '',
    nextAction: '',
    nextActionDate: '',
    ...overrides,
  };
}

function body(key: string): string | undefined {
  return emulator.objects(BUCKET).find((object) => object.key === key)?.body;
}

beforeAll(async () => {
  emulator = await startS3Emulator();
  emulator.createBucket(BUCKET);
  client = new S3Client({ region: 'eu-west-1', endpoint: emulator.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  store = new S3ReportStore(client, { bucket: BUCKET });
});

afterAll(async () => {
  client.destroy();
  await emulator.close();
});

describe('buildReport', () => {
  it('joins owners, orders the rows and writes the CSV, the JSON and the manifest', async () => {
    const runId = 'run-known';
    // Written out of order, with one credential listed by a scan part and again, with its action, by its app's part.
    await store.putPart(runId, 'scan/1/0', [row('globex/test/alpha/app1', 'k', { stage: 'exempt' })]);
    await store.putPart(runId, 'app/acme/prod/zeta/=evil', [
      row('acme/prod/zeta/=evil', '=cmd', { stage: 'due', action: 'create-replacement+queue-notice:replacement-ready', nextAction: 'create-replacement', nextActionDate: '2026-11-23' }),
    ]);
    await store.putPart(runId, 'app/acme/prod/bank/payments', [
      row('acme/prod/bank/payments', 'main_new', { role: 'replacement', ageDays: 30, stage: 'completing', action: 'rename-replacement', nextAction: 'rename-replacement', nextActionDate: '2026-11-23' }),
      row('acme/prod/bank/payments', 'main', { stage: 'completing', action: 'delete-original+queue-notice:old-removed', nextAction: 'delete-original', nextActionDate: '2026-11-23' }),
    ]);
    await store.putPart(runId, 'scan/0/0', [
      row('acme/prod/bank/payments', 'other', { ageDays: 3, nextAction: 'warn', nextActionDate: '2027-08-01' }),
      row('acme/prod/bank/payments', 'main', { stage: 'completing' }),
    ]);
    const owners = new Map([
      ['acme/prod/bank', 'ops@bank.example'],
      ['globex/test/alpha', 'owner@alpha.example'],
    ]);

    const result = await buildReport(store, {
      runId,
      runDate: RUN_DATE,
      dryRun: true,
      owners,
      summary: { runId: 'ignored', pages: 2, appsScanned: 3, failures: [] },
    });

    const keys = reportKeys(runId, RUN_DATE);
    const partKeys = ['app/acme/prod/bank/payments', 'app/acme/prod/zeta/=evil', 'scan/0/0', 'scan/1/0']
      .map((name) => `${partsPrefix(runId)}${partFileName(name)}`)
      .sort();
    expect(result.keys).toEqual(keys);
    expect(result.rowCount).toBe(5);

    expect(body(keys.csvKey)).toBe(
      `${REPORT_COLUMNS.join(',')}\r\n` +
        'acme,prod,bank,ops@bank.example,payments,main,original,id-main,2026-01-01T00:00:00.000Z,326,completing,delete-original+queue-notice:old-removed,delete-original,2026-11-23\r\n' +
        'acme,prod,bank,ops@bank.example,payments,main_new,replacement,id-main_new,2026-01-01T00:00:00.000Z,30,completing,rename-replacement,rename-replacement,2026-11-23\r\n' +
        'acme,prod,bank,ops@bank.example,payments,other,original,id-other,2026-01-01T00:00:00.000Z,3,active,,warn,2027-08-01\r\n' +
        "acme,prod,zeta,,'=evil,'=cmd,original,id-=cmd,2026-01-01T00:00:00.000Z,326,due,create-replacement+queue-notice:replacement-ready,create-replacement,2026-11-23\r\n" +
        'globex,test,alpha,owner@alpha.example,app1,k,original,id-k,2026-01-01T00:00:00.000Z,326,exempt,,,\r\n',
    );

    const expectedRows: ReportRow[] = [
      row('acme/prod/bank/payments', 'main', { ownerEmail: 'ops@bank.example', stage: 'completing', action: 'delete-original+queue-notice:old-removed', nextAction: 'delete-original', nextActionDate: '2026-11-23' }),
      row('acme/prod/bank/payments', 'main_new', { ownerEmail: 'ops@bank.example', role: 'replacement', ageDays: 30, stage: 'completing', action: 'rename-replacement', nextAction: 'rename-replacement', nextActionDate: '2026-11-23' }),
      row('acme/prod/bank/payments', 'other', { ownerEmail: 'ops@bank.example', ageDays: 3, nextAction: 'warn', nextActionDate: '2027-08-01' }),
      row('acme/prod/zeta/=evil', '=cmd', { stage: 'due', action: 'create-replacement+queue-notice:replacement-ready', nextAction: 'create-replacement', nextActionDate: '2026-11-23' }),
      row('globex/test/alpha/app1', 'k', { ownerEmail: 'owner@alpha.example', stage: 'exempt' }),
    ];
    const json = body(keys.jsonKey) ?? '';
    expect(JSON.parse(json)).toEqual({
      run: { runId, runDate: RUN_DATE, dryRun: true, rowCount: 5, pages: 2, appsScanned: 3, failures: [] },
      rows: expectedRows,
    });
    // One row per line, so the file can be read with line tools too.
    expect(json.split('\n').slice(2)).toEqual([...expectedRows.map((entry, index) => JSON.stringify(entry) + (index < 4 ? ',' : '')), ']}', '']);

    const manifest = {
      runId,
      runDate: RUN_DATE,
      dryRun: true,
      rowCount: 5,
      rowsWithoutOwner: 1,
      duplicateRowsDropped: 1,
      stages: { active: 1, completing: 2, due: 1, exempt: 1 },
      actions: {
        'create-replacement': 1,
        'delete-original': 1,
        'queue-notice:old-removed': 1,
        'queue-notice:replacement-ready': 1,
        'rename-replacement': 1,
      },
      parts: partKeys,
    };
    expect(JSON.parse(body(keys.manifestKey) ?? '')).toEqual(manifest);
    expect(Object.keys(JSON.parse(body(keys.manifestKey) ?? '').stages)).toEqual(['active', 'completing', 'due', 'exempt']);
    expect(result.manifest).toEqual(manifest);
  });

  it('keeps the first of two action-less copies of a row, in part key order', async () => {
    const runId = 'run-duplicates';
    await store.putPart(runId, 'b', [row('acme/prod/bank/app', 'main', { ageDays: 2 })]);
    await store.putPart(runId, 'a', [row('acme/prod/bank/app', 'main', { ageDays: 1 })]);

    const result = await buildReport(store, { runId, runDate: RUN_DATE, dryRun: false, owners: new Map() });

    expect(result.manifest).toMatchObject({ rowCount: 1, duplicateRowsDropped: 1 });
    const json = JSON.parse(body(result.keys.jsonKey) ?? '');
    expect(json.rows.map((entry: ReportRow) => entry.ageDays)).toEqual([1]);
  });

  it('writes an empty report for a run without parts', async () => {
    const runId = 'run-empty';
    const result = await buildReport(store, { runId, runDate: RUN_DATE, dryRun: false, owners: new Map() });

    expect(result.rowCount).toBe(0);
    expect(body(result.keys.csvKey)).toBe(`${REPORT_COLUMNS.join(',')}\r\n`);
    expect(body(result.keys.jsonKey)).toBe(`{"run":{"runId":"run-empty","runDate":"${RUN_DATE}","dryRun":false,"rowCount":0},\n"rows":[]}\n`);
    expect(result.manifest).toEqual({
      runId,
      runDate: RUN_DATE,
      dryRun: false,
      rowCount: 0,
      rowsWithoutOwner: 0,
      duplicateRowsDropped: 0,
      stages: {},
      actions: {},
      parts: [],
    });
  });

  it('reads many parts and keeps every row', async () => {
    const runId = 'run-many';
    await Promise.all(
      Array.from({ length: 40 }, (_, index) => store.putPart(runId, `app-${index}`, [row(`acme/prod/org/app-${String(index).padStart(2, '0')}`, 'main')])),
    );

    const result = await buildReport(store, { runId, runDate: RUN_DATE, dryRun: false, owners: new Map([['acme/prod/org', 'o@example.com']]) });

    expect(result.rowCount).toBe(40);
    expect(result.manifest.parts).toHaveLength(40);
    const rows: ReportRow[] = JSON.parse(body(result.keys.jsonKey) ?? '').rows;
    expect(rows.map((entry) => entry.app)).toEqual(Array.from({ length: 40 }, (_, index) => `app-${String(index).padStart(2, '0')}`));
    expect(rows.every((entry) => entry.ownerEmail === 'o@example.com')).toBe(true);
  });

  it('writes nothing when a part cannot be read', async () => {
    const runId = 'run-broken';
    await store.putPart(runId, 'fine', [row('acme/prod/bank/app', 'main')]);
    const failing = {
      listParts: (id: string) => store.listParts(id),
      readPart: () => Promise.reject(new Error('read failed')),
      putPart: () => Promise.reject(new Error('unexpected putPart')),
      readRows: (key: string) => store.readRows(key),
      startUpload: () => Promise.reject(new Error('unexpected startUpload')),
      putFile: () => Promise.reject(new Error('unexpected putFile')),
    };

    await expect(buildReport(failing, { runId, runDate: RUN_DATE, dryRun: false, owners: new Map() })).rejects.toThrow('read failed');
    expect(emulator.objects(BUCKET).filter((object) => object.key.startsWith(`reports/${RUN_DATE}/${runId}/`))).toEqual([]);
  });
});
