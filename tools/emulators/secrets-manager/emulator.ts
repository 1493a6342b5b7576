/**
 * An in-process AWS Secrets Manager emulator speaking the JSON 1.1 protocol on loopback, faithful enough for the
 * real `@aws-sdk/client-secrets-manager`: staging labels, ClientRequestToken idempotency, tags, filters, paging,
 * resource policies and injectable throttling/failures. State lives in memory and dies with `close()`.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { jsonProtocolListener, ServiceFault, type JsonObject as Json } from '../json-protocol';
import { closeServer, listenOnLoopback } from '../loopback';

export interface SecretsManagerEmulatorOptions {
  /** Seeds the ARN suffixes so runs are reproducible. */
  readonly randomSeed?: number;
  /** Keep the raw request log (default true). Benchmarks with huge volumes may turn it off. */
  readonly recordRequests?: boolean;
  /**
   * Enforce the request quota on TagResource and UntagResource (50 per second together), answering
   * ThrottlingException over it, with seconds measured on `clock` (epoch milliseconds). @default not enforced: the
   * quota is per account and Region, and most tests run several worlds at once on one machine.
   */
  readonly tagQuota?: { readonly clock: () => number };
}

/** "Combined rate of TagResource and UntagResource API requests: Each supported Region: 50 per second" (FIDELITY SM-34). */
const TAG_REQUESTS_PER_SECOND = 50;
const TAG_OPERATIONS = new Set(['TagResource', 'UntagResource']);

export interface RecordedRequest {
  readonly operation: string;
  readonly body: string;
}

export interface EmulatedVersion {
  readonly versionId: string;
  readonly stages: string[];
  readonly value?: string;
}

export interface SecretsManagerFaults {
  /** The next `count` calls of `operation` answer 400 ThrottlingException (the SDK retries these). */
  throttleNext(operation: string, count: number): void;
  /** The next `count` calls of `operation` fail with `errorType` (default InternalServiceError, HTTP 500). */
  failNext(operation: string, count: number, errorType?: string): void;
  clear(): void;
}

export interface SeedSecret {
  readonly name: string;
  /** Stored as the AWSCURRENT version when given. */
  readonly value?: string;
  readonly tags?: Record<string, string>;
}

/** Everything a Secrets Manager emulator holds, as plain data (structured-clonable). */
export interface SecretsManagerSnapshot {
  /** Secrets in creation order; null where a secret was force-deleted (page tokens count those holes). */
  readonly secrets: ReadonlyArray<SecretSnapshot | null>;
  /** State of the generator of ARN suffixes. */
  readonly random: number;
  readonly requests: readonly RecordedRequest[];
  readonly counts: Readonly<Record<string, number>>;
  /** Injected faults still pending, per operation. */
  readonly faults: Readonly<Record<string, ReadonlyArray<{ readonly remaining: number; readonly type: string; readonly status: number }>>>;
}

export interface SecretSnapshot {
  readonly name: string;
  readonly arn: string;
  readonly createdDate: number;
  readonly kmsKeyId?: string;
  readonly description?: string;
  readonly tags: ReadonlyArray<readonly [string, string]>;
  readonly versions: ReadonlyArray<{
    readonly versionId: string;
    readonly secretString?: string;
    readonly secretBinary?: string;
    readonly createdDate: number;
    readonly stages: readonly string[];
    readonly lastAccessedDate?: number;
  }>;
  readonly lastChangedDate: number;
  readonly lastAccessedDate?: number;
  readonly deletedDate?: number;
  readonly resourcePolicy?: string;
}

export interface SecretsManagerEmulator {
  readonly endpoint: string;
  /** A deep copy of everything the emulator holds: secrets, versions, tags, policies, request log, counts, pending faults. */
  snapshot(): SecretsManagerSnapshot;
  /** Replaces everything `snapshot()` covers with a deep copy of `snapshot` (possibly another emulator's); the endpoint stays. */
  restore(snapshot: SecretsManagerSnapshot): void;
  /** Creates secrets directly, without HTTP: benchmarks and large tests need far more than the SDK can create quickly. */
  seed(secrets: Iterable<SeedSecret>): void;
  /**
   * Runs one operation in process: the input and output the JSON protocol carries (a copy of `input` is taken), the
   * same counting, recording and injected faults, without HTTP. For volume tests that loopback would keep waiting for
   * minutes; a fault or refusal is thrown as a `ServiceFault` named after its type, not as the SDK's error class.
   */
  invoke(operation: string, input: Json): unknown;
  /** Every request received, in order, faulted ones included. */
  requests(): RecordedRequest[];
  faults: SecretsManagerFaults;
  /** Requests received per operation, faulted ones included. */
  counts(): Record<string, number>;
  inspect: {
    secretNames(): string[];
    versions(name: string): EmulatedVersion[];
    tags(name: string): Record<string, string>;
  };
  close(): Promise<void>;
}

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const MAX_SECRET_BYTES = 65_536;
const MAX_TAGS = 50;
const NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const FILTER_VALUE_PATTERN = /^!?[a-zA-Z0-9 :_@/+=.\-!]{0,512}$/;
const TAG_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const ARN_SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

interface VersionRecord {
  readonly versionId: string;
  readonly secretString?: string;
  readonly secretBinary?: string;
  readonly createdDate: number;
  readonly stages: Set<string>;
  lastAccessedDate?: number;
}

interface SecretRecord {
  readonly name: string;
  readonly arn: string;
  readonly createdDate: number;
  readonly kmsKeyId?: string;
  readonly description?: string;
  /** Position in creation order; ListSecrets pages resume from it. */
  readonly position: number;
  readonly tags: Map<string, string>;
  readonly versions: Map<string, VersionRecord>;
  lastChangedDate: number;
  lastAccessedDate?: number;
  deletedDate?: number;
  resourcePolicy?: string;
}

const notFound = (message: string) => new ServiceFault('ResourceNotFoundException', message);
const invalidParameter = (message: string) => new ServiceFault('InvalidParameterException', message);
const invalidRequest = (message: string) => new ServiceFault('InvalidRequestException', message);
const validation = (message: string) => new ServiceFault('ValidationException', message);

function optionalString(body: Json, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ServiceFault('SerializationException', `${field} must be a string`);
  return value;
}

function requiredString(body: Json, field: string): string {
  const value = optionalString(body, field);
  if (value === undefined) throw validation(`1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
  return value;
}

function optionalStringList(body: Json, field: string): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new ServiceFault('SerializationException', `${field} must be a list of strings`);
  }
  return value as string[];
}

function optionalNumber(body: Json, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ServiceFault('SerializationException', `${field} must be an integer`);
  return value;
}

function maxResults(body: Json, limit: number): number {
  const value = optionalNumber(body, 'MaxResults') ?? limit;
  if (value < 1 || value > limit) throw validation(`MaxResults must be between 1 and ${limit}`);
  return value;
}

function encodePageToken(position: number): string {
  return Buffer.from(JSON.stringify({ position })).toString('base64url');
}

function decodePageToken(token: string | undefined): number {
  if (token === undefined) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { position?: unknown };
    if (typeof parsed.position === 'number' && Number.isInteger(parsed.position) && parsed.position >= 0) return parsed.position;
  } catch {
    // fall through to the typed error below
  }
  throw new ServiceFault('InvalidNextTokenException', 'The NextToken value is invalid.');
}

/** A list of structures: an absent list is empty, and a member that is not a structure has no fields. */
function structureList(body: Json, field: string): Json[] {
  const value = body[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ServiceFault('SerializationException', `${field} must be a list`);
  return value.map((member: unknown) => (typeof member === 'object' && member !== null ? (member as Json) : {}));
}

function parseTags(body: Json): Array<{ Key: string; Value: string }> {
  return structureList(body, 'Tags').map(({ Key: key, Value: value }) => {
    if (typeof key !== 'string' || typeof value !== 'string') throw new ServiceFault('SerializationException', 'Each tag needs a string Key and Value');
    if (key.length < 1 || key.length > 128 || !TAG_PATTERN.test(key)) throw validation(`Tag key '${key}' has an invalid length or character`);
    if (value.length > 256 || !TAG_PATTERN.test(value)) throw validation(`The value of tag '${key}' has an invalid length or character`);
    if (key.toLowerCase().startsWith('aws:')) throw invalidParameter(`Tag key '${key}' uses the reserved prefix aws:`);
    return { Key: key, Value: value };
  });
}

function tagList(tags: Map<string, string>): Array<{ Key: string; Value: string }> {
  return [...tags].map(([Key, Value]) => ({ Key, Value }));
}

/** mulberry32: a tiny seeded generator, enough for reproducible ARN suffixes. */
class SeededRandom {
  constructor(public state: number) {
    this.state = state >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
}

/** The in-memory service: one method per operation, each taking the parsed JSON input. */
class SecretsService {
  private readonly byName = new Map<string, SecretRecord>();
  private readonly byArn = new Map<string, SecretRecord>();
  /** Creation order, with force-deleted secrets left as holes so page tokens stay valid. */
  private readonly ordered: Array<SecretRecord | undefined> = [];

  constructor(readonly random: SeededRandom) {}

  snapshot(): Array<SecretSnapshot | null> {
    return this.ordered.map((secret) =>
      secret === undefined
        ? null
        : {
            name: secret.name,
            arn: secret.arn,
            createdDate: secret.createdDate,
            ...(secret.kmsKeyId !== undefined && { kmsKeyId: secret.kmsKeyId }),
            ...(secret.description !== undefined && { description: secret.description }),
            tags: [...secret.tags],
            versions: [...secret.versions.values()].map((version) => ({
              versionId: version.versionId,
              ...(version.secretString !== undefined && { secretString: version.secretString }),
              ...(version.secretBinary !== undefined && { secretBinary: version.secretBinary }),
              createdDate: version.createdDate,
              stages: [...version.stages],
              ...(version.lastAccessedDate !== undefined && { lastAccessedDate: version.lastAccessedDate }),
            })),
            lastChangedDate: secret.lastChangedDate,
            ...(secret.lastAccessedDate !== undefined && { lastAccessedDate: secret.lastAccessedDate }),
            ...(secret.deletedDate !== undefined && { deletedDate: secret.deletedDate }),
            ...(secret.resourcePolicy !== undefined && { resourcePolicy: secret.resourcePolicy }),
          },
    );
  }

  restore(secrets: ReadonlyArray<SecretSnapshot | null>): void {
    this.byName.clear();
    this.byArn.clear();
    this.ordered.length = 0;
    for (const snapshot of secrets) {
      if (snapshot === null) {
        this.ordered.push(undefined);
        continue;
      }
      const secret: SecretRecord = {
        name: snapshot.name,
        arn: snapshot.arn,
        createdDate: snapshot.createdDate,
        ...(snapshot.kmsKeyId !== undefined && { kmsKeyId: snapshot.kmsKeyId }),
        ...(snapshot.description !== undefined && { description: snapshot.description }),
        position: this.ordered.length,
        tags: new Map(snapshot.tags),
        versions: new Map(
          snapshot.versions.map((version) => [
            version.versionId,
            {
              versionId: version.versionId,
              ...(version.secretString !== undefined && { secretString: version.secretString }),
              ...(version.secretBinary !== undefined && { secretBinary: version.secretBinary }),
              createdDate: version.createdDate,
              stages: new Set(version.stages),
              ...(version.lastAccessedDate !== undefined && { lastAccessedDate: version.lastAccessedDate }),
            },
          ]),
        ),
        lastChangedDate: snapshot.lastChangedDate,
        ...(snapshot.lastAccessedDate !== undefined && { lastAccessedDate: snapshot.lastAccessedDate }),
        ...(snapshot.deletedDate !== undefined && { deletedDate: snapshot.deletedDate }),
        ...(snapshot.resourcePolicy !== undefined && { resourcePolicy: snapshot.resourcePolicy }),
      };
      this.byName.set(secret.name, secret);
      this.byArn.set(secret.arn, secret);
      this.ordered.push(secret);
    }
  }

  secretNames(): string[] {
    return [...this.byName.keys()];
  }

  find(name: string): SecretRecord | undefined {
    return this.byName.get(name);
  }

  readonly operations: Record<string, (body: Json) => Json> = {
    CreateSecret: (body) => this.createSecret(body),
    DescribeSecret: (body) => this.describeSecret(body),
    GetSecretValue: (body) => this.getSecretValue(body),
    PutSecretValue: (body) => this.putSecretValue(body),
    UpdateSecretVersionStage: (body) => this.updateSecretVersionStage(body),
    ListSecrets: (body) => this.listSecrets(body),
    ListSecretVersionIds: (body) => this.listSecretVersionIds(body),
    TagResource: (body) => this.tagResource(body),
    UntagResource: (body) => this.untagResource(body),
    DeleteSecret: (body) => this.deleteSecret(body),
    RestoreSecret: (body) => this.restoreSecret(body),
    PutResourcePolicy: (body) => this.putResourcePolicy(body),
    GetResourcePolicy: (body) => this.getResourcePolicy(body),
    DeleteResourcePolicy: (body) => this.deleteResourcePolicy(body),
    BatchGetSecretValue: (body) => this.batchGetSecretValue(body),
  };

  private now(): number {
    return Date.now() / 1000;
  }

  private arnFor(name: string): string {
    let suffix = '';
    for (let i = 0; i < 6; i++) suffix += ARN_SUFFIX_ALPHABET[Math.floor(this.random.next() * ARN_SUFFIX_ALPHABET.length)];
    return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${suffix}`;
  }

  private resolve(secretId: string): SecretRecord {
    const secret = secretId.startsWith('arn:') ? this.byArn.get(secretId) : this.byName.get(secretId);
    if (!secret) throw notFound("Secrets Manager can't find the specified secret.");
    return secret;
  }

  private resolveLive(secretId: string, action: string): SecretRecord {
    const secret = this.resolve(secretId);
    if (secret.deletedDate !== undefined) {
      throw invalidRequest(`You can't perform this operation on the secret because it was marked for deletion. (${action})`);
    }
    return secret;
  }

  private readValue(body: Json): { secretString?: string; secretBinary?: string } {
    const secretString = optionalString(body, 'SecretString');
    const secretBinary = optionalString(body, 'SecretBinary');
    if (secretString !== undefined && secretBinary !== undefined) {
      throw invalidParameter('You can only specify one of SecretString or SecretBinary.');
    }
    const size = secretString !== undefined ? Buffer.byteLength(secretString, 'utf8') : secretBinary !== undefined ? Buffer.from(secretBinary, 'base64').length : 0;
    if (size > MAX_SECRET_BYTES) throw validation(`The secret value is ${size} bytes; the limit is ${MAX_SECRET_BYTES} bytes.`);
    if ((secretString !== undefined || secretBinary !== undefined) && size === 0) throw validation('The secret value must not be empty.');
    return { ...(secretString !== undefined && { secretString }), ...(secretBinary !== undefined && { secretBinary }) };
  }

  private checkToken(token: string | undefined): void {
    if (token !== undefined && (token.length < 32 || token.length > 64)) {
      throw validation("ClientRequestToken must be between 32 and 64 characters long.");
    }
  }

  /** Attaches a label to one version, taking it from whichever version held it; AWSCURRENT leaves AWSPREVIOUS behind. */
  private attachStage(secret: SecretRecord, stage: string, target: VersionRecord): void {
    const holder = [...secret.versions.values()].find((version) => version.stages.has(stage));
    if (holder === target) return;
    holder?.stages.delete(stage);
    if (stage === CURRENT && holder) {
      for (const version of secret.versions.values()) version.stages.delete(PREVIOUS);
      holder.stages.add(PREVIOUS);
    }
    target.stages.add(stage);
  }

  private addVersion(secret: SecretRecord, versionId: string, value: { secretString?: string; secretBinary?: string }, stages: string[]): VersionRecord {
    const version: VersionRecord = { versionId, ...value, createdDate: this.now(), stages: new Set() };
    secret.versions.set(versionId, version);
    for (const stage of stages) this.attachStage(secret, stage, version);
    secret.lastChangedDate = version.createdDate;
    return version;
  }

  private stagedVersions(secret: SecretRecord): Record<string, string[]> {
    const result: Record<string, string[]> = {};
    for (const version of secret.versions.values()) {
      if (version.stages.size > 0) result[version.versionId] = [...version.stages];
    }
    return result;
  }

  private createSecret(body: Json): Json {
    const name = requiredString(body, 'Name');
    if (!NAME_PATTERN.test(name)) throw validation(`The secret name '${name}' is longer than 512 characters or contains characters outside [A-Za-z0-9/_+=.@-].`);
    const token = optionalString(body, 'ClientRequestToken');
    this.checkToken(token);
    const value = this.readValue(body);
    const tags = parseTags(body);
    if (tags.length > MAX_TAGS) throw validation(`A secret can have at most ${MAX_TAGS} tags.`);
    const existing = this.byName.get(name);
    if (existing) {
      const message = existing.deletedDate !== undefined
        ? `You can't create this secret because a secret with this name is already scheduled for deletion.`
        : `The operation failed because the secret ${name} already exists.`;
      throw existing.deletedDate !== undefined ? invalidRequest(message) : new ServiceFault('ResourceExistsException', message);
    }
    const now = this.now();
    const kmsKeyId = optionalString(body, 'KmsKeyId');
    const description = optionalString(body, 'Description');
    const secret: SecretRecord = {
      name,
      arn: this.arnFor(name),
      createdDate: now,
      lastChangedDate: now,
      position: this.ordered.length,
      tags: new Map(tags.map((tag) => [tag.Key, tag.Value])),
      versions: new Map(),
      ...(kmsKeyId !== undefined && { kmsKeyId }),
      ...(description !== undefined && { description }),
    };
    this.byName.set(name, secret);
    this.byArn.set(secret.arn, secret);
    this.ordered.push(secret);
    const hasValue = value.secretString !== undefined || value.secretBinary !== undefined;
    if (!hasValue) return { ARN: secret.arn, Name: name };
    if (token === undefined) throw invalidParameter('ClientRequestToken is required when a value is given.');
    this.addVersion(secret, token, value, [CURRENT]);
    return { ARN: secret.arn, Name: name, VersionId: token };
  }

  private describeSecret(body: Json): Json {
    const secret = this.resolve(requiredString(body, 'SecretId'));
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.description !== undefined && { Description: secret.description }),
      ...(secret.kmsKeyId !== undefined && { KmsKeyId: secret.kmsKeyId }),
      RotationEnabled: false,
      CreatedDate: secret.createdDate,
      LastChangedDate: secret.lastChangedDate,
      ...(secret.lastAccessedDate !== undefined && { LastAccessedDate: secret.lastAccessedDate }),
      ...(secret.deletedDate !== undefined && { DeletedDate: secret.deletedDate }),
      Tags: tagList(secret.tags),
      VersionIdsToStages: this.stagedVersions(secret),
    };
  }

  private selectVersion(secret: SecretRecord, versionId: string | undefined, stage: string | undefined): VersionRecord {
    if (versionId !== undefined) {
      const version = secret.versions.get(versionId);
      if (!version || (stage !== undefined && !version.stages.has(stage))) {
        throw notFound(`Secrets Manager can't find the specified secret value for VersionId: ${versionId}${stage !== undefined ? ` and VersionStage: ${stage}` : ''}`);
      }
      return version;
    }
    const label = stage ?? CURRENT;
    const version = [...secret.versions.values()].find((candidate) => candidate.stages.has(label));
    if (!version) throw notFound(`Secrets Manager can't find the specified secret value for staging label: ${label}`);
    return version;
  }

  private valueEntry(secret: SecretRecord, version: VersionRecord): Json {
    const now = this.now();
    version.lastAccessedDate = now;
    secret.lastAccessedDate = now;
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      ...(version.secretString !== undefined && { SecretString: version.secretString }),
      ...(version.secretBinary !== undefined && { SecretBinary: version.secretBinary }),
      VersionStages: [...version.stages],
      CreatedDate: version.createdDate,
    };
  }

  private getSecretValue(body: Json): Json {
    const secret = this.resolveLive(requiredString(body, 'SecretId'), 'GetSecretValue');
    const version = this.selectVersion(secret, optionalString(body, 'VersionId'), optionalString(body, 'VersionStage'));
    return this.valueEntry(secret, version);
  }

  private putSecretValue(body: Json): Json {
    const secret = this.resolveLive(requiredString(body, 'SecretId'), 'PutSecretValue');
    const token = requiredString(body, 'ClientRequestToken');
    this.checkToken(token);
    const value = this.readValue(body);
    if (value.secretString === undefined && value.secretBinary === undefined) {
      throw invalidParameter('You must provide either SecretString or SecretBinary.');
    }
    const requested = optionalStringList(body, 'VersionStages') ?? [CURRENT];
    // "If this operation creates the first version for the secret, then Secrets Manager automatically attaches the
    // staging label AWSCURRENT to it", whatever VersionStages says.
    const stages = secret.versions.size === 0 && !requested.includes(CURRENT) ? [...requested, CURRENT] : requested;
    const existing = secret.versions.get(token);
    if (existing) {
      if (existing.secretString !== value.secretString || existing.secretBinary !== value.secretBinary) {
        throw new ServiceFault('ResourceExistsException', "You can't modify an existing version, you can only create a new version.");
      }
      return { ARN: secret.arn, Name: secret.name, VersionId: token, VersionStages: [...existing.stages] };
    }
    const version = this.addVersion(secret, token, value, stages);
    return { ARN: secret.arn, Name: secret.name, VersionId: token, VersionStages: [...version.stages] };
  }

  private updateSecretVersionStage(body: Json): Json {
    const secret = this.resolveLive(requiredString(body, 'SecretId'), 'UpdateSecretVersionStage');
    const stage = requiredString(body, 'VersionStage');
    const moveTo = optionalString(body, 'MoveToVersionId');
    const removeFrom = optionalString(body, 'RemoveFromVersionId');
    const holder = [...secret.versions.values()].find((version) => version.stages.has(stage));
    if (removeFrom !== undefined) {
      if (!secret.versions.has(removeFrom)) throw notFound(`Secrets Manager can't find the specified secret version: ${removeFrom}`);
      if (holder?.versionId !== removeFrom) {
        throw invalidParameter(`The staging label ${stage} is not attached to version ${removeFrom}, so you can't remove it from that version.`);
      }
    }
    if (moveTo === undefined) {
      if (removeFrom === undefined) throw invalidParameter('Specify MoveToVersionId, RemoveFromVersionId or both.');
      if (stage === CURRENT) throw invalidParameter('You can only remove AWSCURRENT by moving it to another version.');
      holder?.stages.delete(stage);
    } else {
      const target = secret.versions.get(moveTo);
      if (!target) throw notFound(`Secrets Manager can't find the specified secret version: ${moveTo}`);
      if (holder && holder !== target && removeFrom === undefined) {
        throw invalidParameter(`The staging label ${stage} is currently attached to version ${holder.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`);
      }
      this.attachStage(secret, stage, target);
    }
    secret.lastChangedDate = this.now();
    return { ARN: secret.arn, Name: secret.name };
  }

  private matchesFilters(secret: SecretRecord, filters: Array<{ key: string; values: string[] }>): boolean {
    return filters.every(({ key, values }) =>
      values.some((raw) => {
        const negated = raw.startsWith('!');
        const wanted = negated ? raw.slice(1) : raw;
        const matched = this.matchesFilter(secret, key, wanted);
        return negated ? !matched : matched;
      }),
    );
  }

  private matchesFilter(secret: SecretRecord, key: string, wanted: string): boolean {
    switch (key) {
      case 'name':
        return secret.name.startsWith(wanted);
      case 'description':
        return (secret.description ?? '').toLowerCase().startsWith(wanted.toLowerCase());
      case 'tag-key':
        return [...secret.tags.keys()].some((tagKey) => tagKey.startsWith(wanted));
      case 'tag-value':
        return [...secret.tags.values()].some((tagValue) => tagValue.startsWith(wanted));
      case 'primary-region':
      case 'owning-service':
        return false;
      default: {
        const needle = wanted.toLowerCase();
        const haystack = [secret.name, secret.description ?? '', ...secret.tags.keys(), ...secret.tags.values()];
        return haystack.some((text) => text.toLowerCase().includes(needle));
      }
    }
  }

  private parseFilters(body: Json): Array<{ key: string; values: string[] }> {
    return structureList(body, 'Filters').map(({ Key: key, Values: values }) => {
      const keys = ['description', 'name', 'tag-key', 'tag-value', 'primary-region', 'owning-service', 'all'];
      if (typeof key !== 'string' || !keys.includes(key)) throw validation(`Filter Key must be one of ${keys.join(', ')}`);
      if (!Array.isArray(values) || values.length < 1 || values.length > 10 || values.some((value) => typeof value !== 'string' || !FILTER_VALUE_PATTERN.test(value))) {
        throw validation(`Filter Values for ${key} must hold 1-10 strings matching ${FILTER_VALUE_PATTERN.source}`);
      }
      return { key, values: values as string[] };
    });
  }

  /** Scans creation order from the token's position, so a full listing is linear in the number of secrets. */
  private filteredPage(body: Json, limit: number): { secrets: SecretRecord[]; nextToken?: string } {
    const pageSize = maxResults(body, limit);
    const filters = this.parseFilters(body);
    const includeDeleted = body['IncludePlannedDeletion'] === true;
    const secrets: SecretRecord[] = [];
    let position = decodePageToken(optionalString(body, 'NextToken'));
    for (; position < this.ordered.length && secrets.length < pageSize; position++) {
      const secret = this.ordered[position];
      if (!secret || (!includeDeleted && secret.deletedDate !== undefined)) continue;
      if (this.matchesFilters(secret, filters)) secrets.push(secret);
    }
    return { secrets, ...(position < this.ordered.length && { nextToken: encodePageToken(position) }) };
  }

  private listSecrets(body: Json): Json {
    const { secrets, nextToken } = this.filteredPage(body, 100);
    return {
      SecretList: secrets.map((secret) => ({
        ARN: secret.arn,
        Name: secret.name,
        ...(secret.description !== undefined && { Description: secret.description }),
        ...(secret.kmsKeyId !== undefined && { KmsKeyId: secret.kmsKeyId }),
        CreatedDate: secret.createdDate,
        LastChangedDate: secret.lastChangedDate,
        ...(secret.deletedDate !== undefined && { DeletedDate: secret.deletedDate }),
        Tags: tagList(secret.tags),
        SecretVersionsToStages: this.stagedVersions(secret),
      })),
      ...(nextToken !== undefined && { NextToken: nextToken }),
    };
  }

  private listSecretVersionIds(body: Json): Json {
    const secret = this.resolve(requiredString(body, 'SecretId'));
    const pageSize = maxResults(body, 100);
    const includeDeprecated = body['IncludeDeprecated'] === true;
    const versions = [...secret.versions.values()].filter((version) => includeDeprecated || version.stages.size > 0);
    const start = decodePageToken(optionalString(body, 'NextToken'));
    const page = versions.slice(start, start + pageSize);
    return {
      ARN: secret.arn,
      Name: secret.name,
      Versions: page.map((version) => ({
        VersionId: version.versionId,
        VersionStages: [...version.stages],
        CreatedDate: version.createdDate,
        ...(version.lastAccessedDate !== undefined && { LastAccessedDate: version.lastAccessedDate }),
      })),
      ...(start + pageSize < versions.length && { NextToken: encodePageToken(start + pageSize) }),
    };
  }

  private tagResource(body: Json): Json {
    const secret = this.resolve(requiredString(body, 'SecretId'));
    const tags = parseTags(body);
    const merged = new Map(secret.tags);
    for (const tag of tags) merged.set(tag.Key, tag.Value);
    if (merged.size > MAX_TAGS) throw validation(`A secret can have at most ${MAX_TAGS} tags.`);
    for (const tag of tags) secret.tags.set(tag.Key, tag.Value);
    return {};
  }

  private untagResource(body: Json): Json {
    const secret = this.resolve(requiredString(body, 'SecretId'));
    for (const key of optionalStringList(body, 'TagKeys') ?? []) secret.tags.delete(key);
    return {};
  }

  private deleteSecret(body: Json): Json {
    const secretId = requiredString(body, 'SecretId');
    const force = body['ForceDeleteWithoutRecovery'] === true;
    const windowDays = optionalNumber(body, 'RecoveryWindowInDays');
    if (force && windowDays !== undefined) {
      throw invalidParameter('You can only specify one of RecoveryWindowInDays or ForceDeleteWithoutRecovery.');
    }
    if (windowDays !== undefined && (windowDays < 7 || windowDays > 30)) throw invalidParameter('RecoveryWindowInDays must be between 7 and 30.');
    const now = this.now();
    // "If you forcibly delete an already deleted or nonexistent secret, the operation does not return ResourceNotFoundException."
    const known = secretId.startsWith('arn:') ? this.byArn.get(secretId) : this.byName.get(secretId);
    if (force && !known) return { Name: secretId, DeletionDate: now };
    const secret = this.resolve(secretId);
    if (force) {
      this.byName.delete(secret.name);
      this.byArn.delete(secret.arn);
      this.ordered[secret.position] = undefined;
      return { ARN: secret.arn, Name: secret.name, DeletionDate: now };
    }
    if (secret.deletedDate !== undefined) throw invalidRequest('The secret is already scheduled for deletion.');
    secret.deletedDate = now;
    return { ARN: secret.arn, Name: secret.name, DeletionDate: now + (windowDays ?? 30) * 86_400 };
  }

  private restoreSecret(body: Json): Json {
    const secret = this.resolve(requiredString(body, 'SecretId'));
    delete secret.deletedDate;
    return { ARN: secret.arn, Name: secret.name };
  }

  private putResourcePolicy(body: Json): Json {
    const secret = this.resolveLive(requiredString(body, 'SecretId'), 'PutResourcePolicy');
    const policy = requiredString(body, 'ResourcePolicy');
    try {
      JSON.parse(policy);
    } catch {
      throw new ServiceFault('MalformedPolicyDocumentException', 'The resource policy is not valid JSON.');
    }
    secret.resourcePolicy = policy;
    return { ARN: secret.arn, Name: secret.name };
  }

  private getResourcePolicy(body: Json): Json {
    const secret = this.resolve(requiredString(body, 'SecretId'));
    return { ARN: secret.arn, Name: secret.name, ...(secret.resourcePolicy !== undefined && { ResourcePolicy: secret.resourcePolicy }) };
  }

  private deleteResourcePolicy(body: Json): Json {
    const secret = this.resolve(requiredString(body, 'SecretId'));
    delete secret.resourcePolicy;
    return { ARN: secret.arn, Name: secret.name };
  }

  private batchGetSecretValue(body: Json): Json {
    const ids = optionalStringList(body, 'SecretIdList');
    if ((ids === undefined) === (body['Filters'] === undefined)) throw invalidParameter('Specify exactly one of SecretIdList or Filters.');
    if (ids !== undefined) {
      if (ids.length > 20) throw validation('SecretIdList can hold at most 20 ids.');
      const values: Json[] = [];
      const errors: Json[] = [];
      for (const id of ids) {
        try {
          const secret = this.resolveLive(id, 'BatchGetSecretValue');
          values.push(this.valueEntry(secret, this.selectVersion(secret, undefined, CURRENT)));
        } catch (error) {
          if (!(error instanceof ServiceFault)) throw error;
          errors.push({ SecretId: id, ErrorCode: error.type, Message: error.message });
        }
      }
      return { SecretValues: values, Errors: errors };
    }
    const { secrets, nextToken } = this.filteredPage(body, 20);
    const values = secrets
      .filter((secret) => secret.deletedDate === undefined)
      .flatMap((secret) => {
        const current = [...secret.versions.values()].find((version) => version.stages.has(CURRENT));
        return current ? [this.valueEntry(secret, current)] : [];
      });
    return { SecretValues: values, Errors: [], ...(nextToken !== undefined && { NextToken: nextToken }) };
  }
}

interface PendingFault {
  remaining: number;
  type: string;
  status: number;
}

export async function startSecretsManagerEmulator(options: SecretsManagerEmulatorOptions = {}): Promise<SecretsManagerEmulator> {
  const service = new SecretsService(new SeededRandom(options.randomSeed ?? randomInt(2 ** 31)));
  const recordRequests = options.recordRequests ?? true;
  const log: RecordedRequest[] = [];
  const counts = new Map<string, number>();
  const faults = new Map<string, PendingFault[]>();

  const takeFault = (operation: string): PendingFault | undefined => {
    const queue = faults.get(operation);
    const fault = queue?.[0];
    if (!queue || !fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) queue.shift();
    return fault;
  };

  const addFault = (operation: string, fault: PendingFault) => {
    if (fault.remaining <= 0) return;
    faults.set(operation, [...(faults.get(operation) ?? []), fault]);
  };

  /** Times of the tag requests of the last second that were answered, oldest first. */
  const tagRequests: number[] = [];
  const enforceTagQuota = (operation: string) => {
    if (!options.tagQuota || !TAG_OPERATIONS.has(operation)) return;
    const now = options.tagQuota.clock();
    while ((tagRequests[0] ?? now) <= now - 1000) tagRequests.shift();
    if (tagRequests.length >= TAG_REQUESTS_PER_SECOND) throw new ServiceFault('ThrottlingException', 'Rate exceeded', 400);
    tagRequests.push(now);
  };
  const beforeOperation = (operation: string, body: string) => {
    if (recordRequests) log.push({ operation, body });
    counts.set(operation, (counts.get(operation) ?? 0) + 1);
    const fault = takeFault(operation);
    if (fault) throw new ServiceFault(fault.type, `Injected ${fault.type} for ${operation}`, fault.status);
    enforceTagQuota(operation);
  };
  const server = createServer(
    jsonProtocolListener({ targetPrefix: 'secretsmanager', operations: service.operations, internalErrorType: 'InternalServiceError', beforeOperation }),
  );
  const { endpoint } = await listenOnLoopback(server);

  return {
    endpoint,
    snapshot: () => ({
      secrets: service.snapshot(),
      random: service.random.state,
      requests: log.map((request) => ({ ...request })),
      counts: Object.fromEntries(counts),
      faults: Object.fromEntries([...faults].map(([operation, queue]) => [operation, queue.map((fault) => ({ ...fault }))])),
    }),
    restore: (snapshot) => {
      service.restore(snapshot.secrets);
      service.random.state = snapshot.random >>> 0;
      log.length = 0;
      for (const request of snapshot.requests) log.push({ ...request });
      counts.clear();
      for (const [operation, count] of Object.entries(snapshot.counts)) counts.set(operation, count);
      faults.clear();
      for (const [operation, queue] of Object.entries(snapshot.faults)) faults.set(operation, queue.map((fault) => ({ ...fault })));
    },
    seed: (secrets) => {
      for (const secret of secrets) {
        service.operations.CreateSecret?.({
          Name: secret.name,
          ...(secret.value !== undefined && { SecretString: secret.value, ClientRequestToken: randomUUID() }),
          Tags: Object.entries(secret.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
        });
      }
    },
    invoke: (operation, input) => {
      const body = JSON.stringify(input);
      beforeOperation(operation, body);
      const implementation = Object.hasOwn(service.operations, operation) ? service.operations[operation] : undefined;
      if (!implementation) throw new ServiceFault('UnknownOperationException', `Unknown operation ${operation}`);
      return implementation(JSON.parse(body) as Json);
    },
    requests: () => [...log],
    counts: () => Object.fromEntries(counts),
    faults: {
      throttleNext: (operation, count) => addFault(operation, { remaining: count, type: 'ThrottlingException', status: 400 }),
      failNext: (operation, count, errorType = 'InternalServiceError') =>
        addFault(operation, { remaining: count, type: errorType, status: errorType === 'InternalServiceError' ? 500 : 400 }),
      clear: () => faults.clear(),
    },
    inspect: {
      secretNames: () => service.secretNames(),
      versions: (name) =>
        [...(service.find(name)?.versions.values() ?? [])].map((version) => ({
          versionId: version.versionId,
          stages: [...version.stages],
          ...(version.secretString !== undefined && { value: version.secretString }),
        })),
      tags: (name) => Object.fromEntries(service.find(name)?.tags ?? []),
    },
    close: () => closeServer(server),
  };
}
