import { prepareRun } from '../domain/workflow/prepare';
import { prepareRunSchema } from '../domain/workflow/schemas';
import { stepHandler } from '../runtime/step-handler';

export const handler = stepHandler({
  step: 'prepare-run',
  input: prepareRunSchema,
  run: (ports, event) => prepareRun(ports, event),
  measure: (prepared) => ({ RunsStarted: 1, DryRuns: prepared.run.dryRun ? 1 : 0, Segments: prepared.segments.length }),
});
