import { listSecretsPage, restoreStateSchema, secretsManagerFromEnvironment } from '../core/restore';
import { tracer } from '../runtime/observability';
import { stepHandler } from '../runtime/step-handler';

export const handler = stepHandler({
  step: 'ListSecretsPage',
  input: restoreStateSchema,
  run: (ports, state) =>
    listSecretsPage(
      secretsManagerFromEnvironment((client) => tracer.captureAWSv3Client(client)),
      state,
      ports.config.pageSize,
    ),
  measure: (output) => ({ RestoreSecretsListed: output.items.length }),
});
