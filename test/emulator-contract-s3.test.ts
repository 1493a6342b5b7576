/**
 * Contract tests of the S3 emulator: each drives the emulator through the real SDK client and checks one row of
 * tools/emulators/s3/FIDELITY.md (the row id starts the test name). Rows already covered by test/s3-emulator.test.ts
 * name that test in the table instead of being repeated here.
 */
import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Emulator, type S3Emulator } from '../tools/emulators/s3/emulator';

let emulator: S3Emulator;
let client: S3Client;
let serial = 0;

function clientIn(region: string): S3Client {
  return new S3Client({ region, endpoint: emulator.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
}

async function freshBucket(): Promise<string> {
  serial += 1;
  const bucket = `contract-${serial}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

async function failure(promise: Promise<unknown>): Promise<S3ServiceException> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof S3ServiceException)) throw new Error(`expected an S3 service error, got ${String(error)}`);
  return error;
}

async function body(bucket: string, key: string): Promise<string | undefined> {
  return (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString();
}

beforeAll(async () => {
  emulator = await startS3Emulator();
  client = clientIn('us-east-1');
});

afterAll(async () => {
  client.destroy();
  await emulator.close();
});

describe('S3 emulator contract', () => {
  it('S3-02 creating a bucket you already own answers 200 in us-east-1 and BucketAlreadyOwnedByYou (409) elsewhere', async () => {
    const bucket = await freshBucket();
    await expect(client.send(new CreateBucketCommand({ Bucket: bucket }))).resolves.toMatchObject({ $metadata: { httpStatusCode: 200 } });
    const ireland = clientIn('eu-west-1');
    try {
      const error = await failure(ireland.send(new CreateBucketCommand({ Bucket: bucket })));
      expect([error.name, error.$metadata.httpStatusCode]).toEqual(['BucketAlreadyOwnedByYou', 409]);
    } finally {
      ireland.destroy();
    }
  });

  it('S3-03 HeadBucket answers 404 without a body for a bucket that does not exist', async () => {
    const error = await failure(client.send(new HeadBucketCommand({ Bucket: 'contract-absent' })));
    expect(error.$metadata.httpStatusCode).toBe(404);
    const raw = await fetch(`${emulator.endpoint}/contract-absent`, { method: 'HEAD' });
    expect([raw.status, await raw.text()]).toEqual([404, '']);
  });

  it('S3-06 the ETag of a plaintext or SSE-S3 object is the MD5 of its data; that of an SSE-KMS object is not', async () => {
    const bucket = await freshBucket();
    const md5 = `"${createHash('md5').update('payload').digest('hex')}"`;
    expect((await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'plain', Body: 'payload' }))).ETag).toBe(md5);
    const kms = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'kms', Body: 'payload', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'alias/k' }));
    expect(kms.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(kms.ETag).not.toBe(md5);
  });

  it('S3-15 an object key is at most 1,024 bytes of UTF-8', async () => {
    const bucket = await freshBucket();
    await expect(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k'.repeat(1024), Body: 'x' }))).resolves.toBeDefined();
    expect((await failure(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'é'.repeat(513), Body: 'x' })))).name).toBe('KeyTooLongError');
  });

  it('S3-16 PutObject with If-None-Match: * writes a new key and answers 412 PreconditionFailed when the key exists', async () => {
    const bucket = await freshBucket();
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'lease', Body: 'first', IfNoneMatch: '*' }));
    const error = await failure(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'lease', Body: 'second', IfNoneMatch: '*' })));
    expect([error.name, error.$metadata.httpStatusCode]).toEqual(['PreconditionFailed', 412]);
    expect(await body(bucket, 'lease')).toBe('first');
  });

  it('S3-17 PutObject with If-Match writes when the ETag matches and answers 412 PreconditionFailed when it does not', async () => {
    const bucket = await freshBucket();
    const { ETag: first } = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'lease', Body: 'first' }));
    const { ETag: second } = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'lease', Body: 'second', IfMatch: first }));
    expect(second).not.toBe(first);
    const stale = await failure(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'lease', Body: 'third', IfMatch: first })));
    expect([stale.name, stale.$metadata.httpStatusCode]).toEqual(['PreconditionFailed', 412]);
    expect(await body(bucket, 'lease')).toBe('second');
  });

  it('S3-18 PutObject with If-Match answers 404 NoSuchKey when there is no object to compare with', async () => {
    const bucket = await freshBucket();
    const error = await failure(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'absent', Body: 'x', IfMatch: '"0123456789abcdef0123456789abcdef"' })));
    expect(error).toBeInstanceOf(NoSuchKey);
    expect(error.$metadata.httpStatusCode).toBe(404);
    expect(emulator.objects(bucket)).toEqual([]);
  });

  it('S3-19 If-None-Match on a write accepts only *: another value is refused rather than ignored', async () => {
    const bucket = await freshBucket();
    const error = await failure(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x', IfNoneMatch: '"0123456789abcdef0123456789abcdef"' })));
    expect(error.name).toBe('NotImplemented');
    expect(emulator.objects(bucket)).toEqual([]);
  });

  it('S3-22 of concurrent If-None-Match: * writes of one key, exactly one succeeds and the others get 412', async () => {
    const bucket = await freshBucket();
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, (_, index) =>
        client.send(new PutObjectCommand({ Bucket: bucket, Key: 'lease', Body: `writer-${index}`, IfNoneMatch: '*' })).then(
          () => 'written',
          (error: unknown) => (error instanceof S3ServiceException ? `${error.$metadata.httpStatusCode}` : String(error)),
        ),
      ),
    );
    expect(outcomes.filter((outcome) => outcome === 'written')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === '412')).toHaveLength(4);
    expect(await body(bucket, 'lease')).toBe(`writer-${outcomes.indexOf('written')}`);
  });
});
