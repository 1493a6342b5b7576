import { prepareRun } from '../core/workflow/prepare';
import { prepareRunSchema } from '../core/workflow/schemas';
import { stepHandler } from '../runtime/step-handler';

export const handler = stepHandler({
  step: 'PrepareRun',
  input: prepareRunSchema,
  run: (ports, event) => prepareRun(ports.config, event, ports.allowClockOverride),
  measure: (state) => ({ RunsStarted: 1, DryRuns: state.run.dryRun ? 1 : 0 }),
});
