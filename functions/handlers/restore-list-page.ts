import { listSecretsPage, restoreStateSchema } from '../core/restore';
import { stepHandler } from '../runtime/step-handler';

export const handler = stepHandler({
  step: 'ListSecretsPage',
  input: restoreStateSchema,
  run: (ports, state) => listSecretsPage(ports.secretsManager, state, ports.config.pageSize),
  measure: (output) => ({ RestoreSecretsListed: output.items.length }),
});
