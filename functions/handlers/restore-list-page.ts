import { listSecretsPage, restoreStateSchema } from '../domain/restore';
import { renewHeldLeases } from '../runtime/lease';
import { stepHandler } from '../runtime/step-handler';

export const handler = stepHandler({
  step: 'restore-list-page',
  input: restoreStateSchema,
  run: async (ports, state) => {
    await renewHeldLeases(ports, state.run.lease);
    return listSecretsPage(ports.secretListing, state, ports.config.pageSize);
  },
  measure: (output) => ({ RestoreSecretsListed: output.items.length }),
});
