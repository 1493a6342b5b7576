import { releaseLeaseSchema } from '../domain/lease';
import { releaseHeldLeases } from '../runtime/lease';
import { stepHandler } from '../runtime/step-handler';

/** Releases the run's leases on every way the run ends (success, or a failure caught on its way to the Fail state). */
export const handler = stepHandler({
  step: 'restore-release-lease',
  input: releaseLeaseSchema,
  run: async (ports, state) => ({ released: await releaseHeldLeases(ports, state.run.lease) }),
  measure: ({ released }) => ({ LeasesReleased: released }),
});
