import { listSecretsPage, restoreStateSchema } from '../domain/restore';
import { stepHandler } from '../runtime/step-handler';

export const handler = stepHandler({
  step: 'restore-list-page',
  input: restoreStateSchema,
  run: (ports, state) => listSecretsPage(ports.secretListing, state, ports.config.pageSize),
  measure: (output) => ({ RestoreSecretsListed: output.items.length }),
});
