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
const SECRET_WRITE_ACTIONS = [
  'secretsmanager:CreateSecret',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
  'secretsmanager:TagResource',
];
const NOTICE_LEDGER_ACTIONS = ['secretsmanager:DescribeSecret', 'secretsmanager:TagResource', 'secretsmanager:UntagResource'];
const KEY_ENCRYPT_ACTIONS = ['kms:Encrypt', 'kms:GenerateDataKey'];

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

/** Stage and promote credential secrets (and share them with consumers when `consumerAccess` is set). */
const grantCredentialSecretWrites: Binder = (fn, targets) => {
  grantCredentialSecretReads(fn, targets);
  const { consumerAccess } = targets.config;
  const sharesWithConsumers = Object.keys(consumerAccess).length > 0;
  bindCredentialSecrets(fn, targets, [...SECRET_WRITE_ACTIONS, ...(sharesWithConsumers ? ['secretsmanager:PutResourcePolicy'] : [])]);
  grantKeyUse(fn, targets.encryptionKey, KEY_ENCRYPT_ACTIONS);
};

/** Queue notices: create a credential secret holding only its placeholder version (the ledger) and tag it. */
const grantNoticeLedger: Binder = (fn, targets) => {
  bindCredentialSecrets(fn, targets, ['secretsmanager:CreateSecret', ...NOTICE_LEDGER_ACTIONS]);
  grantKeyUse(fn, targets.encryptionKey, [...KEY_ENCRYPT_ACTIONS, 'kms:Decrypt']);
};

/** Find secrets with queued notices, send the digests from the configured sender and mark them sent. */
const grantNoticeDelivery: Binder = (fn, targets) => {
  const sender = targets.config.notificationSender;
  bindCredentialSecrets(fn, targets, NOTICE_LEDGER_ACTIONS);
  grantCredentialSecretListing(fn, targets);
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['ses:SendEmail', 'ses:SendRawEmail'],
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
 * Acquire, renew and release the run lease objects: conditional PutObject, GetObject and conditional DeleteObject on
 * `leases/` only (a conditional delete with an ETag needs s3:GetObject too), ListBucket on that prefix so a missing
 * lease reads as 404 rather than 403, the bucket key through S3, and DescribeExecution on the executions of the
 * rotator's own state machines, to tell whether a lease's holder still runs.
 */
const grantRunLease: Binder = (fn, { reportBucket, encryptionKey, stateMachineNames }) => {
  const stack = Stack.of(fn);
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
      resources: [reportBucket.arnForObjects(`${LEASE_PREFIX}*`)],
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [reportBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': `${LEASE_PREFIX}*` } },
    }),
  );
  grantKeyUse(fn, encryptionKey, ['kms:GenerateDataKey', 'kms:Decrypt'], 's3');
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['states:DescribeExecution'],
      // One execution ARN pattern per state machine: `execution:<name>:<execution name>`, any execution of ours.
      resources: stateMachineNames.map((name) => executionArnPattern(stack, name)),
    }),
  );
  fn.addEnvironment('REPORT_BUCKET', reportBucket.bucketName);
};

/** Every execution of the state machine `name`: `arn:…:execution:<name>:*`. */
export function executionArnPattern(stack: Stack, name: string): string {
  return stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${name}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/** Each access name of the registry and the grants behind it. */
const BINDERS: Record<StepAccess, Binder> = {
  apic: grantApicAccess,
  'credential-reads': grantCredentialSecretReads,
  'credential-writes': grantCredentialSecretWrites,
  'notice-ledger': grantNoticeLedger,
  'notice-delivery': grantNoticeDelivery,
  'rotation-events': grantRotationEvents,
  'report-parts': grantReportWrites,
  'report-build': grantReportBuild,
  'secret-listing': grantCredentialSecretListing,
  'run-lease': grantRunLease,
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
