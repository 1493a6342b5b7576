import { scanPage } from '../domain/workflow/scan';
import { scanStateSchema } from '../domain/workflow/schemas';
import { renewHeldLeases } from '../runtime/lease';
import { stepHandler } from '../runtime/step-handler';

export const handler = stepHandler({
  step: 'scan-page',
  input: scanStateSchema,
  run: async (ports, state) => {
    // Every page renews the run lease: a run that lost it stops before it changes anything more.
    await renewHeldLeases(ports, state.run.lease);
    return scanPage(ports, state);
  },
  measure: (output) => ({ AppsNeedingAttention: output.items.length }),
});
