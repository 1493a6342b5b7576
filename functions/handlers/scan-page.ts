import { scanPage } from '../domain/workflow/scan';
import { scanStateSchema } from '../domain/workflow/schemas';
import { stepHandler } from '../runtime/step-handler';

export const handler = stepHandler({
  step: 'scan-page',
  input: scanStateSchema,
  run: (ports, state) => scanPage(ports, state),
  measure: (output) => ({ AppsNeedingAttention: output.items.length }),
});
