import { prepareRestore, prepareRestoreSchema } from '../domain/restore';
import { stepHandler } from '../runtime/step-handler';

export const handler = stepHandler({
  step: 'restore-prepare',
  input: prepareRestoreSchema,
  run: (ports, event) => prepareRestore(ports.config, event),
  measure: (state) => ({ RestoresStarted: 1, RestoreDryRuns: state.run.dryRun ? 1 : 0 }),
});
