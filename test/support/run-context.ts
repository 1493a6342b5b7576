import type { RunContext } from '../../functions/domain/workflow/types';

/**
 * A real (not dry) run of acme/prod at 2026-12-01T03:00Z under the default policy, with `changes` over it: the run
 * context the step tests hand their domain functions, as PrepareRun would have built it.
 */
export function runContext(changes: Partial<RunContext> = {}): RunContext {
  return {
    runId: 'run-1',
    now: '2026-12-01T03:00:00.000Z',
    dryRun: false,
    trigger: 'manual',
    targets: [{ providerOrg: 'acme', catalog: 'prod' }],
    policy: { expiryDays: 90, deletionDays: 100, warnDays: 14, replacementSuffix: '_new' },
    consumerOrgOverrides: {},
    filter: {},
    pageSize: 100,
    ...changes,
  };
}
