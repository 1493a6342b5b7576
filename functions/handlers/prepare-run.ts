import { leaseKeys } from '../domain/lease';
import { prepareRun } from '../domain/workflow/prepare';
import { prepareRunSchema } from '../domain/workflow/schemas';
import { isSkipped, takeLeases } from '../runtime/lease';
import { stepHandler } from '../runtime/step-handler';

export const handler = stepHandler({
  step: 'prepare-run',
  input: prepareRunSchema,
  run: async (ports, event) => {
    const prepared = await prepareRun(ports, event);
    return takeLeases(ports, prepared, leaseKeys(prepared.run.targets), 'rotation', event.executionArn);
  },
  measure: (prepared) =>
    isSkipped(prepared)
      ? { RunsStarted: 1, RunsSkipped: 1 }
      : { RunsStarted: 1, DryRuns: prepared.run.dryRun ? 1 : 0, Segments: prepared.segments.length, RunsSkipped: 0 },
});
