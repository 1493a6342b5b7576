/** The report store over S3: parts and the finished report as objects in the report bucket (see domain/report/keys). */
import { StringDecoder } from 'node:string_decoder';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
  type CompletedPart,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { parseJsonLine, parseJsonLines, toJsonLines } from '../../domain/report/format';
import type { ReportRow } from '../../domain/report/rows';
import type { ReportStorePort, ReportUpload } from '../../domain/ports';
import { PART_SUFFIX, partFileName, partsPrefix, type ReportFileKind } from '../../domain/report/keys';

export interface S3ReportStoreOptions {
  readonly bucket: string;
  /** When set, every object is written with SSE-KMS under this key; otherwise the bucket's default encryption applies. */
  readonly kmsKeyId?: string;
}

/**
 * A report store operation failed: an S3 call, or a part or sorted run that does not parse (`ParsePart`, the cause
 * names the line).
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

const CONTENT_TYPES: Readonly<Record<ReportFileKind, string>> = {
  jsonLines: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  html: 'text/html; charset=utf-8',
  manifest: 'application/json; charset=utf-8',
};

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

  async *readRows(key: string): AsyncIterable<ReportRow> {
    const object = await this.call('GetObject', key, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })));
    const decoder = new StringDecoder('utf8');
    let pending = '';
    let lineNumber = 0;
    const parse = (line: string): ReportRow => {
      try {
        return parseJsonLine(line, lineNumber);
      } catch (error) {
        throw new ReportStoreError('ParsePart', this.bucket, key, { cause: error });
      }
    };
    // Line by line as the bytes arrive: a sorted run is never held whole.
    for await (const chunk of this.streamOf(object.Body, key)) {
      const lines = (pending + decoder.write(chunk)).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        lineNumber += 1;
        if (line !== '') yield parse(line);
      }
    }
    pending += decoder.end();
    lineNumber += 1;
    if (pending !== '') yield parse(pending);
  }

  async startUpload(key: string, kind: ReportFileKind): Promise<ReportUpload> {
    const created = await this.call('CreateMultipartUpload', key, () =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: CONTENT_TYPES[kind], ...this.encryption })),
    );
    const uploadId = created.UploadId ?? '';
    const parts: CompletedPart[] = [];
    return {
      uploadPart: async (partNumber, body) => {
        const { ETag } = await this.call('UploadPart', key, () =>
          this.client.send(
            new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.byteLength }),
          ),
        );
        parts.push({ PartNumber: partNumber, ETag });
      },
      complete: async () => {
        const ordered = [...parts].sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
        await this.call('CompleteMultipartUpload', key, () =>
          this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: ordered } })),
        );
      },
      abort: async () => {
        await this.call('AbortMultipartUpload', key, () => this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })));
      },
    };
  }

  async putFile(key: string, kind: ReportFileKind, body: string): Promise<void> {
    await this.put(key, body, CONTENT_TYPES[kind]);
  }

  private streamOf(body: unknown, key: string): AsyncIterable<Uint8Array> {
    if (body === null || typeof body !== 'object' || !(Symbol.asyncIterator in body)) {
      throw new ReportStoreError('GetObject', this.bucket, key, { cause: new TypeError('the object body is not a stream') });
    }
    return body as AsyncIterable<Uint8Array>;
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
