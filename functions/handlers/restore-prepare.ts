import { prepareRestore, prepareRestoreSchema } from '../domain/restore';
import { isSkipped, takeLeases } from '../runtime/lease';
import { stepHandler } from '../runtime/step-handler';

export const handler = stepHandler({
  step: 'restore-prepare',
  input: prepareRestoreSchema,
  run: (ports, event) => {
    const state = prepareRestore(ports.config, event);
    return takeLeases(ports, state, state.run.leaseKeys ?? [], 'restore', event.executionArn);
  },
  measure: (state) =>
    isSkipped(state) ? { RestoresStarted: 1, RunsSkipped: 1 } : { RestoresStarted: 1, RestoreDryRuns: state.run.dryRun ? 1 : 0, RunsSkipped: 0 },
});
