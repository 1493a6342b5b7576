import { HOUR_MS } from '../time';
import { randomBytes } from 'node:crypto';
import { ensureSecretAccepted, unlessNotFound } from '../apic/lookups';
import { OLD_CREDENTIAL_REMOVED, REPLACEMENT_READY, type RotationEventType } from '../events';
import type { AppLocator, ClientSecretPair } from '../model';
import type { ApicPort, CredentialSecretLocator, EventPublisherPort, NoticeLedgerPort, SecretStorePort } from '../ports';
import { dateAfter, isExempt, replacesAnOriginal, resolvePolicy, type RotationAction } from '../policy';
import { versionToken } from '../secrets';
import { secretLocator } from './assess';
import type { ActionInput, ActionResult, AppContext } from './types';

export interface ActionDeps {
  readonly apic: ApicPort;
  readonly store: SecretStorePort;
  readonly ledger: NoticeLedgerPort;
  readonly events: EventPublisherPort;
}

/** A step found the world not as the assessment saw it; the app is left as it is and the next run re-assesses. */
export class PreconditionFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreconditionFailedError';
  }
}

/** Client ids follow APIC's own shape (32 hex); secrets carry 256 bits. */
export function generateClientSecretPair(clientId = randomBytes(16).toString('hex')): ClientSecretPair {
  return { clientId, clientSecret: randomBytes(32).toString('base64url') };
}

function apicLocator(app: AppContext): AppLocator {
  return { providerOrg: app.providerOrg, catalog: app.catalog, consumerOrg: app.consumerOrg, app: app.app };
}

function result(action: RotationAction, outcome: string): ActionResult {
  return { kind: action.kind, outcome };
}

/** YYYY-MM-DD from which the original may be deleted: the grace counts from the replacement's creation (now). */
function oldCredentialRemovalDate(input: Pick<ActionInput, 'run' | 'app'>): string | undefined {
  const settings = resolvePolicy(input.run, input.app.consumerOrg);
  if (isExempt(settings)) return undefined;
  return dateAfter(input.run.now, settings.deletionDays - settings.expiryDays);
}

/**
 * Tells consumers about a completed step. Runs after the step's own effect, and a failure fails the step: every
 * action is idempotent, so the retried step finds its work done and publishes again (at least once, never before
 * the credential is usable or gone).
 */
async function announce(
  deps: ActionDeps,
  input: ActionInput,
  detailType: RotationEventType,
  clientId: string,
): Promise<void> {
  const locator = secretLocator(input.app, input.action.base);
  const { arn } = await deps.store.describe(locator);
  const removalDate = detailType === REPLACEMENT_READY && replacesAnOriginal(input.action) ? oldCredentialRemovalDate(input) : undefined;
  const emergency = detailType === REPLACEMENT_READY && input.action.kind === 'create-replacement' ? input.action.emergency : undefined;
  const removalTime = emergency && new Date(Date.parse(input.run.now) + emergency.graceHours * HOUR_MS).toISOString();
  await deps.events.publish([
    {
      detailType,
      detail: {
        ...apicLocator(input.app),
        credential: input.action.base,
        clientId,
        secretName: deps.store.secretName(locator),
        ...(arn !== undefined && { secretArn: arn }),
        cycleId: input.action.cycleId,
        occurredAt: input.run.now,
        ...(removalDate !== undefined && !removalTime && { oldCredentialRemovalDate: removalDate }),
        ...(removalTime && { urgent: true as const, oldCredentialRemovalDate: removalTime.slice(0, 10), oldCredentialRemovalTime: removalTime }),
      },
    },
  ]);
}

/**
 * Makes APIC hold the staged secret on the credential (patching it only when verification fails), then promotes the
 * staged version, so consumers never read a secret APIC would refuse.
 */
async function applyStagedSecret(
  deps: ActionDeps,
  app: AppLocator,
  locator: CredentialSecretLocator,
  credentialId: string,
  staged: ClientSecretPair & { versionId: string },
): Promise<void> {
  if (!(await ensureSecretAccepted(deps.apic, app, credentialId, staged))) {
    throw new PreconditionFailedError(
      `APIC does not accept the staged secret of credential ${credentialId} (client id ${staged.clientId})`,
    );
  }
  await deps.store.promote(locator, staged.versionId);
}

export async function createReplacement(deps: ActionDeps, input: ActionInput<'create-replacement'>): Promise<ActionResult> {
  const { action } = input;
  const app = apicLocator(input.app);
  const locator = secretLocator(input.app, action.base);
  const token = versionToken(action.cycleId, 'replacement');
  // Stored before APIC knows it: a crash at any later point leaves a secret someone holds.
  const staged = await deps.store.stagePending(locator, token, action.cycleId, () => generateClientSecretPair());
  const created = await deps.apic.createCredential(app, {
    name: action.replacementName,
    title: action.replacementTitle,
    secret: staged,
  });
  if (created.clientId !== staged.clientId) {
    throw new PreconditionFailedError(
      `APIC created ${action.replacementName} with another client id than the one supplied; the next run repairs it`,
    );
  }
  await applyStagedSecret(deps, app, locator, created.id, { ...staged, versionId: token });
  await announce(deps, input, REPLACEMENT_READY, staged.clientId);
  return result(action, 'created');
}

export async function finishReplacement(deps: ActionDeps, input: ActionInput<'finish-replacement'>): Promise<ActionResult> {
  const { action } = input;
  const locator = secretLocator(input.app, action.base);
  const staged = await deps.store.readPending(locator);
  if (!staged || staged.clientId !== action.replacement.clientId) {
    throw new PreconditionFailedError(`no staged secret matches replacement ${action.replacement.name}`);
  }
  await applyStagedSecret(deps, apicLocator(input.app), locator, action.replacement.id, staged);
  await announce(deps, input, REPLACEMENT_READY, staged.clientId);
  return result(action, 'finished');
}

export async function repairReplacement(deps: ActionDeps, input: ActionInput<'repair-replacement'>): Promise<ActionResult> {
  const { action } = input;
  const locator = secretLocator(input.app, action.base);
  const { current } = await deps.store.describe(locator);
  // Ours only: the client id must be the one the store holds as current, or the PATCH would break someone's credential.
  if (current?.clientId !== action.replacement.clientId) {
    throw new PreconditionFailedError(`replacement ${action.replacement.name} is not the current stored credential; it is not repaired`);
  }
  // Per cycle and repaired version, not per run: concurrent or retried repairs of the same secret stage the same pair.
  const token = versionToken(action.cycleId, 'repair', action.replacement.id, current.versionId);
  const staged = await deps.store.stagePending(locator, token, action.cycleId, () =>
    generateClientSecretPair(action.replacement.clientId),
  );
  await applyStagedSecret(deps, apicLocator(input.app), locator, action.replacement.id, { ...staged, versionId: token });
  await announce(deps, input, REPLACEMENT_READY, staged.clientId);
  return result(action, 'repaired');
}

export async function deleteOriginal(deps: ActionDeps, input: ActionInput<'delete-original'>): Promise<ActionResult> {
  const { action } = input;
  const app = apicLocator(input.app);
  const locator = secretLocator(input.app, action.base);
  const state = await deps.store.describe(locator);
  // The guards before the only destructive step, against the world as it is now, not as the assessment saw it.
  // Our own record names the cycle's original by APIC id: a credential someone re-created under its name is not it.
  if (state.current?.clientId !== action.replacement.clientId || state.current.cycleId !== action.original.id) {
    throw new PreconditionFailedError(`replacement ${action.replacement.name} is not the current stored secret of the cycle of ${action.original.name}`);
  }
  const settings = resolvePolicy(input.run, input.app.consumerOrg);
  const readsSecretsManager = !isExempt(settings) && settings.readsSecretsManager === true;
  const announced = state.noticesSent['replacement-ready'] === action.cycleId || state.noticesSent['urgent-replacement'] === action.cycleId;
  const revokeConfirmed = state.emergency?.cycleId === action.cycleId && state.emergency.confirmRevoke;
  if (!announced && !readsSecretsManager && !revokeConfirmed) {
    throw new PreconditionFailedError(`the replacement-ready notice of ${action.original.name} was not delivered; it is kept`);
  }
  const credentials = await deps.apic.listCredentials(app);
  const replacement = credentials.find((credential) => credential.id === action.replacement.id);
  if (replacement?.clientId !== action.replacement.clientId) {
    throw new PreconditionFailedError(`replacement ${action.replacement.name} is no longer in APIC with its client id`);
  }
  const original = credentials.find((credential) => credential.id === action.original.id);
  if (original && Date.parse(original.createdAt) > Date.parse(replacement.createdAt)) {
    throw new PreconditionFailedError(`credential ${action.original.id} is younger than its replacement: not the original of this cycle`);
  }
  const current = await deps.store.readCurrent(locator);
  // Consumers must be able to read a secret APIC accepts before the old one goes.
  if (!current || current.clientId !== replacement.clientId || !(await deps.apic.verifyClientSecret(app, replacement.id, current))) {
    throw new PreconditionFailedError(`APIC rejects the stored secret of replacement ${action.replacement.name}`);
  }
  // By id, never by name: after the rename the original's name belongs to the replacement.
  const deleted = original ? await unlessNotFound(deps.apic.deleteCredential(app, original.id).then(() => true)) : undefined;
  const outcome = deleted ? 'deleted' : 'already-deleted';
  await announce(deps, input, OLD_CREDENTIAL_REMOVED, action.replacement.clientId);
  return result(action, outcome);
}

export async function renameReplacement(deps: ActionDeps, input: ActionInput<'rename-replacement'>): Promise<ActionResult> {
  const { action } = input;
  const { current, pending } = await deps.store.describe(secretLocator(input.app, action.base));
  if (current?.clientId !== action.replacement.clientId && pending?.clientId !== action.replacement.clientId) {
    throw new PreconditionFailedError(`${action.replacement.name} holds no client id the rotator issued; it is not renamed`);
  }
  await deps.apic.updateCredential(apicLocator(input.app), action.replacement.id, {
    name: action.name,
    title: action.title,
  });
  return result(action, 'renamed');
}

export async function queueNotice(deps: ActionDeps, input: ActionInput<'queue-notice'>): Promise<ActionResult> {
  const { action, app } = input;
  await deps.ledger.queueNotice(secretLocator(app, action.base), {
    kind: action.notice,
    cycleId: action.cycleId,
    ...(action.dueDate ? { dueDate: action.dueDate } : {}),
    ...(action.emergency ? { emergency: { cycleId: action.cycleId, ...action.emergency } } : {}),
    ownerEmail: app.ownerEmail ?? '',
  });
  return result(action, `queued ${action.notice}`);
}
