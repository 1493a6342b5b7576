import { scanPage } from '../domain/workflow/scan';
import { scanStateSchema } from '../domain/workflow/schemas';
import type { ScanState } from '../domain/workflow/types';
import { stepHandler } from '../runtime/step-handler';

export const handler = stepHandler({
  step: 'scan-page',
  input: scanStateSchema,
  run: (ports, state) => scanPage(ports, state as ScanState),
  measure: (output) => ({ AppsNeedingAttention: output.items.length }),
});
