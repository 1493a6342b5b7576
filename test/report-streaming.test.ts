/**
 * BuildReport at scale, through a report store that keeps the bytes in memory and records what a real bucket would
 * see: how many rows were read but not yet written out, the size and number of every uploaded part, and every
 * multipart upload's end. Sizes only: no timing (performance is `npm run bench`).
 */
import { describe, expect, it } from 'vitest';
import {
  REPORT_COLUMNS,
  UPLOAD_PART_BYTES,
  buildReport,
  parseJsonLines,
  partFileName,
  partsPrefix,
  reportKeys,
  type ReportFileKind,
  type ReportRow,
} from '../functions/domain/report';
import type { ReportStorePort, ReportUpload } from '../functions/domain/ports';

const RUN_DATE = '2026-11-23';
const MIB = 1024 * 1024;

interface UploadRecord {
  readonly key: string;
  readonly kind: ReportFileKind;
  readonly parts: Map<number, Buffer>;
  end?: 'completed' | 'aborted';
}

/** A report store in memory whose parts are generated on read, recording the facts the memory bound rests on. */
class RecordingStore implements ReportStorePort {
  readonly objects = new Map<string, Buffer>();
  readonly uploads: UploadRecord[] = [];
  /** Rows handed out by readPart, and the most of them at any read not yet uploaded in a sorted run. */
  rowsRead = 0;
  mostRowsNotWrittenOut = 0;
  /** Rows read back from sorted runs when the first CSV part went up. */
  runRowsReadAtFirstCsvPart?: number;
  private runRowsRead = 0;
  private runRowsUploaded = 0;
  failUploadPartAfter = Number.POSITIVE_INFINITY;
  private partUploads = 0;

  constructor(private readonly parts: ReadonlyMap<string, () => ReportRow[]>) {}

  putPart(): Promise<void> {
    return Promise.reject(new Error('BuildReport writes no part'));
  }

  async *listParts(): AsyncIterable<string> {
    yield* [...this.parts.keys()].sort();
  }

  readPart(key: string): Promise<ReportRow[]> {
    const rows = this.parts.get(key)?.() ?? [];
    this.rowsRead += rows.length;
    this.mostRowsNotWrittenOut = Math.max(this.mostRowsNotWrittenOut, this.rowsRead - this.runRowsUploaded);
    return Promise.resolve(rows);
  }

  async *readRows(key: string): AsyncIterable<ReportRow> {
    for (const row of parseJsonLines(this.objects.get(key)?.toString('utf8') ?? '')) {
      this.runRowsRead += 1;
      yield row;
    }
  }

  startUpload(key: string, kind: ReportFileKind): Promise<ReportUpload> {
    const record: UploadRecord = { key, kind, parts: new Map() };
    this.uploads.push(record);
    return Promise.resolve({
      uploadPart: (partNumber, body) => {
        this.partUploads += 1;
        if (this.partUploads > this.failUploadPartAfter) return Promise.reject(new Error('UploadPart failed'));
        if (kind === 'csv' && this.runRowsReadAtFirstCsvPart === undefined) this.runRowsReadAtFirstCsvPart = this.runRowsRead;
        record.parts.set(partNumber, Buffer.from(body));
        if (kind === 'jsonLines') this.runRowsUploaded += Buffer.from(body).toString('utf8').split('\n').length - 1;
        return Promise.resolve();
      },
      complete: () => {
        const numbers = [...record.parts.keys()].sort((a, b) => a - b);
        this.objects.set(key, Buffer.concat(numbers.map((number) => record.parts.get(number) as Buffer)));
        record.end = 'completed';
        return Promise.resolve();
      },
      abort: () => {
        record.end = 'aborted';
        return Promise.resolve();
      },
    });
  }

  putFile(key: string, _kind: ReportFileKind, body: string): Promise<void> {
    this.objects.set(key, Buffer.from(body, 'utf8'));
    return Promise.resolve();
  }

  text(key: string): string {
    return this.objects.get(key)?.toString('utf8') ?? '';
  }
}

function row(index: number, overrides: Partial<ReportRow> = {}): ReportRow {
  // Consumer orgs spread over every part, so the order of the report is not the order of the parts.
  const org = `org-${String((index * 7_919) % 5_000).padStart(4, '0')}`;
  return {
    providerOrg: 'acme',
    catalog: 'prod',
    consumerOrg: org,
    ownerEmail: '',
    app: `app-${index % 3}`,
    credential: `cred-${index}`,
    role: 'original',
    clientId: `client-${index}`,
    createdAt: '2026-01-01T00:00:00.000Z',
    ageDays: index % 400,
    stage: index % 10 === 0 ? 'blocked' : 'active',
    action: '',
    nextAction: index % 10 === 1 ? 'warn' : '',
    nextActionDate: index % 10 === 1 ? '2026-12-01' : '',
    ...overrides,
  };
}

/** `partCount` parts of `rowsPerPart` generated rows each, keyed as the steps key them. */
function generatedParts(runId: string, partCount: number, rowsPerPart: number): Map<string, () => ReportRow[]> {
  return new Map(
    Array.from({ length: partCount }, (_, part) => [
      `${partsPrefix(runId)}${partFileName(`scan/0/${part}`)}`,
      () => Array.from({ length: rowsPerPart }, (_, offset) => row(part * rowsPerPart + offset)),
    ]),
  );
}

const identity = (line: string): string[] => line.split(',').slice(0, 6);

describe('BuildReport at scale', () => {
  it('builds a 200,000-row report holding at most one sorted run of rows, in parts of 5 MiB through multipart uploads', { timeout: 120_000 }, async () => {
    const runId = 'run-large';
    const store = new RecordingStore(generatedParts(runId, 400, 500));

    const built = await buildReport(store, { runId, runDate: RUN_DATE, dryRun: false, owners: new Map(), sortRunRows: 20_000 });

    expect(built.rowCount).toBe(200_000);
    // Never all rows at once: at most a run of 20,000 and the parts read ahead (8 of 500) were waiting to be written.
    expect(store.rowsRead).toBe(200_000);
    expect(store.mostRowsNotWrittenOut).toBeLessThanOrEqual(20_000 + 8 * 500);
    // The CSV streamed out while the merge was still reading the runs back.
    expect(store.runRowsReadAtFirstCsvPart).toBeGreaterThan(0);
    expect(store.runRowsReadAtFirstCsvPart).toBeLessThan(100_000);

    const keys = reportKeys(runId, RUN_DATE);
    const uploads = new Map(store.uploads.map((upload) => [upload.key, upload]));
    for (const key of [keys.csvKey, keys.jsonKey]) {
      const upload = uploads.get(key);
      const sizes = [...(upload?.parts ?? new Map<number, Buffer>())].sort(([a], [b]) => a - b).map(([number, body]) => [number, body.length] as const);
      expect(upload?.end).toBe('completed');
      expect(sizes.length).toBeGreaterThan(2);
      expect(sizes.map(([number]) => number)).toEqual(sizes.map((_, index) => index + 1));
      // S3's rule (every part but the last at least 5 MiB) and the memory bound (no part much larger).
      expect(sizes.slice(0, -1).every(([, size]) => size >= UPLOAD_PART_BYTES)).toBe(true);
      expect(Math.max(...sizes.map(([, size]) => size))).toBeLessThan(UPLOAD_PART_BYTES + MIB);
    }
    expect(store.uploads.every((upload) => upload.end === 'completed')).toBe(true);
    expect(store.uploads.filter((upload) => upload.kind === 'jsonLines')).toHaveLength(10);

    const lines = store.text(keys.csvKey).split('\r\n');
    expect(lines[0]).toBe(REPORT_COLUMNS.join(','));
    expect(lines.slice(1, -1)).toHaveLength(200_000);
    const outOfOrder = lines.slice(2, -1).findIndex((line, index) => identity(lines[index + 1] ?? '').join('\u0000') >= identity(line).join('\u0000'));
    expect(outOfOrder).toBe(-1);
    const json = store.text(keys.jsonKey);
    expect(json.startsWith(`{"run":{"runId":"${runId}","runDate":"${RUN_DATE}","dryRun":false,"rowCount":200000},\n"rows":[\n`)).toBe(true);
    expect(JSON.parse(json).rows).toHaveLength(200_000);

    // The page stays small: 20,000 blocked rows and 20,000 due ones are counted, and the first 1,000 of each listed.
    const html = store.text(keys.htmlKey);
    expect(html.length).toBeLessThan(5 * MIB);
    expect(html).toContain('<h2>Needs a person (20000)</h2>');
    expect(html).toContain('<h2>Next 30 days (20000)</h2>');
    expect(html.match(/The first 1000 of 20000 are listed; report.csv has them all./g)).toHaveLength(2);
  });

  it('writes the same bytes whatever the run size, merging runs in rounds when there are more than 31', async () => {
    const runId = 'run-rounds';
    const parts = generatedParts(runId, 40, 10);
    // Copies across parts: the one with an action wins, else the first in part key order.
    parts.set(`${partsPrefix(runId)}${partFileName('z/late')}`, () => [row(5, { action: 'create-replacement' }), row(17, { ageDays: 999 })]);
    const inMemory = new RecordingStore(parts);
    const spilled = new RecordingStore(parts);

    const expected = await buildReport(inMemory, { runId, runDate: RUN_DATE, dryRun: true, owners: new Map(), listRowsWithAction: 5 });
    const built = await buildReport(spilled, { runId, runDate: RUN_DATE, dryRun: true, owners: new Map(), listRowsWithAction: 5, sortRunRows: 7 });

    expect(inMemory.uploads.filter((upload) => upload.kind === 'jsonLines')).toHaveLength(0);
    const runKeys = spilled.uploads.filter((upload) => upload.kind === 'jsonLines').map((upload) => upload.key.split('/').pop());
    expect(runKeys.filter((key) => key?.startsWith('01-'))).toHaveLength(2);
    expect(built).toEqual(expected);
    expect(built.manifest).toMatchObject({ rowCount: 400, duplicateRowsDropped: 2 });
    expect(built.firstRowsWithAction.map((entry) => entry.credential)).toEqual(['cred-5']);
    const keys = reportKeys(runId, RUN_DATE);
    for (const key of [keys.csvKey, keys.jsonKey, keys.htmlKey, keys.manifestKey]) expect(spilled.text(key)).toBe(inMemory.text(key));
    const rows: ReportRow[] = JSON.parse(spilled.text(keys.jsonKey)).rows;
    expect(rows.find((entry) => entry.credential === 'cred-17')?.ageDays).toBe(17);
  });

  it('aborts every upload it started when one fails, and a retry writes the whole report', async () => {
    const runId = 'run-retried';
    const store = new RecordingStore(generatedParts(runId, 100, 500));
    store.failUploadPartAfter = 6;

    await expect(buildReport(store, { runId, runDate: RUN_DATE, dryRun: false, owners: new Map(), sortRunRows: 20_000 })).rejects.toThrow('UploadPart failed');
    const keys = reportKeys(runId, RUN_DATE);
    expect(store.uploads.length).toBeGreaterThan(0);
    expect(store.uploads.filter((upload) => upload.end === undefined)).toEqual([]);
    expect(store.uploads.some((upload) => upload.end === 'aborted')).toBe(true);
    expect(store.objects.has(keys.manifestKey)).toBe(false);

    store.failUploadPartAfter = Number.POSITIVE_INFINITY;
    const retried = await buildReport(store, { runId, runDate: RUN_DATE, dryRun: false, owners: new Map(), sortRunRows: 20_000 });
    expect(retried.rowCount).toBe(50_000);
    expect(store.text(keys.csvKey).split('\r\n')).toHaveLength(50_002);
    expect(JSON.parse(store.text(keys.manifestKey))).toMatchObject({ rowCount: 50_000 });
  });
});
