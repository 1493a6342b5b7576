/**
 * The secret store over AWS Secrets Manager: one secret per app credential base name, created with a placeholder as
 * its first version (Secrets Manager makes a secret's first version AWSCURRENT whatever the request asks, and no
 * unverified pair may ever be AWSCURRENT), new secrets staged as AWSPENDING under a deterministic version id,
 * promoted to AWSCURRENT once verified, and a notice ledger kept in tags so notices can be found with one filtered
 * ListSecrets.
 */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerServiceException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
  type DescribeSecretCommandOutput,
  type SecretListEntry,
  type SecretsManagerClient,
  type Tag,
} from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { SECRET_STORE_UNAVAILABLE_ERROR } from '../../domain/error-names';
import { NOTICE_KINDS, type AppLocator, type ClientSecretPair, type NoticeKind } from '../../domain/model';
import {
  MAX_PENDING_NOTICE_PAGE,
  type Clock,
  type CredentialSecretLocator,
  type EmergencyMark,
  type NoticeLedgerPort,
  type PendingNoticeEntry,
  type PendingNoticePage,
  type QueuedNotice,
  type SecretStorePort,
  type StoredCredentialState,
  type StoredVersion,
} from '../../domain/ports';
import { RateLimiter, realTimer, type Timer } from '../rate-limiter';
import { assertValidPrefix, parseSecretName, secretNameFor, tagValue } from '../../domain/secrets/naming';
import {
  STAGE_CURRENT,
  STAGE_PENDING,
  TAG_KEYS,
  isPlaceholderValue,
  pendingNoticeTag,
  placeholderValue,
  placeholderVersionToken,
  sentNoticeTag,
} from '../../domain/secrets/layout';

/**
 * TagResource and UntagResource calls per second. Secrets Manager allows 50 for both together per account and Region
 * ("Combined rate of TagResource and UntagResource API requests: Each supported Region: 50 per second", not adjustable,
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html); 40 leaves the rest to whatever
 * else tags secrets in the account.
 */
export const TAG_CALLS_PER_SECOND = 40;
/** Marking a credential's notices sent takes a TagResource (the sent cycles) and an UntagResource (the queue). */
const TAG_CALLS_PER_MARK = 2;

/** Errors the Secrets Manager documentation lists as worth retrying, once the SDK's own retries are spent. */
const TRANSIENT_AWS_ERRORS = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'LimitExceededException',
  'InternalServiceError',
  'InternalServiceErrorException',
  'RequestTimeout',
  'RequestTimeoutException',
  'PriorRequestNotComplete',
]);

/** Names the operation and the secret; the message never holds a secret value. */
export class SecretStoreError extends Error {
  /** The AWS error name (e.g. `ThrottlingException`) when the SDK raised one. */
  readonly awsErrorName?: string;

  constructor(
    message: string,
    readonly operation: string,
    readonly secretId: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    if (options?.cause instanceof Error) this.awsErrorName = options.cause.name;
    // Step Functions retries by error name: throttling and service hiccups get their own name so they are retried.
    this.name = TRANSIENT_AWS_ERRORS.has(this.awsErrorName ?? '') ? SECRET_STORE_UNAVAILABLE_ERROR : 'SecretStoreError';
  }

  static wrap(operation: string, secretId: string, cause: unknown): SecretStoreError {
    // Service messages are written by AWS and carry no request values; other errors are summarised by name only.
    const detail = cause instanceof SecretsManagerServiceException ? `${cause.name}: ${cause.message}` : cause instanceof Error ? cause.name : 'unknown error';
    return new SecretStoreError(`Secrets Manager ${operation} failed for ${secretId}: ${detail}`, operation, secretId, { cause });
  }
}

export interface SecretsManagerSecretStoreOptions {
  /** First path segment(s) of every secret name, e.g. `apic-rotator`. */
  readonly prefix: string;
  /** KMS key for new secrets; the AWS managed key when absent. */
  readonly kmsKeyId?: string;
  /**
   * A resource policy (JSON) to put on the secret before a credential is staged in it (the placeholder holds none),
   * e.g. to grant the consumer read access.
   */
  readonly resourcePolicyFor?: (locator: CredentialSecretLocator) => string | undefined;
  /** Source of `issued_at`; the system clock when absent. */
  readonly clock?: Clock;
  /** TagResource and UntagResource calls per second, all callers of this store together. @default TAG_CALLS_PER_SECOND */
  readonly tagCallsPerSecond?: number;
  /** Where the tag-call limit reads the time and waits. @default the real clock */
  readonly tagTimer?: Timer;
}

const secretValueSchema = z.object({
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  provider_org: z.string(),
  catalog: z.string(),
  consumer_org: z.string(),
  app: z.string(),
  credential: z.string(),
  cycle_id: z.string(),
  issued_at: z.string(),
});
type SecretValue = z.infer<typeof secretValueSchema>;

interface ReadVersion {
  readonly versionId: string;
  readonly value: SecretValue;
}

interface NoticeLedger {
  readonly sent: Partial<Record<NoticeKind, string>>;
  readonly pending: Partial<Record<NoticeKind, { cycleId: string; dueDate?: string }>>;
}

function readLedger(tags: readonly Tag[] | undefined): NoticeLedger {
  const byKey = new Map((tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  const sent: Partial<Record<NoticeKind, string>> = {};
  const pending: Partial<Record<NoticeKind, { cycleId: string; dueDate?: string }>> = {};
  for (const kind of NOTICE_KINDS) {
    const sentCycle = byKey.get(sentNoticeTag(kind));
    if (sentCycle) sent[kind] = sentCycle;
    const queued = byKey.get(pendingNoticeTag(kind));
    if (queued) {
      const split = queued.lastIndexOf(' ');
      const cycleId = split < 0 ? queued : queued.slice(0, split);
      const dueDate = split < 0 ? '-' : queued.slice(split + 1);
      pending[kind] = { cycleId, ...(dueDate !== '-' && { dueDate }) };
    }
  }
  return { sent, pending };
}

/** `<cycleId> <graceHours> <revoke|announce>`; anything else reads as no emergency (the ordinary grace applies). */
function readEmergency(value: string | undefined): EmergencyMark | undefined {
  const match = value === undefined ? null : /^(.+) (\d+) (revoke|announce)$/.exec(value);
  if (!match?.[1] || match[2] === undefined) return undefined;
  return { cycleId: match[1], graceHours: Number(match[2]), confirmRevoke: match[3] === 'revoke' };
}

function tagValueOf(tags: readonly Tag[] | undefined, key: string): string | undefined {
  return tags?.find((tag) => tag.Key === key)?.Value;
}

/** The version id holding `stage`, if any. */
function holderOf(stages: Record<string, string[]> | undefined, stage: string): string | undefined {
  return Object.entries(stages ?? {}).find(([, labels]) => labels.includes(stage))?.[0];
}

function toPair(value: SecretValue): ClientSecretPair {
  return { clientId: value.client_id, clientSecret: value.client_secret };
}

/**
 * Both ports in one class: the notice ledger is kept in the tags of the very secrets the store manages, so the two
 * share the client, the naming, the retry wrapping and the tag parsing, and `describe` returns a credential's ledger
 * state from the same DescribeSecret call (one call per credential when an app is assessed). Queuing a notice also
 * creates the secret when the credential has none yet, which only the store knows how to do.
 */
export class SecretsManagerSecretStore implements SecretStorePort, NoticeLedgerPort {
  private readonly prefix: string;
  private readonly clock: Clock;
  private readonly tagCalls: RateLimiter;
  readonly marksPerSecond: number;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly options: SecretsManagerSecretStoreOptions,
  ) {
    assertValidPrefix(options.prefix);
    this.prefix = options.prefix;
    this.clock = options.clock ?? { now: () => new Date() };
    this.tagCalls = new RateLimiter(options.tagCallsPerSecond ?? TAG_CALLS_PER_SECOND, options.tagTimer ?? realTimer);
    this.marksPerSecond = Math.max(1, Math.floor(this.tagCalls.perSecond / TAG_CALLS_PER_MARK));
  }

  secretName(locator: CredentialSecretLocator): string {
    return secretNameFor(this.prefix, locator);
  }

  async describe(locator: CredentialSecretLocator): Promise<StoredCredentialState> {
    const name = this.secretName(locator);
    const description = await this.describeSecret(name);
    if (!description) return { secretExists: false, noticesSent: {}, noticesPending: {} };
    const currentId = holderOf(description.VersionIdsToStages, STAGE_CURRENT);
    const pendingId = holderOf(description.VersionIdsToStages, STAGE_PENDING);
    const current = currentId === undefined ? undefined : await this.storedVersion(name, currentId);
    const pending = pendingId === undefined ? undefined : pendingId === currentId ? current : await this.storedVersion(name, pendingId);
    const ledger = readLedger(description.Tags);
    const noticesPending: Partial<Record<NoticeKind, string>> = {};
    for (const [kind, queued] of Object.entries(ledger.pending) as Array<[NoticeKind, { cycleId: string }]>) noticesPending[kind] = queued.cycleId;
    const emergency = readEmergency(tagValueOf(description.Tags, TAG_KEYS.emergency));
    return {
      secretExists: true,
      ...(emergency && { emergency }),
      ...(description.ARN !== undefined && { arn: description.ARN }),
      ...(current && { current }),
      ...(pending && { pending }),
      noticesSent: ledger.sent,
      noticesPending,
    };
  }

  async stagePending(
    locator: CredentialSecretLocator,
    token: string,
    cycleId: string,
    generate: () => ClientSecretPair,
  ): Promise<ClientSecretPair> {
    const name = this.secretName(locator);
    const earlier = await this.readVersion(name, { VersionId: token });
    if (earlier) return toPair(earlier.value);
    await this.ensureCurrentVersion(locator, name);
    const policy = this.options.resourcePolicyFor?.(locator);
    if (policy !== undefined) {
      await this.attempt('PutResourcePolicy', name, () => this.client.send(new PutResourcePolicyCommand({ SecretId: name, ResourcePolicy: policy })));
    }
    const pair = generate();
    const value: SecretValue = {
      client_id: pair.clientId,
      client_secret: pair.clientSecret,
      provider_org: locator.providerOrg,
      catalog: locator.catalog,
      consumer_org: locator.consumerOrg,
      app: locator.app,
      credential: locator.credential,
      cycle_id: cycleId,
      issued_at: this.clock.now().toISOString(),
    };
    const put = await this.attemptTolerating('PutSecretValue', name, ResourceExistsException, () =>
      this.client.send(
        new PutSecretValueCommand({ SecretId: name, ClientRequestToken: token, SecretString: JSON.stringify(value), VersionStages: [STAGE_PENDING] }),
      ),
    );
    if (put) return pair;
    // Another attempt stored this token first (with a different secret): that stored pair is the one to use.
    const winner = await this.readVersion(name, { VersionId: token });
    if (!winner) throw new SecretStoreError(`Version ${token} of ${name} exists but cannot be read`, 'GetSecretValue', name);
    return toPair(winner.value);
  }

  async promote(locator: CredentialSecretLocator, versionId: string): Promise<void> {
    const name = this.secretName(locator);
    let stages = (await this.requireDescription(name)).VersionIdsToStages;
    const currentHolder = holderOf(stages, STAGE_CURRENT);
    if (currentHolder !== versionId) {
      try {
        await this.client.send(
          new UpdateSecretVersionStageCommand({
            SecretId: name,
            VersionStage: STAGE_CURRENT,
            MoveToVersionId: versionId,
            ...(currentHolder !== undefined && { RemoveFromVersionId: currentHolder }),
          }),
        );
      } catch (error) {
        // A retried request may already have moved the label; only the resulting state matters.
        stages = (await this.requireDescription(name)).VersionIdsToStages;
        if (holderOf(stages, STAGE_CURRENT) !== versionId) throw SecretStoreError.wrap('UpdateSecretVersionStage', name, error);
      }
    }
    if (holderOf(stages, STAGE_PENDING) === versionId) {
      await this.attempt('UpdateSecretVersionStage', name, () =>
        this.client.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: STAGE_PENDING, RemoveFromVersionId: versionId })),
      );
    }
  }

  async readCurrent(locator: CredentialSecretLocator): Promise<ClientSecretPair | undefined> {
    const version = await this.readVersion(this.secretName(locator), { VersionStage: STAGE_CURRENT });
    return version && toPair(version.value);
  }

  async readPending(locator: CredentialSecretLocator): Promise<(ClientSecretPair & { versionId: string }) | undefined> {
    const version = await this.readVersion(this.secretName(locator), { VersionStage: STAGE_PENDING });
    return version && { ...toPair(version.value), versionId: version.versionId };
  }

  async queueNotice(locator: CredentialSecretLocator, notice: QueuedNotice): Promise<void> {
    const name = this.secretName(locator);
    const ownerTags = this.ownerTags(notice.ownerEmail);
    const existing = await this.describeSecret(name);
    let tags = existing?.Tags;
    if (!existing) {
      const created = await this.createSecretIfAbsent(locator, name, ownerTags);
      tags = created ? [] : (await this.requireDescription(name)).Tags;
    }
    const ledger = readLedger(tags);
    if (ledger.sent[notice.kind] === notice.cycleId || ledger.pending[notice.kind]?.cycleId === notice.cycleId) return;
    const queued: Tag[] = [
      { Key: pendingNoticeTag(notice.kind), Value: `${notice.cycleId} ${notice.dueDate ?? '-'}` },
      // In the same call as the notice: an emergency cycle is never announced without its terms being kept.
      ...(notice.emergency
        ? [{ Key: TAG_KEYS.emergency, Value: `${notice.emergency.cycleId} ${notice.emergency.graceHours} ${notice.emergency.confirmRevoke ? 'revoke' : 'announce'}` }]
        : []),
      { Key: TAG_KEYS.noticePending, Value: 'yes' },
      ...ownerTags,
    ];
    await this.tagCalls.take();
    await this.attempt('TagResource', name, () => this.client.send(new TagResourceCommand({ SecretId: name, Tags: queued })));
  }

  async storedCredentialBases(app: AppLocator): Promise<string[]> {
    const appPrefix = `${this.secretName({ ...app, credential: '-' }).slice(0, -1)}`;
    const bases: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.attempt('ListSecrets', `${appPrefix}*`, () =>
        this.client.send(
          new ListSecretsCommand({
            Filters: [{ Key: 'name', Values: [appPrefix] }],
            MaxResults: 100,
            ...(nextToken !== undefined && { NextToken: nextToken }),
          }),
        ),
      );
      for (const { Name: name } of page.SecretList ?? []) {
        // The name filter is a prefix match: `app` also matches the secrets of `app-2`.
        const credential = name === undefined ? undefined : parseSecretName(this.prefix, name)?.credential;
        if (credential !== undefined && this.secretName({ ...app, credential }) === name) bases.push(credential);
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return bases;
  }

  async pendingNoticePage(pageToken?: string): Promise<PendingNoticePage> {
    const page = await this.attempt('ListSecrets', `${this.prefix}/*`, () =>
      this.client.send(
        new ListSecretsCommand({
          Filters: [
            { Key: 'tag-key', Values: [TAG_KEYS.noticePending] },
            { Key: 'name', Values: [`${this.prefix}/`] },
          ],
          MaxResults: MAX_PENDING_NOTICE_PAGE,
          // Oldest first: a secret created meanwhile lands after every page token already handed out.
          SortOrder: 'asc',
          ...(pageToken !== undefined && { NextToken: pageToken }),
        }),
      ),
    );
    const entries = (page.SecretList ?? []).map((secret) => this.pendingEntry(secret)).filter((entry) => entry.notices.length > 0);
    return { entries, ...(page.NextToken ? { nextToken: page.NextToken } : {}) };
  }

  async markNoticesSent(secretArn: string, notices: ReadonlyArray<{ kind: NoticeKind; cycleId: string }>): Promise<void> {
    const tags = (await this.requireDescription(secretArn)).Tags;
    const ledger = readLedger(tags);
    const sent: Partial<Record<NoticeKind, string>> = { ...ledger.sent };
    for (const notice of notices) sent[notice.kind] = notice.cycleId;
    const newlySent = notices.filter((notice) => ledger.sent[notice.kind] !== notice.cycleId);
    if (newlySent.length > 0) {
      const sentTags = newlySent.map((notice) => ({ Key: sentNoticeTag(notice.kind), Value: notice.cycleId }));
      await this.tagCalls.take();
      await this.attempt('TagResource', secretArn, () => this.client.send(new TagResourceCommand({ SecretId: secretArn, Tags: sentTags })));
    }
    // Sent is recorded before pending is cleared, so a crash in between leaves a notice that is filtered out, not resent.
    const queuedKinds = Object.keys(ledger.pending) as NoticeKind[];
    const settled = queuedKinds.filter((kind) => ledger.pending[kind]?.cycleId === sent[kind]);
    const clearMarker = settled.length === queuedKinds.length && tagValueOf(tags, TAG_KEYS.noticePending) !== undefined;
    const keys = [...settled.map(pendingNoticeTag), ...(clearMarker ? [TAG_KEYS.noticePending] : [])];
    if (keys.length > 0) {
      await this.tagCalls.take();
      await this.attempt('UntagResource', secretArn, () => this.client.send(new UntagResourceCommand({ SecretId: secretArn, TagKeys: keys })));
    }
  }

  private pendingEntry(secret: SecretListEntry): PendingNoticeEntry {
    const name = secret.Name ?? '';
    const locator = parseSecretName(this.prefix, name);
    if (!locator || secret.ARN === undefined) {
      throw new SecretStoreError(`Secret ${name} carries the notice marker but is not a rotator secret under ${this.prefix}`, 'ListSecrets', name);
    }
    const ledger = readLedger(secret.Tags);
    const notices = NOTICE_KINDS.flatMap((kind) => {
      const queued = ledger.pending[kind];
      if (!queued || ledger.sent[kind] === queued.cycleId) return [];
      return [{ kind, cycleId: queued.cycleId, ...(queued.dueDate !== undefined && { dueDate: queued.dueDate }) }];
    });
    return { locator, secretName: name, secretArn: secret.ARN, ownerEmail: tagValueOf(secret.Tags, TAG_KEYS.ownerEmail) ?? '', notices };
  }

  /** An address that does not fit the tag charset is left out, so its notices go to the operator instead of a mangled address. */
  private ownerTags(ownerEmail: string): Tag[] {
    return ownerEmail !== '' && tagValue(ownerEmail) === ownerEmail ? [{ Key: TAG_KEYS.ownerEmail, Value: ownerEmail }] : [];
  }

  /**
   * Makes sure the secret exists and some version of it holds AWSCURRENT, so that a pair staged next is not the
   * secret's first version (which Secrets Manager would make AWSCURRENT). A secret created empty by an earlier
   * release gets the placeholder as its first version here.
   */
  private async ensureCurrentVersion(locator: CredentialSecretLocator, name: string): Promise<void> {
    let description = await this.describeSecret(name);
    if (!description) {
      if (await this.createSecretIfAbsent(locator, name, [])) return;
      description = await this.requireDescription(name);
    }
    if (holderOf(description.VersionIdsToStages, STAGE_CURRENT) !== undefined) return;
    // Every writer puts the same placeholder under the same version id, so a concurrent or retried put of it is the
    // same version (the put does nothing), and AWSCURRENT is never taken from a pair by it.
    await this.attemptTolerating('PutSecretValue', name, ResourceExistsException, () =>
      this.client.send(
        new PutSecretValueCommand({
          SecretId: name,
          ClientRequestToken: placeholderVersionToken(name),
          SecretString: JSON.stringify(placeholderValue(locator)),
          VersionStages: [STAGE_CURRENT],
        }),
      ),
    );
  }

  /** True when this call created the secret (with the placeholder as its AWSCURRENT version), false when it already existed. */
  private async createSecretIfAbsent(locator: CredentialSecretLocator, name: string, extraTags: Tag[]): Promise<boolean> {
    const tags: Tag[] = [
      { Key: TAG_KEYS.providerOrg, Value: tagValue(locator.providerOrg) },
      { Key: TAG_KEYS.catalog, Value: tagValue(locator.catalog) },
      { Key: TAG_KEYS.consumerOrg, Value: tagValue(locator.consumerOrg) },
      { Key: TAG_KEYS.app, Value: tagValue(locator.app) },
      { Key: TAG_KEYS.credential, Value: tagValue(locator.credential) },
      ...extraTags,
    ];
    const created = await this.attemptTolerating('CreateSecret', name, ResourceExistsException, () =>
      this.client.send(
        new CreateSecretCommand({
          Name: name,
          Description: 'APIC client credential managed by the credential rotator',
          SecretString: JSON.stringify(placeholderValue(locator)),
          ClientRequestToken: placeholderVersionToken(name),
          Tags: tags,
          ...(this.options.kmsKeyId !== undefined && { KmsKeyId: this.options.kmsKeyId }),
        }),
      ),
    );
    return created !== undefined;
  }

  private describeSecret(secretId: string): Promise<DescribeSecretCommandOutput | undefined> {
    return this.attemptTolerating('DescribeSecret', secretId, ResourceNotFoundException, () =>
      this.client.send(new DescribeSecretCommand({ SecretId: secretId })),
    );
  }

  private requireDescription(secretId: string): Promise<DescribeSecretCommandOutput> {
    return this.attempt('DescribeSecret', secretId, () => this.client.send(new DescribeSecretCommand({ SecretId: secretId })));
  }

  private async storedVersion(name: string, versionId: string): Promise<StoredVersion | undefined> {
    const version = await this.readVersion(name, { VersionId: versionId });
    return version && { clientId: version.value.client_id, cycleId: version.value.cycle_id, versionId };
  }

  /**
   * The version selected by id or stage; undefined when the secret or that version does not exist, or when it is the
   * placeholder (which holds no credential).
   */
  private async readVersion(name: string, selector: { VersionId: string } | { VersionStage: string }): Promise<ReadVersion | undefined> {
    const output = await this.attemptTolerating('GetSecretValue', name, ResourceNotFoundException, () =>
      this.client.send(new GetSecretValueCommand({ SecretId: name, ...selector })),
    );
    if (!output) return undefined;
    const versionId = output.VersionId ?? '';
    // Parse errors are dropped on purpose: their messages may quote the secret text.
    let parsed: unknown;
    try {
      parsed = JSON.parse(output.SecretString ?? '');
    } catch {
      parsed = undefined;
    }
    if (isPlaceholderValue(parsed)) return undefined;
    const result = secretValueSchema.safeParse(parsed);
    if (!result.success) {
      throw new SecretStoreError(`Version ${versionId} of ${name} does not hold a rotator credential value`, 'GetSecretValue', name);
    }
    return { versionId, value: result.data };
  }

  private async attempt<T>(operation: string, secretId: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw SecretStoreError.wrap(operation, secretId, error);
    }
  }

  private async attemptTolerating<T>(
    operation: string,
    secretId: string,
    tolerated: abstract new (...args: never[]) => Error,
    run: () => Promise<T>,
  ): Promise<T | undefined> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof tolerated) return undefined;
      throw SecretStoreError.wrap(operation, secretId, error);
    }
  }
}
