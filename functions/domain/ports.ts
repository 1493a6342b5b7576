/**
 * The ports the workflow steps depend on. Production wires them to APIC, Secrets Manager and SES;
 * tests wire the same implementations to the simulator and the local emulators.
 */
import type {
  ApicApp,
  ApicCredential,
  AppLocator,
  CatalogTarget,
  ClientSecretPair,
  ConsumerOrg,
  NoticeKind,
} from './model';
import type { RotationEvent } from './events/rotation-events';
import type { ReportFileKind } from './report/keys';
import type { ReportRow } from './report/rows';
import type { LeaseRecord, StoredLease } from './lease/decide';

/** An app of a listing whose data could not be trusted; the rest of the page is still usable. */
export interface RejectedApp {
  /** As far as APIC's data tells: the names, or a position in the listing when even those are unusable. */
  readonly consumerOrg: string;
  readonly app: string;
  /** Names the malformed field (an `ApicDataError` message; never holds a secret). */
  readonly reason: string;
  /** Its offset in the listing. */
  readonly position: number;
}

/** One page of a catalog-wide app listing. */
export interface AppPage {
  readonly apps: readonly ApicApp[];
  /** Apps left out because their data is malformed, so one bad record cannot stop a whole catalog's run. */
  readonly rejected?: readonly RejectedApp[];
  /** Offset of the next page, or undefined after the last page. */
  readonly nextOffset?: number;
  readonly totalResults: number;
}

export interface NewCredential {
  readonly name: string;
  readonly title: string;
  /** Supplied so the secret can be stored before the credential exists. */
  readonly secret?: ClientSecretPair;
}

export interface ApicPort {
  /** One page of every app of the catalog with its consumer org and credentials (`apps?expand=credentials,consumer_org`). */
  listAppsPage(target: CatalogTarget, offset: number, limit: number): Promise<AppPage>;
  /** Every app of one consumer org with its credentials, all pages. */
  listConsumerOrgApps(target: CatalogTarget, consumerOrg: string): Promise<ApicApp[]>;
  /** Every consumer org of the catalog with its owner e-mail, all pages. */
  listConsumerOrgs(target: CatalogTarget): Promise<ConsumerOrg[]>;
  getConsumerOrg(target: CatalogTarget, consumerOrg: string): Promise<ConsumerOrg>;
  /** One app with all its credentials (all pages). */
  getApp(app: AppLocator): Promise<ApicApp>;
  listCredentials(app: AppLocator): Promise<ApicCredential[]>;
  /** Returns the created credential; the secret is never part of the result. */
  createCredential(app: AppLocator, credential: NewCredential): Promise<ApicCredential>;
  /** PATCH name and title (and optionally a supplied client secret). */
  updateCredential(
    app: AppLocator,
    credentialName: string,
    patch: { name?: string; title?: string; clientSecret?: string },
  ): Promise<ApicCredential>;
  deleteCredential(app: AppLocator, credentialName: string): Promise<void>;
  /** Resets only the secret; returns the new pair (client id unchanged). */
  resetClientSecret(app: AppLocator, credentialName: string): Promise<ClientSecretPair>;
  /** True when APIC accepts the pair for that credential. */
  verifyClientSecret(app: AppLocator, credentialName: string, secret: ClientSecretPair): Promise<boolean>;
}

/** A staged or current version of a credential secret, as far as decisions need it (no secret). */
export interface StoredVersion {
  readonly clientId: string;
  readonly cycleId: string;
  readonly versionId: string;
}

/** What the notice ledger records for one credential base name. */
export interface NoticeLedgerState {
  /** Cycle id of the last notice sent, per kind. */
  readonly noticesSent: Partial<Record<NoticeKind, string>>;
  /** Cycle id of the queued (not yet sent) notice, per kind. */
  readonly noticesPending: Partial<Record<NoticeKind, string>>;
}

/**
 * What the secret store knows about one credential base name, with the notice ledger's record of it: the policy
 * decides from both, and the ledger is kept on the secret, so one read gives both.
 */
export interface StoredCredentialState extends NoticeLedgerState {
  readonly secretExists: boolean;
  /** The emergency rotation recorded on the secret (tag `rotator:emergency`), for the cycle it names. */
  readonly emergency?: EmergencyMark;
  readonly current?: StoredVersion;
  readonly pending?: StoredVersion;
  readonly arn?: string;
}

export interface CredentialSecretLocator extends AppLocator {
  /** The credential's base name (the original's name, without the replacement suffix). */
  readonly credential: string;
}

/** An emergency rotation's terms, kept with the cycle so later runs delete the original on time. */
export interface EmergencyMark {
  readonly cycleId: string;
  /** Hours after the replacement's creation at which the original is deleted. */
  readonly graceHours: number;
  /** The original may be deleted without a delivered announcement. */
  readonly confirmRevoke: boolean;
}

export interface QueuedNotice {
  /** Recorded with an urgent-replacement notice (tag `rotator:emergency`). */
  readonly emergency?: EmergencyMark;
  readonly kind: NoticeKind;
  readonly cycleId: string;
  /** YYYY-MM-DD of the next step (removal date, expiry date), if any. */
  readonly dueDate?: string;
  readonly ownerEmail: string;
}

export interface PendingNoticeEntry {
  readonly locator: CredentialSecretLocator;
  readonly secretName: string;
  readonly secretArn: string;
  readonly ownerEmail: string;
  readonly notices: ReadonlyArray<{ kind: NoticeKind; cycleId: string; dueDate?: string }>;
}

export interface SecretStorePort {
  secretName(locator: CredentialSecretLocator): string;
  describe(locator: CredentialSecretLocator): Promise<StoredCredentialState>;
  /** The credential base names of every secret stored for the app, whatever its credentials are called now. */
  storedCredentialBases(app: AppLocator): Promise<string[]>;
  /**
   * Stages a version under AWSPENDING with a deterministic token. Idempotent: when the token was used before,
   * the stored pair is returned and `generate` is not called.
   */
  stagePending(
    locator: CredentialSecretLocator,
    token: string,
    cycleId: string,
    generate: () => ClientSecretPair,
  ): Promise<ClientSecretPair>;
  /** Moves AWSCURRENT to the version and removes AWSPENDING from it. Idempotent. */
  promote(locator: CredentialSecretLocator, versionId: string): Promise<void>;
  /** The current pair, for verification before a destructive step. */
  readCurrent(locator: CredentialSecretLocator): Promise<ClientSecretPair | undefined>;
  readPending(locator: CredentialSecretLocator): Promise<(ClientSecretPair & { versionId: string }) | undefined>;
}

/**
 * The notices of every credential: queued by the QueueNotice step, mailed in digests by FinishRun, then marked sent.
 * A notice is queued once per kind and rotation cycle, however often the step is retried. What the ledger holds for
 * one credential is read with its secret (`SecretStorePort.describe`).
 */
export interface NoticeLedgerPort {
  /** Queues the notice unless this cycle's notice of that kind is already queued or sent. */
  queueNotice(locator: CredentialSecretLocator, notice: QueuedNotice): Promise<void>;
  /**
   * One page (at most `MAX_PENDING_NOTICE_PAGE` credentials) of those with notices queued and not yet sent, the first
   * without `pageToken`. Pages follow a stable order, so a token keeps its place while earlier credentials are marked.
   */
  pendingNoticePage(pageToken?: string): Promise<PendingNoticePage>;
  /** Records the notices as sent and clears them from the queue. Idempotent. */
  markNoticesSent(secretArn: string, notices: ReadonlyArray<{ kind: NoticeKind; cycleId: string }>): Promise<void>;
  /** The most credentials `markNoticesSent` marks per second: the ledger keeps its writes under their quota. */
  readonly marksPerSecond: number;
}

/** The most credentials one page of pending notices holds. */
export const MAX_PENDING_NOTICE_PAGE = 100;

export interface PendingNoticePage {
  readonly entries: readonly PendingNoticeEntry[];
  /** Absent after the last page. */
  readonly nextToken?: string;
}

export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface MailerPort {
  send(message: MailMessage): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export interface ReportStorePort {
  /** Writes (or overwrites) one part of the run's rows. */
  putPart(runId: string, partName: string, rows: readonly ReportRow[]): Promise<void>;
  /** The keys of every part of the run, in key order, all pages. */
  listParts(runId: string): AsyncIterable<string>;
  readPart(key: string): Promise<ReportRow[]>;
  /** The rows of a JSON Lines object (a sorted run), parsed as they stream in: never the whole object at once. */
  readRows(key: string): AsyncIterable<ReportRow>;
  /** Starts a multipart upload of `key`; the object appears (or is replaced) only when the upload completes. */
  startUpload(key: string, kind: ReportFileKind): Promise<ReportUpload>;
  /** Writes a small file whole (the HTML page, the manifest). */
  putFile(key: string, kind: ReportFileKind, body: string): Promise<void>;
}

/** One multipart upload in progress (S3: every part but the last at least 5 MiB, part numbers 1 to 10,000). */
export interface ReportUpload {
  uploadPart(partNumber: number, body: Uint8Array): Promise<void>;
  /** Assembles the uploaded parts, in part-number order, into the object. */
  complete(): Promise<void>;
  /** Discards the uploaded parts; the object (or the one it would have replaced) is left as it was. */
  abort(): Promise<void>;
}


export interface EventPublisherPort {
  publish(events: readonly RotationEvent[]): Promise<void>;
}

/** One page of secret names (never values) whose name starts with a prefix, as Secrets Manager's filtered ListSecrets gives them. */
export interface SecretNamePage {
  readonly names: readonly string[];
  /** Absent after the last page. */
  readonly nextToken?: string;
}

export interface SecretListingPort {
  /** Names starting with the prefix (Secrets Manager's name filter); callers keep only well-formed rotator names. */
  listSecretNames(namePrefix: string, maxResults: number, nextToken?: string): Promise<SecretNamePage>;
}

/**
 * The run lease objects, by conditional writes (S3 `If-None-Match: *` and `If-Match: <etag>`): each call either
 * happens atomically or reports that the object was not as expected. The decisions are the domain's (domain/lease).
 */
export interface RunLeasePort {
  /** Creates the lease object only if none exists under `key`; false when one exists. */
  create(key: string, record: LeaseRecord): Promise<boolean>;
  /** The lease object and its ETag, or undefined when there is none. */
  read(key: string): Promise<StoredLease | undefined>;
  /** Replaces the object only if its ETag is still `etag`; false when it changed or is gone. */
  replace(key: string, record: LeaseRecord, etag: string): Promise<boolean>;
  /** Deletes the object only if its ETag is still `etag`; false when it changed or is gone. */
  remove(key: string, etag: string): Promise<boolean>;
}

/** Whether an execution still runs (Step Functions' DescribeExecution). */
export interface ExecutionStatusPort {
  /** True while RUNNING; false once it ended or when it does not exist. */
  isRunning(executionArn: string): Promise<boolean>;
}
