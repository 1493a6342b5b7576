/**
 * How a credential secret is laid out in Secrets Manager: its staging labels, its tags (the notice ledger among them)
 * and the deterministic version ids that make every staging idempotent.
 */
import { createHash } from 'node:crypto';
import type { NoticeKind } from '../model';

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
} as const;
export const pendingNoticeTag = (kind: NoticeKind): string => `rotator:pending:${kind}`;
export const sentNoticeTag = (kind: NoticeKind): string => `rotator:sent:${kind}`;

/** A Secrets Manager version id (32-64 characters) derived from `parts`: the same parts always give the same id. */
export function versionToken(...parts: string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

