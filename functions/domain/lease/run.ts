import { acquireLeases, type LeaseDeps } from './run-lease';
import type { LeaseWorkflow } from './decide';
import type { RunSkipped } from './schema';

interface LeasableState {
  readonly run: { readonly runId: string; readonly dryRun: boolean };
}

/** The run as it continues once it holds its leases, or the reason it ends at once. */
export type LeasedRun<S extends LeasableState> = S | { readonly skipped: RunSkipped };

/**
 * Takes the run leases of a prepared run, the last thing its first step does (so a failure before leaves none
 * behind). A dry run changes nothing and takes none. When a lease is held, the run is to end as skipped.
 */
export async function takeRunLeases<S extends LeasableState>(
  deps: LeaseDeps,
  state: S,
  request: { readonly keys: readonly string[]; readonly workflow: LeaseWorkflow; readonly holderArn?: string; readonly now: Date },
): Promise<LeasedRun<S>> {
  if (state.run.dryRun || request.keys.length === 0) return state;
  const me = { holder: state.run.runId, workflow: request.workflow, ...(request.holderArn ? { holderArn: request.holderArn } : {}) };
  const outcome = await acquireLeases(deps, request.keys, me, request.now);
  if (outcome.acquired) return { ...state, run: { ...state.run, lease: outcome.lease } };
  return {
    skipped: {
      status: 'skipped',
      runId: state.run.runId,
      workflow: request.workflow,
      heldBy: outcome.heldBy,
      since: outcome.since,
      key: outcome.key,
      message: `skipped: held by execution ${outcome.heldBy} since ${outcome.since}`,
    },
  };
}

export function isSkipped<S extends LeasableState>(state: LeasedRun<S>): state is { readonly skipped: RunSkipped } {
  return 'skipped' in state;
}
