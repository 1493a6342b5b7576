import { scanPage } from '../core/workflow/scan';
import { scanStateSchema } from '../core/workflow/schemas';
import type { ScanState } from '../core/workflow/types';
import { stepHandler } from '../runtime/step-handler';

export const handler = stepHandler({
  step: 'ScanPage',
  input: scanStateSchema,
  run: (ports, state) => scanPage(ports, state as ScanState),
  measure: (output) => ({ AppsNeedingAttention: output.items.length }),
});
