/**
 * How a credential secret is laid out in Secrets Manager: its staging labels, its tags (the notice ledger among them)
 * and the deterministic version ids that make every staging idempotent.
 */
import { createHash } from 'node:crypto';
import type { NoticeKind } from '../model';
import type { CredentialSecretLocator } from '../ports';

export const STAGE_CURRENT = 'AWSCURRENT';
export const STAGE_PENDING = 'AWSPENDING';

export const TAG_KEYS = {
  providerOrg: 'apic:provider-org',
  catalog: 'apic:catalog',
  consumerOrg: 'apic:consumer-org',
  app: 'apic:app',
  credential: 'apic:credential',
  ownerEmail: 'rotator:owner-email',
  noticePending: 'rotator:notice-pending',
  /** `<cycleId> <graceHours> <revoke|announce>`: the cycle is an emergency rotation (`rotateNow`). */
  emergency: 'rotator:emergency',
} as const;
export const pendingNoticeTag = (kind: NoticeKind): string => `rotator:pending:${kind}`;
export const sentNoticeTag = (kind: NoticeKind): string => `rotator:sent:${kind}`;

/** A Secrets Manager version id (32-64 characters) derived from `parts`: the same parts always give the same id. */
export function versionToken(...parts: string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}


/**
 * The value of a credential secret's first version, stored before any client id and secret: Secrets Manager labels
 * the first version of a secret AWSCURRENT whatever the request asks, so a staged pair must never be that first
 * version. A consumer reading AWSCURRENT finds this instead of a credential until the first replacement is promoted
 * (docs/consumers.md).
 */
export const PLACEHOLDER_STATUS = 'no-credential-yet';

export interface PlaceholderValue {
  readonly status: typeof PLACEHOLDER_STATUS;
  readonly provider_org: string;
  readonly catalog: string;
  readonly consumer_org: string;
  readonly app: string;
  readonly credential: string;
}

/** The placeholder of a credential's secret: the same locator always gives the same value. */
export function placeholderValue(locator: CredentialSecretLocator): PlaceholderValue {
  return {
    status: PLACEHOLDER_STATUS,
    provider_org: locator.providerOrg,
    catalog: locator.catalog,
    consumer_org: locator.consumerOrg,
    app: locator.app,
    credential: locator.credential,
  };
}

/** The placeholder's version id: deterministic, so a retried or concurrent write of it is the same version. */
export function placeholderVersionToken(secretName: string): string {
  return versionToken(PLACEHOLDER_STATUS, secretName);
}

/** True for a parsed secret value that is a placeholder (it carries the status and no client id). */
export function isPlaceholderValue(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !('client_id' in value) && (value as { status?: unknown }).status === PLACEHOLDER_STATUS;
}
