/**
 * Builds the production ports from the Lambda environment. SDK clients take their endpoints from the SDK's
 * standard settings (AWS_REGION, AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL_SES, AWS_ENDPOINT_URL_EVENTBRIDGE), which is how local runs
 * point the very same code at emulators.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SESClient } from '@aws-sdk/client-ses';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { InitializeMiddleware, MiddlewareStack } from '@smithy/types';
import * as z from 'zod';
import { consumerPolicyResolver } from '../domain/access';
import {
  ApicClient,
  EventBridgePublisher,
  S3ReportStore,
  S3RunLeaseStore,
  SfnExecutionStatus,
  SecretsManagerSecretListing,
  SecretsManagerSecretStore,
  SesMailer,
  type AdminCredentials,
} from '../adapters';
import type { RotatorConfig } from '../domain/config';
import type {
  ApicPort,
  EventPublisherPort,
  ExecutionStatusPort,
  MailerPort,
  NoticeLedgerPort,
  ReportStorePort,
  RunLeasePort,
  SecretListingPort,
  SecretStorePort,
} from '../domain/ports';
import { readRotatorConfigFile, ROTATOR_CONFIG_FILE_VARIABLE } from './config-file';
import { tracer } from './observability';

export interface Ports {
  readonly config: RotatorConfig;
  readonly apic: ApicPort;
  readonly store: SecretStorePort;
  /** The notices queued and sent, kept on the credential secrets (the same Secrets Manager adapter as `store`). */
  readonly ledger: NoticeLedgerPort;
  /** The restore's listing of credential secret names. */
  readonly secretListing: SecretListingPort;
  readonly mailer: MailerPort;
  readonly events: EventPublisherPort;
  readonly reports: ReportStorePort;
  /** The run lease objects in the report bucket (conditional writes). */
  readonly leases: RunLeasePort;
  /** Whether a lease holder's execution still runs; absent in local runs, which have no Step Functions to ask. */
  readonly executions?: ExecutionStatusPort;
  /** Bucket of the inventory reports (objects are encrypted by the bucket's default key). */
  readonly reportBucket: string;
  /** Local runs only: lets a simulated clock be passed in the execution input. Never set by the construct. */
  readonly allowClockOverride: boolean;
}

/** Admin credentials are re-read this often, so rotating them needs no redeploy. */
const ADMIN_CREDENTIALS_MAX_AGE_SECONDS = 5 * 60;

const adminCredentialsSchema = z.union([
  z.object({
    grantType: z.literal('password').default('password'),
    username: z.string().min(1),
    password: z.string().min(1),
    realm: z.string().min(1).default('provider/default-idp-2'),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
  }),
  z.object({
    grantType: z.literal('api_key'),
    apiKey: z.string().min(1),
    realm: z.string().min(1).optional(),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
  }),
]);

export class EnvironmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvironmentError';
  }
}

export function adminCredentialsReader(secrets: SecretsProvider, secretId: string): () => Promise<AdminCredentials> {
  return async () => {
    // The provider caches the value for maxAge across invocations of a warm Lambda, and re-reads it after.
    const secretString = await secrets.get(secretId, { maxAge: ADMIN_CREDENTIALS_MAX_AGE_SECONDS });
    let raw: unknown;
    try {
      raw = JSON.parse(typeof secretString === 'string' ? secretString : '');
    } catch {
      throw new EnvironmentError(`admin secret ${secretId} must hold JSON (see README "Admin credentials")`);
    }
    const parsed = adminCredentialsSchema.safeParse(raw);
    if (!parsed.success) {
      // Only field paths: zod issues never carry the values, but say so explicitly by not forwarding them.
      const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(root)'))].join(', ');
      throw new EnvironmentError(`admin secret ${secretId} is missing or has invalid fields: ${fields} (see README "Admin credentials")`);
    }
    return parsed.data satisfies AdminCredentials;
  };
}

/**
 * The clock APIC dates are checked against (a `created_at` in the future is malformed data). Deployed runs use the
 * real clock; local runs that simulate a date use the run's own clock, which the step handler sets per invocation.
 */
let simulatedNow: Date | undefined;
export function useRunClock(runNow: string | undefined): void {
  simulatedNow = runNow === undefined ? undefined : new Date(runNow);
}

/**
 * The end of the current invocation's own time (see `invocationDeadline` in step-handler.ts), set by the step handler
 * for every invocation: the APIC client gives up with a retryable error rather than run past it.
 */
let invocationDeadline: number | undefined;
export function useInvocationDeadline(deadline: number | undefined): void {
  invocationDeadline = deadline;
}

/** One AWS SDK call a port made: the client, the operation, its input and its output, or the error it ended in. */
export interface SdkCall {
  /** The client's name, e.g. `SecretsManagerClient`. */
  readonly client: string;
  /** The command without its `Command` suffix, e.g. `PutSecretValue`. */
  readonly operation: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly output?: Readonly<Record<string, unknown>>;
  readonly error?: unknown;
}

let sdkCallObserver: ((call: SdkCall) => void) | undefined;

/**
 * Local runs only: sees every AWS SDK call the ports make, once per call whatever its retries (the IAM check of
 * test/iam-by-use.test.ts). Deployed code never calls this, and deployed clients carry no watcher.
 */
export function observeSdkCalls(observer: ((call: SdkCall) => void) | undefined): void {
  sdkCallObserver = observer;
}

const watchSdkCalls: InitializeMiddleware<object, object> = (next, context) => async (args) => {
  const call = { client: String(context.clientName), operation: String(context.commandName).replace(/Command$/, ''), input: args.input as Record<string, unknown> };
  try {
    const result = await next(args);
    sdkCallObserver?.({ ...call, output: result.output as Record<string, unknown> });
    return result;
  } catch (error) {
    sdkCallObserver?.({ ...call, error });
    throw error;
  }
};

function withLocalWatcher<C extends SecretsManagerClient | SESClient | EventBridgeClient | S3Client>(client: C, local: boolean): C {
  if (local) (client.middlewareStack as MiddlewareStack<object, object>).add(watchSdkCalls, { step: 'initialize', name: 'localSdkCallWatcher' });
  return client;
}

function buildPorts(): Ports {
  const config = readRotatorConfigFile();
  const allowClockOverride = process.env.ALLOW_CLOCK_OVERRIDE === 'true';
  const secretsManager = tracer.captureAWSv3Client(withLocalWatcher(new SecretsManagerClient({}), allowClockOverride));
  const ses = tracer.captureAWSv3Client(withLocalWatcher(new SESClient({}), allowClockOverride));
  const eventBridge = tracer.captureAWSv3Client(withLocalWatcher(new EventBridgeClient({}), allowClockOverride));
  const apic = new ApicClient({
    baseUrl: config.apicBaseUrl,
    ...(config.apicCaBundle ? { caBundle: config.apicCaBundle } : {}),
    credentials: adminCredentialsReader(new SecretsProvider({ awsSdkV3Client: secretsManager }), process.env.ADMIN_SECRET_ID ?? config.adminSecretName),
    pageSize: config.pageSize,
    ...(allowClockOverride ? { now: () => simulatedNow ?? new Date() } : {}),
    deadline: () => invocationDeadline,
  });
  const store = new SecretsManagerSecretStore(secretsManager, {
    prefix: config.secretPrefix,
    ...(process.env.SECRET_KMS_KEY_ID ? { kmsKeyId: process.env.SECRET_KMS_KEY_ID } : {}),
    ...(Object.keys(config.consumerAccess).length > 0 ? { resourcePolicyFor: consumerPolicyResolver(config.consumerAccess) } : {}),
  });
  const mailer = new SesMailer(ses, config.notificationSender);
  const events = new EventBridgePublisher(eventBridge, { eventBusName: process.env.EVENT_BUS_NAME ?? 'default' });
  const reportBucket = process.env.REPORT_BUCKET ?? '';
  // A custom S3 endpoint (a local emulator) has no per-bucket host names: address buckets by path there.
  const s3 = tracer.captureAWSv3Client(withLocalWatcher(new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) }), allowClockOverride));
  const reports = new S3ReportStore(s3, { bucket: reportBucket });
  const leases = new S3RunLeaseStore(s3, { bucket: reportBucket });
  const executions = allowClockOverride ? undefined : new SfnExecutionStatus(tracer.captureAWSv3Client(new SFNClient({})));
  return {
    config,
    apic,
    store,
    ledger: store,
    secretListing: new SecretsManagerSecretListing(secretsManager),
    mailer,
    events,
    reports,
    leases,
    ...(executions ? { executions } : {}),
    reportBucket,
    allowClockOverride,
  };
}

const ENVIRONMENT_KEYS = [
  ROTATOR_CONFIG_FILE_VARIABLE,
  'ADMIN_SECRET_ID',
  'SECRET_KMS_KEY_ID',
  'EVENT_BUS_NAME',
  'ALLOW_CLOCK_OVERRIDE',
  'AWS_REGION',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_ENDPOINT_URL_SES',
  'AWS_ENDPOINT_URL_EVENTBRIDGE',
  'AWS_ENDPOINT_URL_S3',
  'REPORT_BUCKET',
];

let cached: { key: string; byPartition: Map<string, Ports> } | undefined;
let decorate: ((ports: Ports) => Ports) | undefined;
let portsPartition: (() => string | undefined) | undefined;

/**
 * The ports for this invocation, built once per environment: a warm Lambda reuses its clients (and the APIC token),
 * while a local run that repoints the environment gets fresh ones.
 */
export function currentPorts(): Ports {
  const key = JSON.stringify(ENVIRONMENT_KEYS.map((name) => process.env[name]));
  if (cached?.key !== key) cached = { key, byPartition: new Map() };
  const partition = portsPartition?.() ?? '';
  let ports = cached.byPartition.get(partition);
  if (!ports) {
    ports = buildPorts();
    cached.byPartition.set(partition, ports);
  }
  return decorate ? decorate(ports) : ports;
}

/**
 * Local runs only: ports built apart for each value `partition` returns, as each Lambda function has execution
 * environments of its own (its own clients, admin secret cache and APIC token). Deployed code never calls this.
 */
export function partitionPorts(partition: (() => string | undefined) | undefined): void {
  portsPartition = partition;
}

/** Local runs wrap the real ports (e.g. to stop a run at a chosen step boundary); deployed code never calls this. */
export function decoratePorts(decorator: ((ports: Ports) => Ports) | undefined): void {
  decorate = decorator;
}
