/** The run lease as the handlers use it: the lease clock and the glue between a step's state and the domain. */
import { isSkipped, releaseLeases, renewLeases, takeRunLeases, type HeldLeases, type LeasedRun, type LeaseWorkflow } from '../domain/lease';
import type { Ports } from './ports';

/**
 * Lease times are real time, also in local runs that simulate the date: two runs started side by side must agree on
 * whether a lease expired, whatever day each simulates.
 */
export function leaseNow(): Date {
  return new Date();
}

export function takeLeases<S extends { readonly run: { readonly runId: string; readonly dryRun: boolean } }>(
  ports: Ports,
  state: S,
  keys: readonly string[],
  workflow: LeaseWorkflow,
  holderArn: string | undefined,
): Promise<LeasedRun<S>> {
  return takeRunLeases(ports, state, { keys, workflow, now: leaseNow(), ...(holderArn ? { holderArn } : {}) });
}

export async function renewHeldLeases(ports: Ports, lease: HeldLeases | undefined): Promise<void> {
  if (lease) await renewLeases(ports, lease, leaseNow());
}

export async function releaseHeldLeases(ports: Ports, lease: HeldLeases | undefined): Promise<number> {
  return lease ? releaseLeases(ports, lease) : 0;
}

export { isSkipped };
