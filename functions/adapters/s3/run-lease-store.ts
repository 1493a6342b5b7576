/** The run lease objects in the report bucket, written with S3 conditional requests (see docs/design.md "Run lease"). */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { parseLeaseRecord, type LeaseRecord, type StoredLease } from '../../domain/lease/decide';
import type { RunLeasePort } from '../../domain/ports';

export interface S3RunLeaseStoreOptions {
  readonly bucket: string;
}

/** A lease call failed otherwise than by a precondition: the message names the operation and the object. */
export class RunLeaseStoreError extends Error {
  constructor(operation: string, bucket: string, key: string, options?: ErrorOptions) {
    super(`${operation} failed for s3://${bucket}/${key}`, options);
    this.name = 'RunLeaseStoreError';
  }
}

function isNoSuchKey(error: unknown): boolean {
  return error instanceof S3ServiceException && error.name === 'NoSuchKey';
}

function isAccessDenied(error: unknown): boolean {
  return error instanceof S3ServiceException && error.$metadata.httpStatusCode === 403;
}

/**
 * 412 PreconditionFailed: the object exists (If-None-Match) or changed (If-Match). 409 ConditionalRequestConflict:
 * a concurrent write to the key won. NoSuchKey (404): the object compared with is gone. Each means "not as
 * expected"; anything else (a missing bucket, access denied) is an error.
 */
function notAsExpected(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  const status = error.$metadata.httpStatusCode;
  return status === 412 || status === 409 || isNoSuchKey(error);
}

export class S3RunLeaseStore implements RunLeasePort {
  constructor(
    private readonly s3: S3Client,
    private readonly options: S3RunLeaseStoreOptions,
  ) {}

  create(key: string, record: LeaseRecord): Promise<boolean> {
    return this.put('CreateLease', key, record, { IfNoneMatch: '*' });
  }

  replace(key: string, record: LeaseRecord, etag: string): Promise<boolean> {
    return this.put('ReplaceLease', key, record, { IfMatch: etag });
  }

  async read(key: string): Promise<StoredLease | undefined> {
    try {
      const answer = await this.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
      const text = (await answer.Body?.transformToString('utf-8')) ?? '';
      return { record: parseLeaseRecord(text), etag: answer.ETag ?? '' };
    } catch (error) {
      if (isNoSuchKey(error) || (isAccessDenied(error) && (await this.isAbsent(key)))) return undefined;
      throw new RunLeaseStoreError('ReadLease', this.options.bucket, key, { cause: error });
    }
  }

  async remove(key: string, etag: string): Promise<boolean> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key, IfMatch: etag }));
      return true;
    } catch (error) {
      if (notAsExpected(error) || (isAccessDenied(error) && (await this.isAbsent(key)))) return false;
      throw new RunLeaseStoreError('ReleaseLease', this.options.bucket, key, { cause: error });
    }
  }

  /**
   * S3 answers a request for a missing object with 404 only to a caller allowed s3:ListBucket, and with 403 otherwise
   * (API_GetObject, "Permissions"). The lease steps may list the bucket under `leases/` only, and whether S3 counts a
   * grant conditioned on `s3:prefix` for that answer is not documented: a 403 is settled by listing the key itself,
   * a request that grant does allow. When the listing fails too, the 403 stands.
   */
  private async isAbsent(key: string): Promise<boolean> {
    try {
      const listing = await this.s3.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: key, MaxKeys: 1 }));
      return !(listing.Contents ?? []).some((object) => object.Key === key);
    } catch {
      return false;
    }
  }

  private async put(operation: string, key: string, record: LeaseRecord, condition: { IfNoneMatch: string } | { IfMatch: string }): Promise<boolean> {
    try {
      await this.s3.send(
        new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: JSON.stringify(record), ContentType: 'application/json', ...condition }),
      );
      return true;
    } catch (error) {
      if (notAsExpected(error)) return false;
      throw new RunLeaseStoreError(operation, this.options.bucket, key, { cause: error });
    }
  }
}
