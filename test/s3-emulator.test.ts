import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchBucket,
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

/** A bucket of its own per test, so tests never see each other's objects. */
async function freshBucket(): Promise<string> {
  serial += 1;
  const bucket = `bucket-${serial}`;
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

/** Sends a raw HTTP request, for what the SDK never sends malformed. */
function raw(path: string, init: RequestInit): Promise<Response> {
  return fetch(`${emulator.endpoint}${path}`, init);
}

beforeAll(async () => {
  emulator = await startS3Emulator();
  client = new S3Client({
    region: 'us-east-1',
    endpoint: emulator.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await emulator.close();
});

describe('buckets', () => {
  it('creates a bucket and answers HeadBucket for it; creating it again in us-east-1 keeps its objects', async () => {
    const bucket = await freshBucket();
    await expect(client.send(new HeadBucketCommand({ Bucket: bucket }))).resolves.toMatchObject({ $metadata: { httpStatusCode: 200 } });
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'kept', Body: 'v' }));
    // S3 answers 200 here in us-east-1 and BucketAlreadyOwnedByYou elsewhere (test/emulator-contract-s3.test.ts, S3-02).
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    expect(emulator.objects(bucket).map((object) => object.key)).toEqual(['kept']);
  });

  it('answers NoSuchBucket for objects in a bucket that does not exist', async () => {
    const error = await failure(client.send(new PutObjectCommand({ Bucket: 'absent', Key: 'k', Body: 'x' })));
    expect(error).toBeInstanceOf(NoSuchBucket);
    expect(error.$metadata.httpStatusCode).toBe(404);
    expect(() => emulator.objects('absent')).toThrow('The specified bucket does not exist');
  });

  it('creates buckets directly, idempotently', async () => {
    emulator.createBucket('direct');
    emulator.createBucket('direct');
    await client.send(new PutObjectCommand({ Bucket: 'direct', Key: 'k', Body: 'v' }));
    expect(emulator.objects('direct').map((object) => object.key)).toEqual(['k']);
  });
});

describe('objects', () => {
  it('stores the body and content type and serves them back with a matching ETag and checksum', async () => {
    const bucket = await freshBucket();
    const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/héllo wörld+1.txt', Body: 'grüße\n', ContentType: 'text/plain; charset=utf-8' }));
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/héllo wörld+1.txt', ChecksumMode: 'ENABLED' }));

    expect(await got.Body?.transformToString()).toBe('grüße\n');
    expect(got).toMatchObject({ ContentType: 'text/plain; charset=utf-8', ETag: put.ETag, ContentLength: 8, ChecksumCRC32: put.ChecksumCRC32 });
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(emulator.objects(bucket)).toEqual([{ key: 'dir/héllo wörld+1.txt', body: 'grüße\n', contentType: 'text/plain; charset=utf-8' }]);
  });

  it('decodes a streamed upload sent aws-chunked with a trailing checksum', async () => {
    const bucket = await freshBucket();
    const parts = [Buffer.from('first chunk,'), Buffer.alloc(70_000, 'x'), Buffer.from(',last')];
    const expected = Buffer.concat(parts).toString();
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'streamed', Body: Readable.from(parts), ContentLength: expected.length }));

    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'streamed' }));
    expect(await got.Body?.transformToString()).toBe(expected);
    expect(got.ChecksumCRC32).toBeDefined();
  });

  it('rejects a body whose CRC32 does not match with BadDigest', async () => {
    const bucket = await freshBucket();
    const error = await failure(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'abc', ChecksumCRC32: 'AAAAAA==' })));
    expect(error.name).toBe('BadDigest');
    expect(emulator.objects(bucket)).toEqual([]);
  });

  it('rejects an aws-chunked body whose trailing checksum does not match, and one that is cut short', async () => {
    const bucket = await freshBucket();
    const headers = { 'content-encoding': 'aws-chunked', 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-decoded-content-length': '3' };
    const badChecksum = await raw(`/${bucket}/k`, { method: 'PUT', headers, body: '3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n' });
    expect(badChecksum.status).toBe(400);
    expect(await badChecksum.text()).toContain('<Code>BadDigest</Code>');

    const cutShort = await raw(`/${bucket}/k`, { method: 'PUT', headers, body: '5\r\nabc' });
    expect(cutShort.status).toBe(400);
    expect(await cutShort.text()).toContain('<Code>IncompleteBody</Code>');
    expect(emulator.objects(bucket)).toEqual([]);
  });

  it('records the requested server-side encryption and answers with it', async () => {
    const bucket = await freshBucket();
    const kms = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'kms', Body: 'a', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'alias/reports' }));
    const plain = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'plain', Body: 'b' }));

    expect(kms).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'alias/reports' });
    expect(plain.ServerSideEncryption).toBe('AES256');
    expect(await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'kms' }))).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'alias/reports', ContentLength: 1 });
    expect(emulator.objects(bucket)).toEqual([
      { key: 'kms', body: 'a', contentType: expect.any(String), sse: 'aws:kms', kmsKeyId: 'alias/reports' },
      { key: 'plain', body: 'b', contentType: expect.any(String) },
    ]);
  });

  it('rejects a KMS key without KMS encryption', async () => {
    const bucket = await freshBucket();
    const response = await raw(`/${bucket}/k`, { method: 'PUT', headers: { 'x-amz-server-side-encryption-aws-kms-key-id': 'alias/x' }, body: 'v' });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<Code>InvalidArgument</Code>');
  });

  it('answers NoSuchKey as S3 XML for a missing key, and NotFound to HeadObject', async () => {
    const bucket = await freshBucket();
    const error = await failure(client.send(new GetObjectCommand({ Bucket: bucket, Key: 'missing/key' })));
    expect(error).toBeInstanceOf(NoSuchKey);
    expect(error.$metadata.httpStatusCode).toBe(404);

    const response = await raw(`/${bucket}/missing/key`, { method: 'GET' });
    expect(response.headers.get('content-type')).toBe('application/xml');
    expect(await response.text()).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist\.<\/Message><BucketName>bucket-\d+<\/BucketName><Key>missing\/key<\/Key><RequestId>[0-9a-f-]+<\/RequestId><\/Error>$/,
    );

    expect((await failure(client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'missing/key' })))).name).toBe('NotFound');
  });

  it('deletes an object, and deleting a missing one succeeds', async () => {
    const bucket = await freshBucket();
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'v' }));
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k' }));
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k' }));

    expect(await failure(client.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' })))).toBeInstanceOf(NoSuchKey);
    expect(emulator.objects(bucket)).toEqual([]);
  });

  it('answers NotImplemented to what it does not model instead of pretending', async () => {
    const bucket = await freshBucket();
    const copy = await raw(`/${bucket}/copy`, { method: 'PUT', headers: { 'x-amz-copy-source': `/${bucket}/k` } });
    expect(copy.status).toBe(501);
    const tagging = await raw(`/${bucket}/k?tagging`, { method: 'GET' });
    expect(tagging.status).toBe(501);
    expect(await tagging.text()).toContain('<Code>NotImplemented</Code>');
  });
});

describe('ListObjectsV2', () => {
  async function listAll(bucket: string, prefix: string, maxKeys: number) {
    const pages = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: maxKeys, ContinuationToken: token }));
      pages.push(page);
      token = page.NextContinuationToken;
    } while (token);
    return pages;
  }

  it('pages through the keys under a prefix in order with continuation tokens', async () => {
    const bucket = await freshBucket();
    const keys = Array.from({ length: 25 }, (_, index) => `p/${String(index).padStart(2, '0')}`);
    await Promise.all([...keys, 'other/1', 'p'].map((key) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }))));

    const pages = await listAll(bucket, 'p/', 10);

    expect(pages.map((page) => [page.KeyCount, page.IsTruncated, page.MaxKeys])).toEqual([
      [10, true, 10],
      [10, true, 10],
      [5, false, 10],
    ]);
    expect(pages.flatMap((page) => page.Contents?.map((object) => object.Key) ?? [])).toEqual(keys);
    expect(pages[1]?.ContinuationToken).toBe(pages[0]?.NextContinuationToken);
    expect(pages[2]?.NextContinuationToken).toBeUndefined();
    const first = pages[0]?.Contents?.[0];
    expect(first).toMatchObject({ Key: 'p/00', Size: 4, StorageClass: 'STANDARD' });
    expect(first?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(first?.LastModified).toBeInstanceOf(Date);
  });

  it('lists 1,000 keys per page by default', async () => {
    const bucket = await freshBucket();
    emulator.seed(bucket, Array.from({ length: 1_005 }, (_, index) => ({ key: `k/${String(index).padStart(4, '0')}`, body: '.' })));
    const first = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect([first.KeyCount, first.IsTruncated, first.MaxKeys]).toEqual([1_000, true, 1_000]);
    const second = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: first.NextContinuationToken }));
    expect(second.Contents?.map((object) => object.Key)).toEqual(['k/1000', 'k/1001', 'k/1002', 'k/1003', 'k/1004']);
  });

  it('orders keys by their UTF-8 bytes, as S3 does', async () => {
    const bucket = await freshBucket();
    const keys = ['a', 'B', '\u{1F600}', '\uFF21', 'a b', 'a+b', 'é'];
    await Promise.all(keys.map((key) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }))));

    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(['B', 'a', 'a b', 'a+b', 'é', '\uFF21', '\u{1F600}']);
  });

  it('answers an empty, untruncated page for a prefix with no keys, and rejects a forged token', async () => {
    const bucket = await freshBucket();
    const empty = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'none/' }));
    expect(empty).toMatchObject({ KeyCount: 0, IsTruncated: false, Prefix: 'none/' });
    expect(empty.Contents).toBeUndefined();

    const error = await failure(client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: 'not a token' })));
    expect(error.name).toBe('InvalidArgument');
  });

  it('answers NotImplemented to a delimiter rather than ignoring it', async () => {
    const bucket = await freshBucket();
    expect((await failure(client.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/' })))).name).toBe('NotImplemented');
  });
});

describe('seed', () => {
  it('stores objects the SDK reads like uploaded ones, checksum included', async () => {
    const bucket = await freshBucket();
    emulator.seed(bucket, [{ key: 'seeded', body: 'grüße', contentType: 'text/plain' }]);

    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'seeded', ChecksumMode: 'ENABLED' }));
    expect(await got.Body?.transformToString()).toBe('grüße');
    expect(got.ContentType).toBe('text/plain');
    const uploaded = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'uploaded', Body: 'grüße' }));
    expect(got.ChecksumCRC32).toBe(uploaded.ChecksumCRC32);
    expect(got.ETag).toBe(uploaded.ETag);
  });
});

describe('close', () => {
  it('stops serving, even while the SDK holds keep-alive sockets', async () => {
    const own = await startS3Emulator();
    const ownClient = new S3Client({ region: 'us-east-1', endpoint: own.endpoint, forcePathStyle: true, credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 });
    own.createBucket('b');
    await ownClient.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'v' }));

    await own.close();

    await expect(fetch(`${own.endpoint}/b/k`)).rejects.toThrow();
    ownClient.destroy();
  });
});
