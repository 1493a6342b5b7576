/**
 * The RestoreCredential step: gives one app of a rebuilt APIC the credential its consumer holds, with the client id
 * and secret stored in Secrets Manager, unless APIC already accepts them.
 */
import { ensureSecretAccepted, unlessNotFound } from '../apic/lookups';
import type { AppLocator, ClientSecretPair } from '../model';
import type { ApicPort, CredentialSecretLocator, SecretStorePort } from '../ports';
import { parseSecretName } from '../secrets/naming';
import { decideRestore, holderOf } from './decide';
import { MAX_REASON_CHARS } from './summary';
import type { RestoreItem, RestoreItemResult } from './types';

export interface RestoreDeps {
  readonly apic: ApicPort;
  readonly store: SecretStorePort;
}

/** APIC or the store is not as a restore needs it; the message says what to fix. Nothing secret is quoted. */
export class RestoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RestoreError';
  }
}

function appOf(locator: CredentialSecretLocator): AppLocator {
  return { providerOrg: locator.providerOrg, catalog: locator.catalog, consumerOrg: locator.consumerOrg, app: locator.app };
}

/** Makes APIC accept the stored secret on the credential: verified first, patched only when refused. */
async function restoreSecret(apic: ApicPort, app: AppLocator, credentialId: string, name: string, pair: ClientSecretPair): Promise<void> {
  if (!(await ensureSecretAccepted(apic, app, credentialId, pair))) {
    throw new RestoreError(`APIC still rejects the stored secret of credential ${name} (client id ${pair.clientId}) after setting it`);
  }
}

/** Failures another attempt may cure; they are left to the workflow's Retry (and, at last, its Catch). */
function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (error as { retryable?: unknown }).retryable === true || /Throttl/.test(error.name) || /Throttl/.test((error as { awsErrorName?: string }).awsErrorName ?? '');
}

/**
 * `restoreCredential`, with a lasting failure reported as this secret's result: the reason stays short (a Lambda
 * error's Cause would carry the stack trace into every later payload) and the run goes on.
 */
export async function restoreCredentialReported(deps: RestoreDeps, item: RestoreItem): Promise<RestoreItemResult> {
  try {
    return await restoreCredential(deps, item);
  } catch (error) {
    if (isTransient(error) || !(error instanceof Error)) throw error;
    return { status: 'failed', secretName: item.secretName, error: error.name, cause: error.message.slice(0, MAX_REASON_CHARS) };
  }
}

export async function restoreCredential(deps: RestoreDeps, item: RestoreItem): Promise<RestoreItemResult> {
  const locator = parseSecretName(item.secretPrefix, item.secretName);
  if (!locator) throw new RestoreError(`${item.secretName} is not a credential secret name under ${item.secretPrefix}`);
  const done = (outcome: Extract<RestoreItemResult, { status: 'done' }>['outcome'], restoredAs?: string): RestoreItemResult => ({
    status: 'done',
    secretName: item.secretName,
    outcome,
    ...(restoredAs !== undefined && restoredAs !== locator.credential ? { restoredAs } : {}),
  });

  // A secret a warn notice created has no value: nobody was ever given a credential from it.
  const pair = await deps.store.readCurrent(locator);
  if (!pair) return done('no-value');
  const app = appOf(locator);
  const apicApp = await unlessNotFound(deps.apic.getApp(app));
  const holder = apicApp && holderOf(apicApp.credentials, pair.clientId);
  const decision = decideRestore({
    credential: locator.credential,
    clientId: pair.clientId,
    appCredentials: apicApp?.credentials,
    ...(holder ? { holderAcceptsSecret: await deps.apic.verifyClientSecret(app, holder.id, pair) } : {}),
  });

  switch (decision.kind) {
    case 'app-missing':
      return done('app-missing');
    case 'already-present':
      return done('already-present');
    case 'patch-secret':
      if (item.dryRun) return done('secret-mismatch');
      await restoreSecret(deps.apic, app, decision.credential.id, decision.credential.name, pair);
      return done('secret-restored');
    case 'names-taken':
      throw new RestoreError(
        `app ${locator.consumerOrg}/${locator.app} has other credentials named ${decision.names.join(' and ')}; ` +
          'rename or delete one of them in APIC and run the restore again',
      );
    case 'create': {
      if (item.dryRun) return done('would-restore', decision.name);
      const created = await deps.apic.createCredential(app, { name: decision.name, title: decision.title, secret: pair });
      if (created.clientId !== pair.clientId) {
        // Useless to anyone (nobody holds its secret), and it would take the name from the next attempt.
        await deps.apic.deleteCredential(app, created.id);
        throw new RestoreError(
          `APIC created ${decision.name} with another client id than the stored ${pair.clientId} and it was deleted again; ` +
            'this APIC does not accept supplied client ids, so credentials cannot be restored',
        );
      }
      await restoreSecret(deps.apic, app, created.id, decision.name, pair);
      return done('restored', decision.name);
    }
  }
}
