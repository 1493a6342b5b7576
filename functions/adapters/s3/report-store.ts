/** The report store over S3: parts and the finished report as objects in the report bucket (see domain/report/keys). */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { parseJsonLines, toJsonLines } from '../../domain/report/format';
import type { ReportRow } from '../../domain/report/rows';
import type { ReportStorePort } from '../../domain/ports';
import { PART_SUFFIX, partFileName, partsPrefix, reportKeys, type ReportFiles, type ReportKeys } from '../../domain/report/keys';

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

const CONTENT_TYPES = {
  jsonLines: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  html: 'text/html; charset=utf-8',
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
    if (files.html !== undefined) await this.put(keys.htmlKey, files.html, CONTENT_TYPES.html);
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
