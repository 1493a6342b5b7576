/**
 * An in-process Amazon S3 emulator on loopback, faithful enough for the real `@aws-sdk/client-s3` configured with
 * `forcePathStyle: true` (`/<bucket>/<key>`): CreateBucket, HeadBucket, PutObject (conditional writes with
 * `If-None-Match: *` and `If-Match` included), GetObject, HeadObject, DeleteObject, ListObjectsV2 and multipart uploads
 * (CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload), with S3's XML errors. What each behaviour rests on is in FIDELITY.md beside this file. The client needs no special settings: the SDK's default
 * request checksums are accepted whether sent as headers or as `aws-chunked` trailers, are verified where the
 * algorithm is at hand (CRC32, SHA-1, SHA-256), and are returned on GetObject so the SDK can check the body.
 * Requests the emulator does not model answer `501 NotImplemented` rather than something plausible but wrong.
 * State lives in memory and dies with `close()`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback, readBody } from '../loopback';

export interface EmulatedObject {
  readonly key: string;
  /** The stored bytes as UTF-8. */
  readonly body: string;
  readonly contentType?: string;
  /** The `x-amz-server-side-encryption` the writer asked for (S3 encrypts with AES256 when none is asked for). */
  readonly sse?: string;
  readonly kmsKeyId?: string;
}

export interface S3Emulator {
  /** Pass as the client's `endpoint`, together with `forcePathStyle: true`. */
  readonly endpoint: string;
  /** The bucket's objects in key order. Throws when the bucket does not exist. */
  objects(bucket: string): EmulatedObject[];
  /** Creates the bucket directly; does nothing when it exists. */
  createBucket(name: string): void;
  /** Stores objects directly, without HTTP: tests of paging need more objects than the SDK writes quickly. */
  seed(bucket: string, objects: Iterable<{ readonly key: string; readonly body: string; readonly contentType?: string }>): void;
  /** The bucket's multipart uploads neither completed nor aborted, in the order they were created. */
  uploadsInProgress(bucket: string): Array<{ readonly key: string; readonly uploadId: string; readonly parts: number }>;
  /** A deep copy of every bucket and object (bytes, metadata, checksums), as plain data. */
  snapshot(): S3Snapshot;
  /**
   * Replaces every bucket with a deep copy of `snapshot`'s (possibly another emulator's); the endpoint stays. Uploads in
   * progress are not part of a snapshot: they are dropped.
   */
  restore(snapshot: S3Snapshot): void;
  close(): Promise<void>;
}

/** What `S3Emulator.snapshot()` returns: plain data (structured-clonable). */
export interface S3Snapshot {
  readonly buckets: ReadonlyArray<{
    readonly name: string;
    /** In the order they were written (listings sort by key themselves). */
    readonly objects: ReadonlyArray<{
      readonly key: string;
      /** The stored bytes, base64. */
      readonly body: string;
      readonly contentType?: string;
      readonly sse?: string;
      readonly kmsKeyId?: string;
      readonly etag: string;
      /** ISO 8601. */
      readonly lastModified: string;
      readonly checksums: ReadonlyArray<readonly [string, string]>;
    }>;
  }>;
}

interface StoredObject {
  readonly body: Buffer;
  readonly contentType?: string;
  readonly sse?: string;
  readonly kmsKeyId?: string;
  readonly etag: string;
  readonly lastModified: Date;
  /** `x-amz-checksum-<algorithm>` header name → base64 value, as the writer sent them. */
  readonly checksums: ReadonlyMap<string, string>;
}

type Bucket = Map<string, StoredObject>;

interface UploadedPart {
  readonly body: Buffer;
  readonly etag: string;
}

/** A multipart upload in progress: its parts stay out of the bucket until CompleteMultipartUpload. */
interface MultipartUpload {
  readonly bucket: string;
  readonly key: string;
  readonly contentType?: string;
  readonly sse?: string;
  readonly kmsKeyId?: string;
  readonly parts: Map<number, UploadedPart>;
}

const MAX_PART_NUMBER = 10_000;
/** "Part size 5 MiB to 5 GiB. There is no minimum size limit on the last part of your multipart upload." */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

const MAX_KEYS_LIMIT = 1000;
const MAX_KEY_BYTES = 1024;
const XML_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
const SSE_ALGORITHMS = new Set(['AES256', 'aws:kms', 'aws:kms:dsse']);
const CHECKSUM_HEADER = /^x-amz-checksum-(crc32|crc32c|crc64nvme|sha1|sha256)$/;
/** Query parameters every SDK request may carry; any other one on an object request means an unmodelled operation. */
const IGNORED_QUERY = new Set(['x-id']);
/** Query parameters of the multipart operations on an object. */
const MULTIPART_QUERY = new Set(['uploads', 'uploadId', 'partNumber']);

/** An error answered as S3's `<Error>` XML. */
class S3Fault extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly resource?: { readonly bucket: string; readonly key?: string },
    /** The precondition that did not hold, for PreconditionFailed. */
    readonly condition?: string,
  ) {
    super(message);
    this.name = code;
  }
}

const noSuchBucket = (bucket: string) => new S3Fault('NoSuchBucket', 'The specified bucket does not exist', 404, { bucket });
const invalidArgument = (message: string) => new S3Fault('InvalidArgument', message, 400);
const notImplemented = (what: string) =>
  new S3Fault('NotImplemented', `${what} is not implemented by the S3 emulator`, 501);

function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function xmlElement(name: string, value: string | number | boolean): string {
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

const CRC32_TABLE = Array.from({ length: 256 }, (_, index) => {
  let crc = index;
  for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  return crc >>> 0;
});

function crc32(data: Buffer): Buffer {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC32_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  const digest = Buffer.alloc(4);
  digest.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return digest;
}

/** The algorithms the emulator can recompute; others (CRC32C, CRC64NVME) are stored as sent. */
const CHECKSUM_FUNCTIONS: Readonly<Record<string, (data: Buffer) => Buffer>> = {
  'x-amz-checksum-crc32': crc32,
  'x-amz-checksum-sha1': (data) => createHash('sha1').update(data).digest(),
  'x-amz-checksum-sha256': (data) => createHash('sha256').update(data).digest(),
};

/**
 * Decodes an `aws-chunked` body: `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n` repeated, a zero-size chunk, then
 * trailing headers (`name:value\r\n`) and an empty line. Chunk signatures are not checked: the emulator does not
 * authenticate.
 */
function decodeAwsChunked(raw: Buffer): { body: Buffer; trailers: Map<string, string> } {
  const malformed = () => new S3Fault('IncompleteBody', 'The aws-chunked request body is malformed', 400);
  const readLine = (from: number): { line: string; next: number } => {
    const end = raw.indexOf('\r\n', from);
    if (end < 0) throw malformed();
    return { line: raw.toString('latin1', from, end), next: end + 2 };
  };
  const chunks: Buffer[] = [];
  let position = 0;
  for (;;) {
    const header = readLine(position);
    const size = Number.parseInt(header.line.split(';')[0] ?? '', 16);
    if (!Number.isInteger(size) || size < 0) throw malformed();
    position = header.next;
    if (size === 0) break;
    if (position + size + 2 > raw.length || raw.toString('latin1', position + size, position + size + 2) !== '\r\n') throw malformed();
    chunks.push(raw.subarray(position, position + size));
    position += size + 2;
  }
  const trailers = new Map<string, string>();
  while (position < raw.length) {
    const { line, next } = readLine(position);
    position = next;
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon < 0) throw malformed();
    trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { body: Buffer.concat(chunks), trailers };
}

/**
 * The ETag S3 gives a single-part upload: the MD5 of the data, except under SSE-KMS ("Objects ... encrypted by SSE-C
 * or SSE-KMS, have ETags that are not an MD5 digest of their object data"), where it is an opaque value of the same
 * shape.
 */
function etagOf(body: Buffer, sse?: string): string {
  const digest = createHash('md5').update(body);
  if (sse?.startsWith('aws:kms')) digest.update(randomUUID());
  return `"${digest.digest('hex')}"`;
}

/**
 * The ETag of an object assembled from parts: the MD5 of the parts' binary MD5s, a dash and the number of parts. S3
 * documents it only as opaque and "not an MD5 digest"; this is the form S3 is observed to give.
 */
function multipartEtagOf(parts: readonly UploadedPart[]): string {
  const digest = createHash('md5');
  for (const part of parts) digest.update(Buffer.from(part.etag.slice(1, -1), 'hex'));
  return `"${digest.digest('hex')}-${parts.length}"`;
}

/** The ETags of an `If-Match` header, without quotes or weakness markers. */
function etagList(value: string): string[] {
  return value.split(',').map((tag) => tag.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1'));
}

/**
 * The conditional-write rules of PutObject: `If-None-Match` accepts only `*` and fails with 412 when the key exists;
 * `If-Match` fails with 404 when there is no object to compare with and with 412 when the ETag differs. Checked and
 * written in one synchronous step, so of concurrent conditional writes the first one wins.
 */
function checkWritePreconditions(request: IncomingMessage, bucketName: string, key: string, current: StoredObject | undefined): void {
  const ifNoneMatch = header(request, 'if-none-match');
  const ifMatch = header(request, 'if-match');
  const failed = (condition: string) =>
    new S3Fault('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, { bucket: bucketName, key }, condition);
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') throw notImplemented(`If-None-Match with a value other than * on a write`);
    if (current) throw failed('If-None-Match');
  }
  if (ifMatch !== undefined) {
    if (!current) throw new S3Fault('NoSuchKey', 'The specified key does not exist.', 404, { bucket: bucketName, key });
    const wanted = etagList(ifMatch);
    if (!wanted.includes('*') && !wanted.includes(current.etag.slice(1, -1))) throw failed('If-Match');
  }
}

function isAwsChunked(request: IncomingMessage): boolean {
  const encoding = header(request, 'content-encoding') ?? '';
  const payloadHash = header(request, 'x-amz-content-sha256') ?? '';
  return encoding.split(',').some((part) => part.trim() === 'aws-chunked') || payloadHash.startsWith('STREAMING-');
}

/** The Region of the SigV4 credential scope (`Credential=<key>/<date>/<region>/s3/aws4_request`); us-east-1 when unsigned. */
function signingRegion(request: IncomingMessage): string {
  return /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(header(request, 'authorization') ?? '')?.[1] ?? 'us-east-1';
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function compareKeys(a: string, b: string): number {
  // S3 lists keys in UTF-8 byte order, which differs from JavaScript's UTF-16 order above U+FFFF.
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function encodeContinuationToken(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

function decodeContinuationToken(token: string): string {
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (key === '' || encodeContinuationToken(key) !== token) throw invalidArgument('The continuation token provided is incorrect');
  return key;
}

function parseMaxKeys(value: string | null): number {
  if (value === null) return MAX_KEYS_LIMIT;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed)) throw invalidArgument('Provided max-keys not an integer or within integer range');
  return Math.min(parsed, MAX_KEYS_LIMIT);
}

function unescapeXml(value: string): string {
  const named: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>', apos: "'" };
  return value.replace(/&(#x[0-9a-fA-F]+|#\d+|quot|amp|lt|gt|apos);/g, (_, entity: string) =>
    entity.startsWith('#x') ? String.fromCodePoint(Number.parseInt(entity.slice(2), 16)) : entity.startsWith('#') ? String.fromCodePoint(Number(entity.slice(1))) : (named[entity] ?? ''),
  );
}

/** The `<Part>` list of a CompleteMultipartUpload body, in the order given. */
function completedParts(raw: Buffer): { partNumber: number; etag: string }[] {
  const malformed = () =>
    new S3Fault('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);
  const text = raw.toString('utf8');
  if (!/<CompleteMultipartUpload[\s>]/.test(text)) throw malformed();
  const parts = [...text.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map(([, part = '']) => {
    const partNumber = /<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(part)?.[1];
    const etag = /<ETag>([\s\S]*?)<\/ETag>/.exec(part)?.[1];
    if (partNumber === undefined || etag === undefined) throw malformed();
    return { partNumber: Number(partNumber), etag: unescapeXml(etag).trim().replace(/^"(.*)"$/, '$1') };
  });
  if (parts.length === 0) throw malformed();
  return parts;
}

function parsePartNumber(value: string | null): number {
  const parsed = Number(value);
  if (value === null || !/^\d+$/.test(value) || parsed < 1 || parsed > MAX_PART_NUMBER) {
    throw invalidArgument(`Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`);
  }
  return parsed;
}

export interface S3EmulatorOptions {
  /**
   * Plays a caller whose s3:ListBucket is limited to these key prefixes (an IAM condition on `s3:prefix`), as the
   * rotator's lease steps are: a listing under another prefix is refused, and a missing object answers 403
   * AccessDenied instead of 404 NoSuchKey (S3-30). @default - a caller that may list the whole bucket
   */
  readonly listBucketPrefixes?: readonly string[];
}

export async function startS3Emulator(options: S3EmulatorOptions = {}): Promise<S3Emulator> {
  const buckets = new Map<string, Bucket>();
  const uploads = new Map<string, MultipartUpload>();
  const { listBucketPrefixes } = options;
  const accessDenied = () => new S3Fault('AccessDenied', 'Access Denied', 403);
  /** S3-30: only a caller allowed s3:ListBucket learns that a key does not exist. */
  const missingObject = (bucketName: string, key: string) =>
    listBucketPrefixes === undefined ? new S3Fault('NoSuchKey', 'The specified key does not exist.', 404, { bucket: bucketName, key }) : accessDenied();

  const bucketNamed = (name: string): Bucket => {
    const bucket = buckets.get(name);
    if (!bucket) throw noSuchBucket(name);
    return bucket;
  };

  const objectAt = (bucketName: string, key: string): StoredObject => {
    const object = bucketNamed(bucketName).get(key);
    if (!object) throw missingObject(bucketName, key);
    return object;
  };

  function requestedEncryption(request: IncomingMessage): { sse?: string; kmsKeyId?: string } {
    const sse = header(request, 'x-amz-server-side-encryption');
    const kmsKeyId = header(request, 'x-amz-server-side-encryption-aws-kms-key-id');
    if (sse !== undefined && !SSE_ALGORITHMS.has(sse)) throw invalidArgument(`The encryption method specified is not supported: ${sse}`);
    if (kmsKeyId !== undefined && !sse?.startsWith('aws:kms')) {
      throw invalidArgument('x-amz-server-side-encryption-aws-kms-key-id is only valid with aws:kms or aws:kms:dsse encryption');
    }
    return { ...(sse === undefined ? {} : { sse }), ...(kmsKeyId === undefined ? {} : { kmsKeyId }) };
  }

  /** The request's body, decoded when sent `aws-chunked`, with the checksums it carried, each checked where possible. */
  function verifiedPayload(request: IncomingMessage, raw: Buffer): { body: Buffer; checksums: Map<string, string> } {
    const chunked = isAwsChunked(request);
    const { body, trailers } = chunked ? decodeAwsChunked(raw) : { body: raw, trailers: new Map<string, string>() };
    const declaredLength = header(request, 'x-amz-decoded-content-length');
    if (chunked && declaredLength !== undefined && Number(declaredLength) !== body.length) {
      throw new S3Fault('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header', 400);
    }
    const checksums = new Map<string, string>();
    for (const [name, value] of [...Object.entries(request.headers), ...trailers]) {
      if (CHECKSUM_HEADER.test(name) && typeof value === 'string') checksums.set(name, value);
    }
    for (const [name, expected] of checksums) {
      const compute = CHECKSUM_FUNCTIONS[name];
      if (compute && compute(body).toString('base64') !== expected) {
        throw new S3Fault('BadDigest', `The ${name.slice('x-amz-checksum-'.length).toUpperCase()} you specified did not match the calculated checksum.`, 400);
      }
    }
    return { body, checksums };
  }

  function putObject(request: IncomingMessage, raw: Buffer, bucketName: string, key: string): Record<string, string> {
    const bucket = bucketNamed(bucketName);
    if (header(request, 'x-amz-copy-source')) throw notImplemented('CopyObject');
    if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new S3Fault('KeyTooLongError', 'Your key is too long', 400);
    const { body, checksums } = verifiedPayload(request, raw);
    const { sse, kmsKeyId } = requestedEncryption(request);
    const contentType = header(request, 'content-type');
    checkWritePreconditions(request, bucketName, key, bucket.get(key));
    const object: StoredObject = {
      body,
      etag: etagOf(body, sse),
      lastModified: new Date(),
      checksums,
      ...(contentType === undefined ? {} : { contentType }),
      ...(sse === undefined ? {} : { sse }),
      ...(kmsKeyId === undefined ? {} : { kmsKeyId }),
    };
    bucket.set(key, object);
    return { ETag: object.etag, ...encryptionHeaders(object), ...Object.fromEntries(checksums) };
  }

  function uploadNamed(bucketName: string, key: string, uploadId: string): MultipartUpload {
    bucketNamed(bucketName);
    const upload = uploads.get(uploadId);
    if (!upload || upload.bucket !== bucketName || upload.key !== key) {
      throw new S3Fault('NoSuchUpload', 'The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.', 404, { bucket: bucketName, key });
    }
    return upload;
  }

  function createMultipartUpload(request: IncomingMessage, bucketName: string, key: string): Reply {
    bucketNamed(bucketName);
    if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new S3Fault('KeyTooLongError', 'Your key is too long', 400);
    const encryption = requestedEncryption(request);
    const contentType = header(request, 'content-type');
    const uploadId = randomUUID().replaceAll('-', '');
    uploads.set(uploadId, { bucket: bucketName, key, parts: new Map(), ...encryption, ...(contentType === undefined ? {} : { contentType }) });
    const body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult xmlns="${XML_NAMESPACE}">` +
      xmlElement('Bucket', bucketName) +
      xmlElement('Key', key) +
      xmlElement('UploadId', uploadId) +
      '</InitiateMultipartUploadResult>';
    return { status: 200, headers: { 'Content-Type': 'application/xml', ...encryptionHeaders(encryption) }, body };
  }

  function uploadPart(request: IncomingMessage, raw: Buffer, bucketName: string, key: string, query: URLSearchParams): Reply {
    if (header(request, 'x-amz-copy-source')) throw notImplemented('UploadPartCopy');
    const partNumber = parsePartNumber(query.get('partNumber'));
    const upload = uploadNamed(bucketName, key, query.get('uploadId') ?? '');
    const { body, checksums } = verifiedPayload(request, raw);
    // A part uploaded again under the same number replaces the earlier one.
    const part: UploadedPart = { body, etag: etagOf(body) };
    upload.parts.set(partNumber, part);
    return { status: 200, headers: { ETag: part.etag, ...encryptionHeaders(upload), ...Object.fromEntries(checksums) } };
  }

  function completeMultipartUpload(raw: Buffer, bucketName: string, key: string, uploadId: string): Reply {
    const upload = uploadNamed(bucketName, key, uploadId);
    const listed = completedParts(raw);
    const invalidPart = () =>
      new S3Fault('InvalidPart', "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.", 400, { bucket: bucketName, key });
    const parts = listed.map(({ partNumber, etag }, index) => {
      if (index > 0 && partNumber <= (listed[index - 1]?.partNumber ?? 0)) {
        throw new S3Fault('InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.', 400, { bucket: bucketName, key });
      }
      const part = upload.parts.get(partNumber);
      if (!part || part.etag.slice(1, -1) !== etag) throw invalidPart();
      return part;
    });
    if (parts.slice(0, -1).some((part) => part.body.length < MIN_PART_BYTES)) {
      throw new S3Fault('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', 400, { bucket: bucketName, key });
    }
    const object: StoredObject = {
      body: Buffer.concat(parts.map((part) => part.body)),
      etag: multipartEtagOf(parts),
      lastModified: new Date(),
      checksums: new Map(),
      ...(upload.contentType === undefined ? {} : { contentType: upload.contentType }),
      ...(upload.sse === undefined ? {} : { sse: upload.sse }),
      ...(upload.kmsKeyId === undefined ? {} : { kmsKeyId: upload.kmsKeyId }),
    };
    bucketNamed(bucketName).set(key, object);
    uploads.delete(uploadId);
    const body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult xmlns="${XML_NAMESPACE}">` +
      xmlElement('Location', `/${bucketName}/${key}`) +
      xmlElement('Bucket', bucketName) +
      xmlElement('Key', key) +
      xmlElement('ETag', object.etag) +
      '</CompleteMultipartUploadResult>';
    return { status: 200, headers: { 'Content-Type': 'application/xml', ...encryptionHeaders(object) }, body };
  }

  function multipartRequest(request: IncomingMessage, raw: Buffer, bucketName: string, key: string, query: URLSearchParams): Reply {
    const uploadId = query.get('uploadId');
    if (request.method === 'POST' && query.has('uploads')) return createMultipartUpload(request, bucketName, key);
    if (uploadId === null) throw notImplemented(`${request.method} with these multipart parameters`);
    switch (request.method) {
      case 'PUT':
        return uploadPart(request, raw, bucketName, key, query);
      case 'POST':
        return completeMultipartUpload(raw, bucketName, key, uploadId);
      case 'DELETE':
        uploadNamed(bucketName, key, uploadId);
        uploads.delete(uploadId);
        return { status: 204 };
      default:
        throw notImplemented(request.method === 'GET' ? 'ListParts' : `${request.method} on a multipart upload`);
    }
  }

  function encryptionHeaders(object: { readonly sse?: string; readonly kmsKeyId?: string }): Record<string, string> {
    return {
      'x-amz-server-side-encryption': object.sse ?? 'AES256',
      ...(object.kmsKeyId === undefined ? {} : { 'x-amz-server-side-encryption-aws-kms-key-id': object.kmsKeyId }),
    };
  }

  function objectHeaders(request: IncomingMessage, object: StoredObject): Record<string, string> {
    const checksumsWanted = header(request, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
    return {
      ETag: object.etag,
      'Last-Modified': object.lastModified.toUTCString(),
      'Content-Type': object.contentType ?? 'binary/octet-stream',
      ...encryptionHeaders(object),
      ...(checksumsWanted && object.checksums.size > 0
        ? { ...Object.fromEntries(object.checksums), 'x-amz-checksum-type': 'FULL_OBJECT' }
        : {}),
    };
  }

  function listObjectsV2(bucketName: string, query: URLSearchParams): string {
    const bucket = bucketNamed(bucketName);
    if (query.has('delimiter')) throw notImplemented('ListObjectsV2 with a delimiter');
    const prefix = query.get('prefix') ?? '';
    if (listBucketPrefixes !== undefined && !listBucketPrefixes.some((allowed) => prefix.startsWith(allowed))) throw accessDenied();
    const maxKeys = parseMaxKeys(query.get('max-keys'));
    const continuationToken = query.get('continuation-token');
    const startAfter = continuationToken === null ? (query.get('start-after') ?? '') : decodeContinuationToken(continuationToken);
    const urlEncoded = query.get('encoding-type') === 'url';
    const shownKey = (key: string) => (urlEncoded ? encodeURIComponent(key) : key);

    const matching = [...bucket.keys()]
      .filter((key) => key.startsWith(prefix) && compareKeys(key, startAfter) > 0)
      .sort(compareKeys);
    const page = matching.slice(0, maxKeys);
    const truncated = matching.length > page.length;
    const lastKey = page[page.length - 1];
    const contents = page.map((key) => {
      const object = bucket.get(key) as StoredObject;
      return (
        '<Contents>' +
        xmlElement('Key', shownKey(key)) +
        xmlElement('LastModified', object.lastModified.toISOString()) +
        xmlElement('ETag', object.etag) +
        xmlElement('Size', object.body.length) +
        xmlElement('StorageClass', 'STANDARD') +
        '</Contents>'
      );
    });
    return (
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="${XML_NAMESPACE}">` +
      xmlElement('Name', bucketName) +
      xmlElement('Prefix', shownKey(prefix)) +
      xmlElement('KeyCount', page.length) +
      xmlElement('MaxKeys', maxKeys) +
      xmlElement('IsTruncated', truncated) +
      (urlEncoded ? xmlElement('EncodingType', 'url') : '') +
      (continuationToken === null ? '' : xmlElement('ContinuationToken', continuationToken)) +
      (truncated && lastKey !== undefined ? xmlElement('NextContinuationToken', encodeContinuationToken(lastKey)) : '') +
      (query.has('start-after') ? xmlElement('StartAfter', shownKey(query.get('start-after') ?? '')) : '') +
      contents.join('') +
      '</ListBucketResult>'
    );
  }

  interface Reply {
    readonly status: number;
    readonly headers?: Record<string, string>;
    readonly body?: Buffer | string;
  }

  function bucketRequest(request: IncomingMessage, bucketName: string, query: URLSearchParams): Reply {
    switch (request.method) {
      case 'PUT':
        // "Amazon S3 returns this error in all Amazon Web Services Regions except in the North Virginia Region. For
        // legacy compatibility, if you re-create an existing bucket that you already own in the North Virginia Region,
        // Amazon S3 returns 200 OK".
        if (buckets.has(bucketName) && signingRegion(request) !== 'us-east-1') {
          throw new S3Fault('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', 409, { bucket: bucketName });
        }
        if (!buckets.has(bucketName)) buckets.set(bucketName, new Map());
        return { status: 200, headers: { Location: `/${bucketName}` } };
      case 'HEAD':
        bucketNamed(bucketName);
        return { status: 200 };
      case 'GET':
        if (query.get('list-type') !== '2') throw notImplemented('This bucket operation');
        return { status: 200, headers: { 'Content-Type': 'application/xml' }, body: listObjectsV2(bucketName, query) };
      default:
        throw notImplemented(`${request.method} on a bucket`);
    }
  }

  function objectRequest(request: IncomingMessage, raw: Buffer, bucketName: string, key: string, query: URLSearchParams): Reply {
    const unmodelled = [...query.keys()].find((name) => !IGNORED_QUERY.has(name) && !MULTIPART_QUERY.has(name));
    if (unmodelled !== undefined) throw notImplemented(`The object subresource or parameter "${unmodelled}"`);
    if (query.has('uploads') || query.has('uploadId')) return multipartRequest(request, raw, bucketName, key, query);
    if (query.has('partNumber')) throw notImplemented('A part number outside a multipart upload');
    switch (request.method) {
      case 'PUT':
        return { status: 200, headers: putObject(request, raw, bucketName, key) };
      case 'GET': {
        const object = objectAt(bucketName, key);
        return { status: 200, headers: objectHeaders(request, object), body: object.body };
      }
      case 'HEAD': {
        const object = objectAt(bucketName, key);
        return { status: 200, headers: { ...objectHeaders(request, object), 'Content-Length': String(object.body.length) } };
      }
      case 'DELETE': {
        // Conditional delete: `If-Match` (an ETag or `*`) is checked against the current object as for a write.
        if (header(request, 'if-match') !== undefined) {
          const current = bucketNamed(bucketName).get(key);
          if (!current) throw missingObject(bucketName, key);
          checkWritePreconditions(request, bucketName, key, current);
        }
        bucketNamed(bucketName).delete(key);
        return { status: 204 };
      }
      default:
        throw notImplemented(`${request.method} on an object`);
    }
  }

  function route(request: IncomingMessage, raw: Buffer): Reply {
    const url = new URL(request.url ?? '/', 'http://emulator');
    const [bucketSegment = '', ...keySegments] = url.pathname.slice(1).split('/');
    const decode = (segment: string): string => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw new S3Fault('InvalidURI', "Couldn't parse the specified URI.", 400);
      }
    };
    const bucketName = decode(bucketSegment);
    const key = keySegments.map(decode).join('/');
    if (bucketName === '') throw notImplemented('ListBuckets');
    return key === '' ? bucketRequest(request, bucketName, url.searchParams) : objectRequest(request, raw, bucketName, key, url.searchParams);
  }

  function errorReply(fault: S3Fault, requestId: string): Reply {
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error>' +
      xmlElement('Code', fault.code) +
      xmlElement('Message', fault.message) +
      (fault.condition === undefined ? '' : xmlElement('Condition', fault.condition)) +
      (fault.resource ? xmlElement('BucketName', fault.resource.bucket) : '') +
      (fault.resource?.key === undefined ? '' : xmlElement('Key', fault.resource.key)) +
      xmlElement('RequestId', requestId) +
      '</Error>';
    return { status: fault.status, headers: { 'Content-Type': 'application/xml' }, body };
  }

  function send(request: IncomingMessage, response: ServerResponse, reply: Reply, requestId: string): void {
    const body = reply.body === undefined ? Buffer.alloc(0) : Buffer.from(reply.body);
    response.writeHead(reply.status, {
      'x-amz-request-id': requestId,
      ...(reply.headers ?? {}),
      ...(request.method === 'HEAD' ? {} : { 'Content-Length': String(body.length) }),
    });
    // HEAD answers carry the headers of the GET, never a body (errors included).
    response.end(request.method === 'HEAD' ? undefined : body);
  }

  const server = createServer((request, response) => {
    readBody(request).then(
      (raw) => {
        const requestId = randomUUID();
        let reply: Reply;
        try {
          reply = route(request, raw);
        } catch (error) {
          // An emulator bug: say what it was, so a failing test points at it.
          const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          const fault = error instanceof S3Fault ? error : new S3Fault('InternalError', `The S3 emulator failed: ${detail}`, 500);
          reply = errorReply(fault, requestId);
        }
        send(request, response, reply, requestId);
      },
      // The client went away mid-request: there is no one left to answer.
      () => response.destroy(),
    );
  });
  const { endpoint } = await listenOnLoopback(server);

  return {
    endpoint,
    objects(bucketName) {
      return [...bucketNamed(bucketName)]
        .sort(([a], [b]) => compareKeys(a, b))
        .map(([key, object]) => ({
          key,
          body: object.body.toString('utf8'),
          ...(object.contentType === undefined ? {} : { contentType: object.contentType }),
          ...(object.sse === undefined ? {} : { sse: object.sse }),
          ...(object.kmsKeyId === undefined ? {} : { kmsKeyId: object.kmsKeyId }),
        }));
    },
    createBucket(name) {
      if (!buckets.has(name)) buckets.set(name, new Map());
    },
    snapshot() {
      return {
        buckets: [...buckets].map(([name, bucket]) => ({
          name,
          objects: [...bucket].map(([key, object]) => ({
            key,
            body: object.body.toString('base64'),
            ...(object.contentType === undefined ? {} : { contentType: object.contentType }),
            ...(object.sse === undefined ? {} : { sse: object.sse }),
            ...(object.kmsKeyId === undefined ? {} : { kmsKeyId: object.kmsKeyId }),
            etag: object.etag,
            lastModified: object.lastModified.toISOString(),
            checksums: [...object.checksums],
          })),
        })),
      };
    },
    uploadsInProgress(bucketName) {
      bucketNamed(bucketName);
      return [...uploads]
        .filter(([, upload]) => upload.bucket === bucketName)
        .map(([uploadId, upload]) => ({ key: upload.key, uploadId, parts: upload.parts.size }));
    },
    restore(snapshot) {
      buckets.clear();
      uploads.clear();
      for (const { name, objects } of snapshot.buckets) {
        const bucket: Bucket = new Map();
        for (const { key, body, contentType, sse, kmsKeyId, etag, lastModified, checksums } of objects) {
          bucket.set(key, {
            body: Buffer.from(body, 'base64'),
            ...(contentType === undefined ? {} : { contentType }),
            ...(sse === undefined ? {} : { sse }),
            ...(kmsKeyId === undefined ? {} : { kmsKeyId }),
            etag,
            lastModified: new Date(lastModified),
            checksums: new Map(checksums),
          });
        }
        buckets.set(name, bucket);
      }
    },
    seed(bucketName, objects) {
      const bucket = bucketNamed(bucketName);
      for (const { key, body, contentType } of objects) {
        const bytes = Buffer.from(body, 'utf8');
        bucket.set(key, {
          body: bytes,
          etag: etagOf(bytes),
          lastModified: new Date(),
          checksums: new Map([['x-amz-checksum-crc32', crc32(bytes).toString('base64')]]),
          ...(contentType === undefined ? {} : { contentType }),
        });
      }
    },
    close() {
      return closeServer(server);
    },
  };
}
