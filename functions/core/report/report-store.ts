/**
 * Where the inventory report lives: S3 objects under `reports/`.
 *
 * - parts:  `reports/<runId>/parts/<partName>.jsonl` (JSON Lines, one per ScanPage or AssessApp invocation)
 * - report: `reports/<YYYY-MM-DD>/<runId>/report.csv`, `report.json`, `manifest.json`
 *
 * The run id and part names are encoded so any value gives a safe key; a part name always maps to the same key, so
 * a retried step overwrites its part instead of adding a second one.
 */
import { createHash } from 'node:crypto';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { parseJsonLines, toJsonLines } from './format';
import type { ReportRow } from './rows';

export interface ReportFiles {
  readonly csv: string;
  readonly json: string;
  readonly manifest: string;
}

export interface ReportKeys {
  readonly csvKey: string;
  readonly jsonKey: string;
  readonly manifestKey: string;
}

export interface ReportStorePort {
  /** Writes (or overwrites) one part of the run's rows. */
  putPart(runId: string, partName: string, rows: readonly ReportRow[]): Promise<void>;
  /** The keys of every part of the run, in key order, all pages. */
  listParts(runId: string): AsyncIterable<string>;
  readPart(key: string): Promise<ReportRow[]>;
  /** Writes the finished report; `runDate` is the run's YYYY-MM-DD (UTC). */
  putReport(runId: string, files: ReportFiles, runDate: string): Promise<ReportKeys>;
}

export interface S3ReportStoreOptions {
  readonly bucket: string;
  /** When set, every object is written with SSE-KMS under this key; otherwise the bucket's default encryption applies. */
  readonly kmsKeyId?: string;
}

/**
 * A report store operation failed: an S3 call, or a part that does not parse (`ParsePart`, the cause names the line).
 * The message names the operation and the object, never the object's content.
 */
export class ReportStoreError extends Error {
  /** The S3 error name (e.g. `NoSuchKey`, `AccessDenied`) when S3 answered one. */
  readonly awsErrorName?: string;

  constructor(
    readonly operation: string,
    readonly bucket: string,
    readonly key: string,
    options?: ErrorOptions,
  ) {
    super(`${operation} failed for s3://${bucket}/${key}`, options);
    this.name = 'ReportStoreError';
    if (options?.cause instanceof S3ServiceException) this.awsErrorName = options.cause.name;
  }
}

export const REPORT_PREFIX = 'reports/';
const PART_SUFFIX = '.jsonl';
const RUN_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Enough of a part name to recognise it in a listing; the hash keeps truncated names apart. */
const PART_SLUG_LENGTH = 80;

/** Keeps letters, digits and '-'; any other UTF-8 byte becomes `_XX`. Reversible, and never `.` or `..`. */
export function encodeKeySegment(value: string): string {
  if (value === '') throw new RangeError('a report key segment must not be empty');
  let encoded = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9-]/.test(char) ? char : `_${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** A readable, bounded and collision-resistant key segment for a part name of any length or alphabet. */
export function partFileName(partName: string): string {
  if (partName === '') throw new RangeError('a report part name must not be empty');
  const slug = partName.replace(/[^A-Za-z0-9-]+/g, '_').slice(0, PART_SLUG_LENGTH);
  const digest = createHash('sha256').update(partName, 'utf8').digest('hex').slice(0, 20);
  return `${slug}-${digest}${PART_SUFFIX}`;
}

export function partsPrefix(runId: string): string {
  return `${REPORT_PREFIX}${encodeKeySegment(runId)}/parts/`;
}

export function reportKeys(runId: string, runDate: string): ReportKeys {
  if (!RUN_DATE.test(runDate)) throw new RangeError(`runDate must be YYYY-MM-DD, got ${JSON.stringify(runDate)}`);
  const folder = `${REPORT_PREFIX}${runDate}/${encodeKeySegment(runId)}/`;
  return { csvKey: `${folder}report.csv`, jsonKey: `${folder}report.json`, manifestKey: `${folder}manifest.json` };
}

const CONTENT_TYPES = {
  jsonLines: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
} as const;

export class S3ReportStore implements ReportStorePort {
  private readonly bucket: string;
  private readonly encryption: Pick<PutObjectCommandInput, 'ServerSideEncryption' | 'SSEKMSKeyId'>;

  constructor(
    private readonly client: S3Client,
    options: S3ReportStoreOptions,
  ) {
    this.bucket = options.bucket;
    this.encryption = options.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: options.kmsKeyId } : {};
  }

  async putPart(runId: string, partName: string, rows: readonly ReportRow[]): Promise<void> {
    await this.put(`${partsPrefix(runId)}${partFileName(partName)}`, toJsonLines(rows), CONTENT_TYPES.jsonLines);
  }

  async *listParts(runId: string): AsyncIterable<string> {
    const prefix = partsPrefix(runId);
    let continuationToken: string | undefined;
    do {
      const page = await this.call('ListObjectsV2', prefix, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: continuationToken })),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key?.endsWith(PART_SUFFIX)) yield object.Key;
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
  }

  async readPart(key: string): Promise<ReportRow[]> {
    const text = await this.call('GetObject', key, async () => {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await object.Body?.transformToString('utf-8')) ?? '';
    });
    try {
      return parseJsonLines(text);
    } catch (error) {
      throw new ReportStoreError('ParsePart', this.bucket, key, { cause: error });
    }
  }

  async putReport(runId: string, files: ReportFiles, runDate: string): Promise<ReportKeys> {
    const keys = reportKeys(runId, runDate);
    // The manifest goes last: whoever sees it can rely on the report files being there.
    await this.put(keys.csvKey, files.csv, CONTENT_TYPES.csv);
    await this.put(keys.jsonKey, files.json, CONTENT_TYPES.json);
    await this.put(keys.manifestKey, files.manifest, CONTENT_TYPES.json);
    return keys;
  }

  private async put(key: string, body: string, contentType: string): Promise<void> {
    await this.call('PutObject', key, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          // Stated, not inferred: the SDK cannot infer it for an empty body and then warns about streams of unknown length.
          ContentLength: Buffer.byteLength(body, 'utf8'),
          ContentType: contentType,
          ...this.encryption,
        }),
      ),
    );
  }

  private async call<T>(operation: string, key: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw new ReportStoreError(operation, this.bucket, key, { cause: error });
    }
  }
}
