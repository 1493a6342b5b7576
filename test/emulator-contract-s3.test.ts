/**
 * Contract tests of the S3 emulator: each drives the emulator through the real SDK client and checks one row of
 * tools/emulators/s3/FIDELITY.md (the row id starts the test name). Rows already covered by test/s3-emulator.test.ts
 * name that test in the table instead of being repeated here.
 */
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_PART_BYTES, startS3Emulator, type S3Emulator } from '../tools/emulators/s3/emulator';
import { rejectionOf } from './support/rejection';

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

function failure(promise: Promise<unknown>): Promise<S3ServiceException> {
  return rejectionOf(promise, S3ServiceException);
}

async function body(bucket: string, key: string): Promise<string | undefined> {
  return (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString();
}

async function startUpload(bucket: string, key: string): Promise<string> {
  return (await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'text/csv' }))).UploadId ?? '';
}

async function uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: Buffer | string): Promise<CompletedPart> {
  const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body }));
  return { PartNumber: partNumber, ETag };
}

function complete(bucket: string, key: string, uploadId: string, parts: CompletedPart[]) {
  return client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
}

const md5 = (data: Buffer | string): Buffer => createHash('md5').update(data).digest();

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
  it('S3-23 a multipart upload becomes an object only at CompleteMultipartUpload, its parts concatenated by part number', async () => {
    const bucket = await freshBucket();
    const uploadId = await startUpload(bucket, 'report.csv');
    const first = Buffer.alloc(MIN_PART_BYTES, 'a');
    // Uploaded out of order, and part 2 uploaded twice: the later upload replaces the earlier.
    const second = await uploadPart(bucket, 'report.csv', uploadId, 2, 'stale');
    const last = await uploadPart(bucket, 'report.csv', uploadId, 2, 'tail');
    expect(last.ETag).not.toBe(second.ETag);
    const head = await uploadPart(bucket, 'report.csv', uploadId, 1, first);
    expect(await failure(client.send(new GetObjectCommand({ Bucket: bucket, Key: 'report.csv' })))).toBeInstanceOf(NoSuchKey);
    expect(emulator.uploadsInProgress(bucket)).toEqual([{ key: 'report.csv', uploadId, parts: 2 }]);

    await complete(bucket, 'report.csv', uploadId, [head, last]);

    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'report.csv' }));
    expect(object.ContentType).toBe('text/csv');
    expect(await object.Body?.transformToString()).toBe(`${first.toString()}tail`);
    expect(emulator.uploadsInProgress(bucket)).toEqual([]);
  });

  it('S3-24 part numbers run from 1 to 10,000: others are refused with InvalidArgument', async () => {
    const bucket = await freshBucket();
    const uploadId = await startUpload(bucket, 'k');
    await expect(uploadPart(bucket, 'k', uploadId, 10_000, 'x')).resolves.toMatchObject({ PartNumber: 10_000 });
    for (const partNumber of [0, 10_001]) {
      const error = await failure(uploadPart(bucket, 'k', uploadId, partNumber, 'x'));
      expect([error.name, error.$metadata.httpStatusCode]).toEqual(['InvalidArgument', 400]);
    }
  });

  it('S3-25 every part but the last must be at least 5 MiB: a smaller one fails CompleteMultipartUpload with EntityTooSmall', async () => {
    const bucket = await freshBucket();
    const uploadId = await startUpload(bucket, 'k');
    const small = await uploadPart(bucket, 'k', uploadId, 1, Buffer.alloc(MIN_PART_BYTES - 1, 'a'));
    const last = await uploadPart(bucket, 'k', uploadId, 2, 'b');
    const error = await failure(complete(bucket, 'k', uploadId, [small, last]));
    expect([error.name, error.$metadata.httpStatusCode]).toEqual(['EntityTooSmall', 400]);
    expect(emulator.objects(bucket)).toEqual([]);
    // A single part is also the last one: any size completes.
    const single = await startUpload(bucket, 'single');
    await complete(bucket, 'single', single, [await uploadPart(bucket, 'single', single, 1, 'tiny')]);
    expect(await body(bucket, 'single')).toBe('tiny');
  });

  it('S3-26 CompleteMultipartUpload refuses an unknown part or a wrong ETag with InvalidPart, and parts out of order with InvalidPartOrder', async () => {
    const bucket = await freshBucket();
    const uploadId = await startUpload(bucket, 'k');
    const one = await uploadPart(bucket, 'k', uploadId, 1, Buffer.alloc(MIN_PART_BYTES, 'a'));
    const two = await uploadPart(bucket, 'k', uploadId, 2, 'b');
    const outcomes = await Promise.all(
      [
        [one, { PartNumber: 3, ETag: two.ETag }],
        [one, { PartNumber: 2, ETag: one.ETag }],
        [two, one],
      ].map(async (parts) => {
        const error = await failure(complete(bucket, 'k', uploadId, parts));
        return [error.name, error.$metadata.httpStatusCode];
      }),
    );
    expect(outcomes).toEqual([
      ['InvalidPart', 400],
      ['InvalidPart', 400],
      ['InvalidPartOrder', 400],
    ]);
    await expect(complete(bucket, 'k', uploadId, [one, two])).resolves.toBeDefined();
  });

  it('S3-27 an aborted, completed or unknown upload is NoSuchUpload (404) to UploadPart, CompleteMultipartUpload and AbortMultipartUpload', async () => {
    const bucket = await freshBucket();
    const aborted = await startUpload(bucket, 'k');
    const part = await uploadPart(bucket, 'k', aborted, 1, 'x');
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'k', UploadId: aborted }));
    expect(emulator.uploadsInProgress(bucket)).toEqual([]);
    const completed = await startUpload(bucket, 'k');
    await complete(bucket, 'k', completed, [await uploadPart(bucket, 'k', completed, 1, 'y')]);
    const calls = [aborted, completed, 'unknown'].flatMap((uploadId) => [
      uploadPart(bucket, 'k', uploadId, 1, 'z'),
      complete(bucket, 'k', uploadId, [part]),
      client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'k', UploadId: uploadId })),
    ]);
    const outcomes = await Promise.all(calls.map(async (call) => {
      const error = await failure(call);
      return `${error.name} ${error.$metadata.httpStatusCode}`;
    }));
    expect(new Set(outcomes)).toEqual(new Set(['NoSuchUpload 404']));
    // The aborted upload wrote nothing; the completed one holds its only part.
    expect(await body(bucket, 'k')).toBe('y');
  });

  it('S3-28 the ETag of an object assembled from parts is not an MD5 of its data: MD5 of the part MD5s, "-", the part count', async () => {
    const bucket = await freshBucket();
    const uploadId = await startUpload(bucket, 'k');
    const first = Buffer.alloc(MIN_PART_BYTES, 'a');
    const parts = [await uploadPart(bucket, 'k', uploadId, 1, first), await uploadPart(bucket, 'k', uploadId, 2, 'b')];
    expect(parts.map((part) => part.ETag)).toEqual([`"${md5(first).toString('hex')}"`, `"${md5('b').toString('hex')}"`]);
    const { ETag } = await complete(bucket, 'k', uploadId, parts);
    expect(ETag).toBe(`"${createHash('md5').update(Buffer.concat([md5(first), md5('b')])).digest('hex')}-2"`);
    expect((await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }))).ETag).toBe(ETag);
  });

  it('S3-29 CreateMultipartUpload records the requested SSE-KMS key, and the completed object carries it', async () => {
    const bucket = await freshBucket();
    const { UploadId, ServerSideEncryption } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'k', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'alias/reports' }),
    );
    expect(ServerSideEncryption).toBe('aws:kms');
    await complete(bucket, 'k', UploadId ?? '', [await uploadPart(bucket, 'k', UploadId ?? '', 1, 'x')]);
    expect(emulator.objects(bucket)).toEqual([{ key: 'k', body: 'x', sse: 'aws:kms', kmsKeyId: 'alias/reports' }]);
  });

  it('S3-30 a caller whose s3:ListBucket is limited to a prefix learns nothing of missing objects: 403 AccessDenied; listings under that prefix only', async () => {
    const limited = await startS3Emulator({ listBucketPrefixes: ['leases/'] });
    const limitedClient = new S3Client({ region: 'us-east-1', endpoint: limited.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    try {
      limited.createBucket('b');
      const answers = await Promise.all([
        limitedClient.send(new GetObjectCommand({ Bucket: 'b', Key: 'leases/missing.json' })),
        limitedClient.send(new DeleteObjectCommand({ Bucket: 'b', Key: 'leases/missing.json', IfMatch: '"x"' })),
        limitedClient.send(new ListObjectsV2Command({ Bucket: 'b', Prefix: 'reports/' })),
      ].map(async (call) => {
        const error = await rejectionOf(call, S3ServiceException);
        return `${error.name} ${error.$metadata.httpStatusCode}`;
      }));
      expect(answers).toEqual(['AccessDenied 403', 'AccessDenied 403', 'AccessDenied 403']);
      await limitedClient.send(new PutObjectCommand({ Bucket: 'b', Key: 'leases/held.json', Body: '{}' }));
      const listing = await limitedClient.send(new ListObjectsV2Command({ Bucket: 'b', Prefix: 'leases/', MaxKeys: 1 }));
      expect(listing.Contents?.map((object) => object.Key)).toEqual(['leases/held.json']);
    } finally {
      limitedClient.destroy();
      await limited.close();
    }
  });

  it('S3-30 a caller that may list the whole bucket gets 404 NoSuchKey for a missing object', async () => {
    const bucket = await freshBucket();
    const error = await failure(client.send(new GetObjectCommand({ Bucket: bucket, Key: 'missing' })));
    expect(`${error.name} ${error.$metadata.httpStatusCode}`).toBe('NoSuchKey 404');
  });
});
