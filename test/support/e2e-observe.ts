/**
 * What the end-to-end tests look at after a run, from the outside only: what a consumer can read from Secrets
 * Manager and use against APIC, the state of the simulator and the emulators, the digest mails, and a scanner
 * that finds secrets in collected text.
 */
import { createHash } from 'node:crypto';
import { GetSecretValueCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import type { NoticeKind } from '../../functions/domain/model';
import { isPlaceholderValue, secretNameFor } from '../../functions/domain/secrets';
import type { InspectedCredential } from '../../tools/apic-simulator';
import type { LocalEnvironment } from '../../tools/runner/local-environment';
import type { CapturedEmail } from '../../tools/emulators/ses/emulator';
import { SUFFIX, TARGET, type SeededCredential } from './e2e-catalog';
import { apicMutations } from './restore-run';

const SECRET_PREFIX = 'apic-rotator';

/** The JSON a consumer reads from the credential's secret (design.md "Secret store"). */
export interface StoredCredentialValue {
  readonly client_id: string;
  readonly client_secret: string;
  readonly consumer_org: string;
  readonly app: string;
  readonly credential: string;
  readonly cycle_id: string;
}

export function secretNameOf(credential: Pick<SeededCredential, 'consumerOrg' | 'app' | 'name'>): string {
  return secretNameFor(SECRET_PREFIX, { ...TARGET, consumerOrg: credential.consumerOrg, app: credential.app, credential: credential.name });
}

/** The AWSCURRENT value through the real SDK client, as a consumer reads it; undefined before the first rotation. */
export async function readCurrentValue(stack: LocalEnvironment, secretName: string): Promise<StoredCredentialValue | undefined> {
  try {
    const { SecretString } = await stack.secretsManagerClient.send(
      new GetSecretValueCommand({ SecretId: secretName, VersionStage: 'AWSCURRENT' }),
    );
    const value: unknown = SecretString === undefined ? undefined : JSON.parse(SecretString);
    // A secret created by a warn notice holds only the placeholder (docs/consumers.md).
    return value === undefined || isPlaceholderValue(value) ? undefined : (value as StoredCredentialValue);
  } catch (error) {
    // One never warned about does not exist; one an earlier release created empty has no version at all.
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/** One seeded credential's lifecycle as the outside world sees it after a run. */
export interface CredentialObservation {
  /** The credential named like the seed (the original, or the renamed replacement). */
  readonly named?: InspectedCredential;
  readonly replacement?: InspectedCredential;
  /** Credentials of the app whose name is the base name or the base name plus the suffix. */
  readonly sameBase: number;
  /** The seeded client id is still in APIC and APIC accepts the secret its consumer has held from before. */
  readonly originalUsable: boolean;
  readonly current?: StoredCredentialValue;
  /** APIC accepts the AWSCURRENT pair. */
  readonly currentAccepted: boolean;
}

export async function observeCredential(stack: LocalEnvironment, credential: SeededCredential): Promise<CredentialObservation> {
  const { providerOrg, catalog } = TARGET;
  const appCredentials = stack.apic.inspect.credentials(providerOrg, catalog, credential.consumerOrg, credential.app);
  const replacementName = credential.name + SUFFIX;
  const accepts = (clientId: string, clientSecret: string) =>
    stack.apic.inspect.accepts(providerOrg, catalog, credential.consumerOrg, credential.app, clientId, clientSecret);
  const current = await readCurrentValue(stack, secretNameOf(credential));
  const named = appCredentials.find((c) => c.name === credential.name);
  const replacement = appCredentials.find((c) => c.name === replacementName);
  return {
    ...(named ? { named } : {}),
    ...(replacement ? { replacement } : {}),
    sameBase: appCredentials.filter((c) => c.name === credential.name || c.name === replacementName).length,
    originalUsable:
      appCredentials.some((c) => c.clientId === credential.clientId) && accepts(credential.clientId, credential.clientSecret),
    ...(current ? { current } : {}),
    currentAccepted: current !== undefined && accepts(current.client_id, current.client_secret),
  };
}

/** Asks the simulator over HTTP, as any APIC client would, whether it accepts the pair for the named credential. */
export async function verifyOverHttp(
  stack: LocalEnvironment,
  credential: Pick<SeededCredential, 'consumerOrg' | 'app'>,
  credentialName: string,
  pair: { clientId: string; clientSecret: string },
): Promise<number> {
  const { admin, baseUrl } = stack.apic;
  const tokenResponse = await fetch(new URL('token', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      grant_type: 'password',
      username: admin.username,
      password: admin.password,
      realm: admin.realm,
      client_id: admin.clientId,
      client_secret: admin.clientSecret,
    }),
  });
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
  const appPath = [TARGET.providerOrg, TARGET.catalog, credential.consumerOrg, credential.app].map(encodeURIComponent).join('/');
  const path = `apps/${appPath}/credentials/${encodeURIComponent(credentialName)}/verify-client-secret`;
  const response = await fetch(new URL(path, baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ client_id: pair.clientId, client_secret: pair.clientSecret }),
  });
  await response.arrayBuffer();
  return response.status;
}

const WRITE_OPERATIONS = [
  'CreateSecret',
  'PutSecretValue',
  'UpdateSecretVersionStage',
  'TagResource',
  'UntagResource',
  'DeleteSecret',
  'RestoreSecret',
  'PutResourcePolicy',
  'DeleteResourcePolicy',
];

/** Everything a run could change, as plain data that `toEqual` compares; secret values only as hashes, so a failed comparison prints none. */
export interface WorldSnapshot {
  readonly apicCredentials: Record<string, InspectedCredential[]>;
  readonly apicWrites: Record<string, number>;
  readonly secrets: Record<string, { versions: Array<{ versionId: string; stages: string[]; valueSha256?: string }>; tags: Record<string, string> }>;
  readonly secretWrites: Record<string, number>;
  readonly mails: number;
  readonly rotationEvents: number;
}

export async function snapshotWorld(stack: LocalEnvironment): Promise<WorldSnapshot> {
  const { providerOrg, catalog } = TARGET;
  const apicCredentials = Object.fromEntries(
    stack.apic.inspect
      .apps(providerOrg, catalog)
      .map(({ consumerOrg, app }) => [`${consumerOrg}/${app}`, stack.apic.inspect.credentials(providerOrg, catalog, consumerOrg, app)]),
  );
  const apicWrites = apicMutations(stack.apic.counters());
  const { inspect } = stack.secretsManager;
  const secrets = Object.fromEntries(
    inspect.secretNames().map((name) => [
      name,
      {
        versions: inspect.versions(name).map(({ versionId, stages, value }) => ({
          versionId,
          stages: [...stages].sort(),
          ...(value === undefined ? {} : { valueSha256: createHash('sha256').update(value).digest('hex') }),
        })),
        tags: inspect.tags(name),
      },
    ]),
  );
  const counts = stack.secretsManager.counts();
  const secretWrites = Object.fromEntries(WRITE_OPERATIONS.map((operation) => [operation, counts[operation] ?? 0]));
  return {
    apicCredentials,
    apicWrites,
    secrets,
    secretWrites,
    mails: (await stack.ses.emails()).length,
    rotationEvents: stack.eventBridge.events().length,
  };
}

export interface DigestNotice {
  readonly kind: NoticeKind;
  readonly consumerOrg: string;
  readonly app: string;
  readonly credential: string;
}

export interface ParsedDigest {
  readonly to: readonly string[];
  /** The operator receives notices of consumer orgs without an owner e-mail, to forward them. */
  readonly audience: 'owner' | 'operator';
  readonly notices: readonly DigestNotice[];
}

/** The section headings of the digest text, as a consumer reads them. */
const SECTION_KINDS: Record<string, NoticeKind> = {
  'Credentials expiring soon': 'warn',
  'Replacement credentials ready': 'replacement-ready',
  'Old credentials removed': 'old-removed',
  'Action needed': 'action-needed',
};
const ITEM_LINE = /^- App "(.+?)" in consumer org "(.+?)" \(catalog "(.+?)", provider org "(.+?)"\), credential "(.+)"\.$/;

export class DigestParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DigestParseError';
  }
}

/** Reads a digest's plain-text body back into notices: every item line must sit under a known section. */
export function parseDigest(mail: CapturedEmail): ParsedDigest {
  const lines = (mail.text ?? '').split('\n');
  const notices: DigestNotice[] = [];
  let section: NoticeKind | undefined;
  lines.forEach((line, index) => {
    const underline = lines[index + 1] ?? '';
    if (/^=+$/.test(underline) && underline.length === line.length) {
      section = SECTION_KINDS[line];
      if (!section) throw new DigestParseError(`unknown digest section "${line}"`);
      return;
    }
    const item = ITEM_LINE.exec(line);
    if (!item) return;
    if (!section) throw new DigestParseError(`digest item outside any section: ${line}`);
    const [, app = '', consumerOrg = '', , , credential = ''] = item;
    notices.push({ kind: section, consumerOrg, app, credential });
  });
  const audience = (mail.text ?? '').includes('no usable owner e-mail') ? 'operator' : 'owner';
  return { to: mail.to, audience, notices };
}

/** Every `client_secret` held in any version of any secret of the emulator. */
export function storedClientSecrets(stack: LocalEnvironment): string[] {
  const { inspect } = stack.secretsManager;
  return inspect.secretNames().flatMap((name) =>
    inspect.versions(name).flatMap((version) => {
      if (version.value === undefined) return [];
      const parsed = JSON.parse(version.value) as { client_secret?: unknown };
      return typeof parsed.client_secret === 'string' ? [parsed.client_secret] : [];
    }),
  );
}

export interface CollectedText {
  /** Where the text came from, e.g. `log line 12 of day 30`. */
  readonly source: string;
  readonly text: string;
}

export interface SecretLeak {
  readonly source: string;
  /** Position of the secret in the list searched for; the secret itself is never reported. */
  readonly secretIndex: number;
}

/** Finds each secret as written and as it appears inside a JSON string (escaped), in every collected text. */
export function findSecretLeaks(collected: Iterable<CollectedText>, secrets: readonly string[]): SecretLeak[] {
  const needles = secrets.map((secret) => [...new Set([secret, JSON.stringify(secret).slice(1, -1)])]);
  const leaks: SecretLeak[] = [];
  for (const { source, text } of collected) {
    needles.forEach((forms, secretIndex) => {
      if (forms.some((form) => text.includes(form))) leaks.push({ source, secretIndex });
    });
  }
  return leaks;
}
