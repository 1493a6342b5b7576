import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { REPORT_PREFIX } from '../functions/domain/report/keys';

/** Days after which an unfinished multipart upload of a report is aborted: a retried BuildReport starts a new one. */
const INCOMPLETE_UPLOAD_DAYS = 1;

export interface ReportBucketProps {
  readonly encryptionKey: kms.IKey;
  /** Reports and the bucket's access logs expire after this many days. */
  readonly retentionDays: number;
}

/**
 * The bucket of the run reports (ids `Reports` and `ReportAccessLogs` in `scope`): private, encrypted with the
 * rotator's key, TLS only, expiring after `retentionDays` (unfinished multipart uploads after a day), with its access
 * logs in a bucket of their own.
 */
export function createReportBucket(scope: Construct, props: ReportBucketProps): s3.Bucket {
  const expiration = Duration.days(props.retentionDays);
  const accessLogs = new s3.Bucket(scope, 'ReportAccessLogs', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
    lifecycleRules: [{ expiration }],
  });
  return new s3.Bucket(scope, 'Reports', {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: props.encryptionKey,
    bucketKeyEnabled: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    serverAccessLogsBucket: accessLogs,
    serverAccessLogsPrefix: 'reports/',
    // BuildReport aborts its multipart uploads when it fails; one cut short by a timeout or a crash is aborted here.
    lifecycleRules: [{ prefix: REPORT_PREFIX, expiration, abortIncompleteMultipartUploadAfter: Duration.days(INCOMPLETE_UPLOAD_DAYS) }],
  });
}
