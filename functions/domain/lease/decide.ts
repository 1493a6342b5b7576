/**
 * The run lease: at most one executing (non-dry) rotation or restore changes a provider org's catalog at a time.
 * One lease object per target (see docs/design.md "Run lease"); the decisions here are pure, the conditional
 * writes are the `RunLeasePort`'s.
 */
import type { CatalogTarget } from '../model';
import { encodeSegment } from '../secrets/naming';
import { LEASE_LOST_ERROR } from '../error-names';

/** Lease objects live under this prefix of the report bucket (IAM grants the lease steps this prefix only). */
export const LEASE_PREFIX = 'leases/';

/**
 * How long a lease holds without renewal. The rotation renews it on every ScanPage and the restore on every
 * ListSecretsPage; the longest gap between renewals is one page of apps (or secrets) plus FinishRun and BuildReport
 * (5 minutes each at most), far below this. Expiry only decides when the holder's execution status is unknown.
 */
export const LEASE_TTL_MS = 60 * 60 * 1000;

export type LeaseWorkflow = 'rotation' | 'restore';

/** The lease object's content. */
export interface LeaseRecord {
  /** The execution name of the holder (its run id). */
  readonly holder: string;
  /** The holder's execution ARN, when it runs in Step Functions: its status can then be asked. */
  readonly holderArn?: string;
  readonly workflow: LeaseWorkflow;
  readonly acquiredAt: string;
  readonly expiresAt: string;
}

export interface StoredLease {
  readonly record: LeaseRecord;
  /** The object's ETag: every replacement and deletion is conditional on it. */
  readonly etag: string;
}

/** Who asks for the lease: the run's identity. */
export interface LeaseHolder {
  readonly holder: string;
  readonly holderArn?: string;
  readonly workflow: LeaseWorkflow;
}

/** What the run context carries: the lease keys it holds, in acquisition order, and who holds them. */
export interface HeldLeases extends LeaseHolder {
  readonly keys: readonly string[];
}

export type HeldDecision = 'mine' | 'take-over' | 'held';

export class LeaseLostError extends Error {
  constructor(key: string, holder: string, by?: string) {
    super(`the run lease ${key} of ${holder} was ${by ? `taken over by ${by}` : 'removed'}; the run stops so two runs never change one catalog at once`);
    this.name = LEASE_LOST_ERROR;
  }
}

/** The lease object key of one target: `leases/<porg>/<catalog>.json`, each segment encoded as secret names are. */
export function leaseKey(target: CatalogTarget): string {
  return `${LEASE_PREFIX}${encodeSegment(target.providerOrg)}/${encodeSegment(target.catalog)}.json`;
}

/** The keys of a run's targets, deduplicated and sorted: every run acquires in the same order, so no two runs deadlock. */
export function leaseKeys(targets: readonly CatalogTarget[]): string[] {
  return [...new Set(targets.map(leaseKey))].sort();
}

export function leaseRecord(me: LeaseHolder, now: Date, acquiredAt: string = now.toISOString()): LeaseRecord {
  return {
    holder: me.holder,
    ...(me.holderArn ? { holderArn: me.holderArn } : {}),
    workflow: me.workflow,
    acquiredAt,
    expiresAt: new Date(now.getTime() + LEASE_TTL_MS).toISOString(),
  };
}

/**
 * What to do with a lease someone holds. Our own (a retried step) is kept. When the holder's execution status is
 * known, it decides: a holder that no longer runs left its lease behind (it crashed, was stopped or timed out) and
 * the lease is taken over; a running holder keeps it even past its expiry. When the status is unknown (no Step
 * Functions to ask, or the holder is no execution), expiry decides.
 */
export function decideOnHeld(record: LeaseRecord, me: LeaseHolder, now: Date, holderRunning: boolean | undefined): HeldDecision {
  if (record.holder === me.holder) return 'mine';
  if (holderRunning !== undefined) return holderRunning ? 'held' : 'take-over';
  return now.getTime() > Date.parse(record.expiresAt) ? 'take-over' : 'held';
}

/** Parses a lease object's content; anything malformed counts as expired, so a damaged object cannot block runs. */
export function parseLeaseRecord(text: string): LeaseRecord {
  try {
    const value = JSON.parse(text) as Partial<LeaseRecord>;
    if (typeof value.holder === 'string' && typeof value.expiresAt === 'string' && !Number.isNaN(Date.parse(value.expiresAt))) {
      return {
        holder: value.holder,
        ...(typeof value.holderArn === 'string' ? { holderArn: value.holderArn } : {}),
        workflow: value.workflow === 'restore' ? 'restore' : 'rotation',
        acquiredAt: typeof value.acquiredAt === 'string' ? value.acquiredAt : value.expiresAt,
        expiresAt: value.expiresAt,
      };
    }
  } catch {
    // fall through
  }
  return { holder: '(unreadable lease)', workflow: 'rotation', acquiredAt: new Date(0).toISOString(), expiresAt: new Date(0).toISOString() };
}
