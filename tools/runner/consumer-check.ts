/**
 * What a consumer experiences: for every app, can they read a credential from Secrets Manager that APIC accepts,
 * or do they still hold an original the rotator has not replaced yet?
 */
import { GetSecretValueCommand, ResourceNotFoundException, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ApicSimulator } from '../apic-simulator';
import { isPlaceholderValue, secretNameFor } from '../../functions/domain/secrets';

export interface AppCredentialStatus {
  readonly consumerOrg: string;
  readonly app: string;
  readonly credentials: ReadonlyArray<{ name: string; title: string; clientId: string; createdAt: string }>;
  /** Base names whose AWSCURRENT secret APIC accepts. */
  readonly servedFromSecretsManager: readonly string[];
  /** Base names whose stored secret APIC rejects: a consumer reading it would be locked out. */
  readonly rejectedSecrets: readonly string[];
  /** True when the app has a credential a consumer can use (or has none at all, which rotation never causes). */
  readonly usable: boolean;
}

interface StoredPair {
  readonly client_id: string;
  readonly client_secret: string;
}

/** The AWSCURRENT pair; undefined before the first rotation (no secret, or only its placeholder, docs/consumers.md). */
async function readCurrent(client: SecretsManagerClient, secretId: string): Promise<StoredPair | undefined> {
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }));
    const value: unknown = SecretString ? JSON.parse(SecretString) : undefined;
    return value === undefined || isPlaceholderValue(value) ? undefined : (value as StoredPair);
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

export async function checkConsumers(
  apic: ApicSimulator,
  secrets: SecretsManagerClient,
  target: { providerOrg: string; catalog: string },
  options: { secretPrefix?: string; replacementSuffix?: string } = {},
): Promise<AppCredentialStatus[]> {
  const prefix = options.secretPrefix ?? 'apic-rotator';
  const suffix = options.replacementSuffix ?? '_new';
  const statuses: AppCredentialStatus[] = [];
  for (const { consumerOrg, app } of apic.inspect.apps(target.providerOrg, target.catalog)) {
    const credentials = apic.inspect.credentials(target.providerOrg, target.catalog, consumerOrg, app);
    const bases = [...new Set(credentials.map((c) => (c.name.endsWith(suffix) ? c.name.slice(0, -suffix.length) : c.name)))];
    const served: string[] = [];
    const rejected: string[] = [];
    let untouchedOriginals = 0;
    for (const base of bases) {
      const secretId = secretNameFor(prefix, { ...target, consumerOrg, app, credential: base });
      const current = await readCurrent(secrets, secretId);
      if (!current) {
        untouchedOriginals += credentials.some((c) => c.name === base) ? 1 : 0;
        continue;
      }
      const accepted = apic.inspect.accepts(target.providerOrg, target.catalog, consumerOrg, app, current.client_id, current.client_secret);
      (accepted ? served : rejected).push(base);
    }
    statuses.push({
      consumerOrg,
      app,
      credentials,
      servedFromSecretsManager: served,
      rejectedSecrets: rejected,
      usable: credentials.length === 0 || served.length > 0 || untouchedOriginals > 0,
    });
  }
  return statuses;
}
