import type { ExecutionStatusPort, RunLeasePort } from '../ports';
import { decideOnHeld, leaseRecord, LeaseLostError, type HeldLeases, type LeaseHolder, type StoredLease } from './decide';

export interface LeaseDeps {
  readonly leases: RunLeasePort;
  /** Absent where no Step Functions can be asked (local runs): expiry alone then frees a lease. */
  readonly executions?: ExecutionStatusPort;
}

export type AcquireOutcome =
  | { readonly acquired: true; readonly lease: HeldLeases }
  | { readonly acquired: false; readonly key: string; readonly heldBy: string; readonly since: string };

/** Attempts per key: each lost race re-reads the lease, and a lease that keeps changing is someone else's. */
const ATTEMPTS = 5;

async function holderRunning(deps: LeaseDeps, stored: StoredLease): Promise<boolean | undefined> {
  const arn = stored.record.holderArn;
  if (!deps.executions || !arn) return undefined;
  return deps.executions.isRunning(arn);
}

/** Takes one lease: created if absent, renewed if ours, taken over if left behind. */
async function acquireOne(
  deps: LeaseDeps,
  key: string,
  me: LeaseHolder,
  now: Date,
): Promise<{ acquired: true } | { acquired: false; heldBy: string; since: string }> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    if (await deps.leases.create(key, leaseRecord(me, now))) return { acquired: true };
    const stored = await deps.leases.read(key);
    if (!stored) continue; // released between the two calls: try to create it again
    const decision = decideOnHeld(stored.record, me, now, await holderRunning(deps, stored));
    if (decision === 'held') return { acquired: false, heldBy: stored.record.holderArn ?? stored.record.holder, since: stored.record.acquiredAt };
    const acquiredAt = decision === 'mine' ? stored.record.acquiredAt : now.toISOString();
    if (await deps.leases.replace(key, leaseRecord(me, now, acquiredAt), stored.etag)) return { acquired: true };
  }
  const last = await deps.leases.read(key);
  return { acquired: false, heldBy: last?.record.holderArn ?? last?.record.holder ?? 'another run', since: last?.record.acquiredAt ?? now.toISOString() };
}

/**
 * Acquires the lease of every key in the given (sorted) order. When one is held, the ones taken so far are released
 * and the run is to be skipped.
 */
export async function acquireLeases(deps: LeaseDeps, keys: readonly string[], me: LeaseHolder, now: Date): Promise<AcquireOutcome> {
  const taken: string[] = [];
  for (const key of keys) {
    let outcome: Awaited<ReturnType<typeof acquireOne>>;
    try {
      outcome = await acquireOne(deps, key, me, now);
    } catch (error) {
      await releaseLeases(deps, { ...me, keys: taken });
      throw error;
    }
    if (!outcome.acquired) {
      await releaseLeases(deps, { ...me, keys: taken });
      return { acquired: false, key, heldBy: outcome.heldBy, since: outcome.since };
    }
    taken.push(key);
  }
  return { acquired: true, lease: { ...me, keys: taken } };
}

/**
 * Extends every lease the run holds. A lease that is gone or another run's was taken over (the run went past its
 * expiry unseen): the run must stop, so this throws `LeaseLostError`.
 */
export async function renewLeases(deps: LeaseDeps, lease: HeldLeases, now: Date): Promise<void> {
  for (const key of lease.keys) {
    let renewed = false;
    for (let attempt = 0; attempt < ATTEMPTS && !renewed; attempt += 1) {
      const stored = await deps.leases.read(key);
      if (!stored || stored.record.holder !== lease.holder) throw new LeaseLostError(key, lease.holder, stored?.record.holder);
      renewed = await deps.leases.replace(key, leaseRecord(lease, now, stored.record.acquiredAt), stored.etag);
    }
    if (!renewed) throw new LeaseLostError(key, lease.holder);
  }
}

/**
 * Releases the leases the run holds, in reverse order; a lease another run holds now is left alone (the deletion is
 * conditional on the ETag of the object read as ours). Returns how many were released.
 */
export async function releaseLeases(deps: LeaseDeps, lease: HeldLeases): Promise<number> {
  let released = 0;
  for (const key of [...lease.keys].reverse()) {
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const stored = await deps.leases.read(key);
      if (!stored || stored.record.holder !== lease.holder) break;
      if (await deps.leases.remove(key, stored.etag)) {
        released += 1;
        break;
      }
    }
  }
  return released;
}
