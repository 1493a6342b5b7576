import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { RotatorConfig } from '../functions/domain/config';
import { LEASE_PREFIX } from '../functions/domain/lease/decide';
import { REPORT_PREFIX } from '../functions/domain/report/keys';
import type { StepAccess } from '../functions/steps';
import type { RotatorFunction } from './lambda-defaults';

/** What the grants point at: the rotator's config and resources. */
export interface StepGrantTargets {
  readonly config: RotatorConfig;
  readonly encryptionKey: kms.IKey;
  /** Every credential secret lives under this ARN pattern. */
  readonly credentialSecretsArn: string;
  readonly reportBucket: s3.IBucket;
  readonly eventBus: events.IEventBus;
  /** The names of the rotator's state machines: the lease steps may ask about their executions only. */
  readonly stateMachineNames: readonly string[];
}

/**
 * Gives a step's function each access the step registry names for it (functions/steps.ts). The config itself is a
 * file in every function's asset (RotatorFunction), so the environment only carries what is known at deploy.
 */
export function bindStep(fn: RotatorFunction, access: readonly StepAccess[], targets: StepGrantTargets): void {
  for (const name of access) BINDERS[name](fn, targets);
}

type Binder = (fn: RotatorFunction, targets: StepGrantTargets) => void;

const SECRET_READ_ACTIONS = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
/** Make a staged version current. */
const SECRET_PROMOTE_ACTIONS = ['secretsmanager:UpdateSecretVersionStage'];
/** Stage a new value on an existing secret and promote it. */
const SECRET_RESTAGE_ACTIONS = ['secretsmanager:PutSecretValue', ...SECRET_PROMOTE_ACTIONS];
/** Create the secret too; CreateSecret with tags needs TagResource as well (API_CreateSecret, "Required permissions"). */
const SECRET_WRITE_ACTIONS = ['secretsmanager:CreateSecret', 'secretsmanager:TagResource', ...SECRET_RESTAGE_ACTIONS];
/**
 * Writing a secret value under a customer managed key: "To use the KMS key for a secret on your behalf, the user must
 * have the following permissions … kms:GenerateDataKey, kms:Decrypt"
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html#security-encryption-authz).
 * kms:Encrypt is only for re-encrypting versions under a new key, which the rotator never asks for.
 */
const KEY_ENCRYPT_ACTIONS = ['kms:GenerateDataKey'];

/**
 * Call APIC: read the admin secret (that one only, decrypting it with its own key when `adminSecretKeyArn` names one).
 * The CA bundle comes with the config file.
 */
const grantApicAccess: Binder = (fn, { config }) => {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue'],
      resources: adminSecretArns(Stack.of(fn), config.adminSecretName),
    }),
  );
  if (config.adminSecretKeyArn !== undefined) grantKeyUse(fn, config.adminSecretKeyArn, ['kms:Decrypt']);
  fn.addEnvironment('ADMIN_SECRET_ID', config.adminSecretName);
};

/** Describe and read credential secrets. */
const grantCredentialSecretReads: Binder = (fn, targets) => {
  bindCredentialSecrets(fn, targets, SECRET_READ_ACTIONS);
  grantKeyUse(fn, targets.encryptionKey, ['kms:Decrypt']);
};

/** Create, stage and promote credential secrets (and share them with consumers when `consumerAccess` is set). */
const grantCredentialSecretWrites: Binder = (fn, targets) => grantSecretValueWrites(fn, targets, SECRET_WRITE_ACTIONS);

/** Stage a new value on an existing credential secret and promote it (shared with consumers like a created one). */
const grantCredentialSecretRepairs: Binder = (fn, targets) => grantSecretValueWrites(fn, targets, SECRET_RESTAGE_ACTIONS);

/** Promote a staged credential secret version: no value is written. */
const grantCredentialSecretPromotion: Binder = (fn, targets) => {
  grantCredentialSecretReads(fn, targets);
  bindCredentialSecrets(fn, targets, SECRET_PROMOTE_ACTIONS);
};

function grantSecretValueWrites(fn: RotatorFunction, targets: StepGrantTargets, actions: readonly string[]): void {
  grantCredentialSecretReads(fn, targets);
  const { consumerAccess } = targets.config;
  const sharesWithConsumers = Object.keys(consumerAccess).length > 0;
  bindCredentialSecrets(fn, targets, [...actions, ...(sharesWithConsumers ? ['secretsmanager:PutResourcePolicy'] : [])]);
  grantKeyUse(fn, targets.encryptionKey, KEY_ENCRYPT_ACTIONS);
}

/** Queue notices: create a credential secret holding only its placeholder version (the ledger) and tag it. */
const grantNoticeLedger: Binder = (fn, targets) => {
  bindCredentialSecrets(fn, targets, ['secretsmanager:CreateSecret', 'secretsmanager:DescribeSecret', 'secretsmanager:TagResource']);
  grantKeyUse(fn, targets.encryptionKey, [...KEY_ENCRYPT_ACTIONS, 'kms:Decrypt']);
};

/** Find secrets with queued notices, send the digests from the configured sender and mark them sent. */
const grantNoticeDelivery: Binder = (fn, targets) => {
  const sender = targets.config.notificationSender;
  bindCredentialSecrets(fn, targets, ['secretsmanager:DescribeSecret', 'secretsmanager:TagResource', 'secretsmanager:UntagResource']);
  grantCredentialSecretListing(fn, targets);
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['ses:SendEmail'],
      resources: [Stack.of(fn).formatArn({ service: 'ses', resource: 'identity', resourceName: '*' })],
      conditions: { StringEquals: { 'ses:FromAddress': sender } },
    }),
  );
  fn.addEnvironment('NOTIFICATION_SENDER', sender);
};

/** Write report parts of a run (objects under `reports/` only). */
const grantReportWrites: Binder = (fn, { reportBucket, encryptionKey }) => {
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [reportBucket.arnForObjects(`${REPORT_PREFIX}*`)] }));
  grantKeyUse(fn, encryptionKey, ['kms:GenerateDataKey'], 's3');
  fn.addEnvironment('REPORT_BUCKET', reportBucket.bucketName);
};

/**
 * List and read a run's report parts and write the assembled report. Its large files go up as multipart uploads:
 * s3:PutObject covers CreateMultipartUpload, UploadPart and CompleteMultipartUpload; a failed build aborts its uploads
 * (s3:AbortMultipartUpload), and SSE-KMS parts need kms:Decrypt as well as kms:GenerateDataKey.
 */
const grantReportBuild: Binder = (fn, targets) => {
  const { reportBucket } = targets;
  grantReportWrites(fn, targets);
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:AbortMultipartUpload'], resources: [reportBucket.arnForObjects(`${REPORT_PREFIX}*`)] }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [reportBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': `${REPORT_PREFIX}*` } },
    }),
  );
  grantKeyUse(fn, targets.encryptionKey, ['kms:Decrypt'], 's3');
};

/** List credential secrets by name and tags (never values). */
const grantCredentialSecretListing: Binder = (fn, { config }) => {
  // ListSecrets cannot be scoped to resources; it returns names and tags only, never values.
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:ListSecrets'], resources: ['*'] }));
  fn.addEnvironment('SECRET_PREFIX', config.secretPrefix);
};

/** Publish rotation events to the bus. */
const grantRotationEvents: Binder = (fn, { eventBus }) => {
  eventBus.grantPutEventsTo(fn);
  fn.addEnvironment('EVENT_BUS_NAME', eventBus.eventBusName);
};

/**
 * Take the run lease: create it (conditional PutObject), read a held one (GetObject), take it over when its holder is
 * gone (conditional PutObject, after DescribeExecution on the executions of the rotator's own state machines) and
 * give back the ones taken so far when a later one is held (conditional DeleteObject). ListBucket on `leases/` so a
 * missing lease reads as 404 rather than 403, and the bucket key through S3.
 */
const grantRunLease: Binder = (fn, targets) => {
  bindLeaseObjects(fn, targets, ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'], ['kms:GenerateDataKey', 'kms:Decrypt']);
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['states:DescribeExecution'],
      // One execution ARN pattern per state machine: `execution:<name>:<execution name>`, any execution of ours.
      resources: targets.stateMachineNames.map((name) => executionArnPattern(Stack.of(fn), name)),
    }),
  );
};

/** Renew the run lease the run holds: read it and extend it (conditional PutObject). */
const grantRunLeaseRenewal: Binder = (fn, targets) => bindLeaseObjects(fn, targets, ['s3:PutObject', 's3:GetObject'], ['kms:GenerateDataKey', 'kms:Decrypt']);

/** Release the run lease the run holds: read it and delete it if still ours (conditional DeleteObject). */
const grantRunLeaseRelease: Binder = (fn, targets) => bindLeaseObjects(fn, targets, ['s3:GetObject', 's3:DeleteObject'], ['kms:Decrypt']);

function bindLeaseObjects(fn: RotatorFunction, { reportBucket, encryptionKey }: StepGrantTargets, actions: string[], keyActions: string[]): void {
  fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [reportBucket.arnForObjects(`${LEASE_PREFIX}*`)] }));
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [reportBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': `${LEASE_PREFIX}*` } },
    }),
  );
  grantKeyUse(fn, encryptionKey, keyActions, 's3');
  fn.addEnvironment('REPORT_BUCKET', reportBucket.bucketName);
}

/** Every execution of the state machine `name`: `arn:…:execution:<name>:*`. */
export function executionArnPattern(stack: Stack, name: string): string {
  return stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${name}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/** Each access name of the registry and the grants behind it. */
const BINDERS: Record<StepAccess, Binder> = {
  apic: grantApicAccess,
  'credential-reads': grantCredentialSecretReads,
  'credential-writes': grantCredentialSecretWrites,
  'credential-repairs': grantCredentialSecretRepairs,
  'credential-promotion': grantCredentialSecretPromotion,
  'notice-ledger': grantNoticeLedger,
  'notice-delivery': grantNoticeDelivery,
  'rotation-events': grantRotationEvents,
  'report-parts': grantReportWrites,
  'report-build': grantReportBuild,
  'secret-listing': grantCredentialSecretListing,
  'run-lease': grantRunLease,
  'run-lease-renewal': grantRunLeaseRenewal,
  'run-lease-release': grantRunLeaseRelease,
};

function bindCredentialSecrets(fn: RotatorFunction, targets: StepGrantTargets, actions: string[]): void {
  fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [targets.credentialSecretsArn] }));
  fn.addEnvironment('SECRET_PREFIX', targets.config.secretPrefix);
  fn.addEnvironment('SECRET_KMS_KEY_ID', targets.encryptionKey.keyArn);
}

/** Key use only through the one service that needs it, so the grant cannot be used to decrypt anything else with the key. */
function grantKeyUse(fn: RotatorFunction, key: kms.IKey | string, actions: string[], viaService: 'secretsmanager' | 's3' = 'secretsmanager'): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions,
      resources: [typeof key === 'string' ? key : key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `${viaService}.${Stack.of(fn).region}.amazonaws.com` } },
    }),
  );
}

/** The admin secret's ARN patterns: a name gets Secrets Manager's random 6-character suffix; an ARN may be complete or partial. */
function adminSecretArns(stack: Stack, nameOrArn: string): string[] {
  if (nameOrArn.startsWith('arn:')) return [nameOrArn, `${nameOrArn}-??????`];
  return [
    stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${nameOrArn}-??????`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
  ];
}
