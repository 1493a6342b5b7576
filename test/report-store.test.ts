import { ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ReportFormatError,
  encodeKeySegment,
  partFileName,
  partsPrefix,
  reportKeys,
  type ReportRow,
} from '../functions/domain/report';
import { ReportStoreError, S3ReportStore } from '../functions/adapters';
import { MIN_PART_BYTES, startS3Emulator, type S3Emulator } from '../tools/emulators/s3/emulator';

const BUCKET = 'rotator-reports';
let emulator: S3Emulator;
let client: S3Client;
let store: S3ReportStore;
let serial = 0;

function freshRunId(): string {
  serial += 1;
  return `run-${serial}`;
}

function row(credential: string, overrides: Partial<ReportRow> = {}): ReportRow {
  return {
    providerOrg: 'acme',
    catalog: 'prod',
    consumerOrg: 'bank',
    ownerEmail: '',
    app: 'payments',
    credential,
    role: 'original',
    clientId: `client-${credential}`,
    createdAt: '2026-01-01T00:00:00.000Z',
    ageDays: 12,
    stage: 'active',
    action: '',
    nextAction: '',
    nextActionDate: '',
    ...overrides,
  };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = [];
  for await (const item of items) result.push(item);
  return result;
}

beforeAll(async () => {
  emulator = await startS3Emulator();
  emulator.createBucket(BUCKET);
  client = new S3Client({
    region: 'eu-west-1',
    endpoint: emulator.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  store = new S3ReportStore(client, { bucket: BUCKET });
});

afterAll(async () => {
  client.destroy();
  await emulator.close();
});

describe('report keys', () => {
  it('keeps letters, digits and - in a key segment and encodes every other UTF-8 byte as _XX', () => {
    expect(encodeKeySegment('run-2026-11-23')).toBe('run-2026-11-23');
    expect(encodeKeySegment('a_b.c/ü')).toBe('a_5Fb_2Ec_2F_C3_BC');
    expect(encodeKeySegment('..')).toBe('_2E_2E');
  });

  it('names a part by a readable slug and a hash of the full name, bounded in length', () => {
    expect(partFileName('scan/0/100')).toMatch(/^scan_0_100-[0-9a-f]{20}\.jsonl$/);
    expect(partFileName('app a/b')).not.toBe(partFileName('app_a_b'));
    const long = 'x'.repeat(5000);
    expect(partFileName(long).length).toBeLessThan(120);
    expect(partFileName(long)).not.toBe(partFileName(`${long}y`));
  });

  it('files the parts under the run and the report under the run date and run', () => {
    expect(partsPrefix('run_1')).toBe('reports/run_5F1/parts/');
    expect(reportKeys('run-1', '2026-11-23')).toEqual({
      csvKey: 'reports/2026-11-23/run-1/report.csv',
      jsonKey: 'reports/2026-11-23/run-1/report.json',
      manifestKey: 'reports/2026-11-23/run-1/manifest.json',
      htmlKey: 'reports/2026-11-23/run-1/report.html',
    });
  });

  it('rejects an empty run id or part name and a run date that is not YYYY-MM-DD', () => {
    expect(() => encodeKeySegment('')).toThrow(RangeError);
    expect(() => partFileName('')).toThrow(RangeError);
    expect(() => reportKeys('run-1', '2026-11-23T00:00:00Z')).toThrow(/runDate must be YYYY-MM-DD/);
  });
});

describe('S3ReportStore', () => {
  it('writes a part as JSON Lines and reads it back by its listed key', async () => {
    const runId = freshRunId();
    const rows = [row('main', { action: 'create-replacement' }), row('other')];
    await store.putPart(runId, 'app/acme/prod/bank/payments', rows);

    const keys = await collect(store.listParts(runId));
    expect(keys).toEqual([`reports/${runId}/parts/${partFileName('app/acme/prod/bank/payments')}`]);
    expect(await store.readPart(keys[0] ?? '')).toEqual(rows);
    const stored = emulator.objects(BUCKET).find((object) => object.key === keys[0]);
    expect(stored?.contentType).toBe('application/x-ndjson; charset=utf-8');
  });

  it('overwrites a part written again under the same name, so a retried step adds no rows', async () => {
    const runId = freshRunId();
    await store.putPart(runId, 'scan-0-0', [row('first')]);
    await store.putPart(runId, 'scan-0-0', [row('second')]);

    const keys = await collect(store.listParts(runId));
    expect(keys).toHaveLength(1);
    expect(await store.readPart(keys[0] ?? '')).toEqual([row('second')]);
  });

  it('lists only the parts of its own run', async () => {
    const runId = freshRunId();
    const neighbour = `${runId}0`;
    await store.putPart(runId, 'mine', [row('a')]);
    await store.putPart(neighbour, 'theirs', [row('b')]);

    expect(await collect(store.listParts(runId))).toEqual([`${partsPrefix(runId)}${partFileName('mine')}`]);
  });

  it('lists every part across ListObjectsV2 pages (more than 1,000 parts)', async () => {
    const runId = freshRunId();
    const names = Array.from({ length: 1_050 }, (_, index) => `scan-${index}`);
    emulator.seed(BUCKET, names.map((name) => ({ key: `${partsPrefix(runId)}${partFileName(name)}`, body: '' })));
    // A key in the parts folder that is not a part (an operator's note, say) is not listed.
    emulator.seed(BUCKET, [{ key: `${partsPrefix(runId)}README.txt`, body: 'notes' }]);

    const send = vi.spyOn(client, 'send');
    const keys = await collect(store.listParts(runId));
    const listCalls = send.mock.calls.filter(([command]) => command instanceof ListObjectsV2Command);
    send.mockRestore();

    expect(listCalls).toHaveLength(2);
    expect(keys).toHaveLength(1_050);
    expect(new Set(keys)).toEqual(new Set(names.map((name) => `${partsPrefix(runId)}${partFileName(name)}`)));
    expect(keys).toEqual([...keys].sort());
  });

  it('writes report files whole or through a multipart upload, each with its content type', async () => {
    const runId = freshRunId();
    const keys = reportKeys(runId, '2026-11-23');
    await store.putFile(keys.manifestKey, 'manifest', '{"rowCount":0}\n');
    await store.putFile(keys.htmlKey, 'html', '<p>r</p>');
    const csv = await store.startUpload(keys.csvKey, 'csv');
    // Parts may go up in any order: the object is assembled by part number.
    await csv.uploadPart(2, Buffer.from('1,2\r\n'));
    await csv.uploadPart(1, Buffer.alloc(MIN_PART_BYTES, 'a'));
    await csv.complete();
    const json = await store.startUpload(keys.jsonKey, 'json');
    await json.uploadPart(1, Buffer.from('{"rows":[]}\n'));
    await json.complete();

    const written = emulator.objects(BUCKET).filter((object) => object.key.startsWith(`reports/2026-11-23/${runId}/`));
    expect(written.map(({ key, body, contentType }) => ({ key, body, contentType }))).toEqual([
      { key: keys.manifestKey, body: '{"rowCount":0}\n', contentType: 'application/json; charset=utf-8' },
      { key: keys.csvKey, body: `${'a'.repeat(MIN_PART_BYTES)}1,2\r\n`, contentType: 'text/csv; charset=utf-8' },
      { key: keys.htmlKey, body: '<p>r</p>', contentType: 'text/html; charset=utf-8' },
      { key: keys.jsonKey, body: '{"rows":[]}\n', contentType: 'application/json; charset=utf-8' },
    ]);
  });

  it('aborts an upload: its parts are discarded and the object it would have replaced stays', async () => {
    const runId = freshRunId();
    const { csvKey } = reportKeys(runId, '2026-11-23');
    await store.putFile(csvKey, 'csv', 'before');
    const upload = await store.startUpload(csvKey, 'csv');
    await upload.uploadPart(1, Buffer.from('after'));
    await upload.abort();

    expect(emulator.objects(BUCKET).find((object) => object.key === csvKey)?.body).toBe('before');
    expect(emulator.uploadsInProgress(BUCKET)).toEqual([]);
    await expect(upload.complete()).rejects.toMatchObject({ name: 'ReportStoreError', operation: 'CompleteMultipartUpload', awsErrorName: 'NoSuchUpload' });
  });

  it('streams the rows of a JSON Lines object, however its lines fall across chunks', async () => {
    const runId = freshRunId();
    const rows = Array.from({ length: 3_000 }, (_, index) => row(`c-${index}`, { clientId: 'ü'.repeat(index % 7) }));
    await store.putPart(runId, 'sorted', rows);
    const [key] = await collect(store.listParts(runId));

    expect(await collect(store.readRows(key ?? ''))).toEqual(rows);
  });

  it('asks for SSE-KMS with the configured key on every object it writes', async () => {
    const runId = freshRunId();
    const encrypted = new S3ReportStore(client, { bucket: BUCKET, kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/reports' });
    const keys = reportKeys(runId, '2026-11-24');
    await encrypted.putPart(runId, 'part', [row('a')]);
    await encrypted.putFile(keys.manifestKey, 'manifest', '{}');
    const upload = await encrypted.startUpload(keys.csvKey, 'csv');
    await upload.uploadPart(1, Buffer.from(''));
    await upload.complete();

    const written = emulator.objects(BUCKET).filter((object) => object.key.includes(`/${runId}/`));
    expect(written).toHaveLength(3);
    for (const object of written) {
      expect(object).toMatchObject({ sse: 'aws:kms', kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/reports' });
    }
  });

  it('leaves encryption to the bucket default when no KMS key is configured', async () => {
    const runId = freshRunId();
    await store.putPart(runId, 'part', [row('a')]);
    const [object] = emulator.objects(BUCKET).filter((candidate) => candidate.key.startsWith(partsPrefix(runId)));
    expect(object?.sse).toBeUndefined();
    expect(object?.kmsKeyId).toBeUndefined();
  });

  it('wraps an S3 failure in a ReportStoreError naming the operation and the object', async () => {
    const key = `${partsPrefix('missing-run')}${partFileName('gone')}`;
    const error = await store.readPart(key).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ReportStoreError);
    expect(error).toMatchObject({
      name: 'ReportStoreError',
      operation: 'GetObject',
      bucket: BUCKET,
      key,
      awsErrorName: 'NoSuchKey',
      message: `GetObject failed for s3://${BUCKET}/${key}`,
    });
    expect((error as Error).cause).toBeInstanceOf(NoSuchKey);
  });

  it('names the bucket when it does not exist', async () => {
    const missing = new S3ReportStore(client, { bucket: 'no-such-bucket' });
    await expect(missing.putPart('run', 'part', [row('a')])).rejects.toMatchObject({
      name: 'ReportStoreError',
      awsErrorName: 'NoSuchBucket',
      message: `PutObject failed for s3://no-such-bucket/${partsPrefix('run')}${partFileName('part')}`,
    });
    await expect(collect(missing.listParts('run'))).rejects.toMatchObject({ operation: 'ListObjectsV2', awsErrorName: 'NoSuchBucket' });
  });

  it('reports a part that is not JSON Lines of rows with the line, without its content', async () => {
    const runId = freshRunId();
    await store.putPart(runId, 'good', [row('a')]);
    const [key] = await collect(store.listParts(runId));
    const bad = `${partsPrefix(runId)}bad.jsonl`;
    const body = `${emulator.objects(BUCKET).find((object) => object.key === key)?.body ?? ''}{"secretish":"do-not-leak"}\n`;
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: bad, Body: body }));

    const error = await store.readPart(bad).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'ReportStoreError', operation: 'ParsePart', message: `ParsePart failed for s3://${BUCKET}/${bad}` });
    expect((error as Error).cause).toBeInstanceOf(ReportFormatError);
    expect((error as Error).cause).toMatchObject({ line: 2 });
    expect(String((error as Error).message)).not.toContain('do-not-leak');
  });
});
