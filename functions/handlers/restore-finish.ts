import { finishRestore, restoreStateSchema } from '../domain/restore';
import { logger } from '../runtime/observability';
import { stepHandler } from '../runtime/step-handler';

export const handler = stepHandler({
  step: 'restore-finish',
  input: restoreStateSchema.pick({ run: true, summary: true, lastResults: true }),
  run: (_ports, state) => {
    const summary = finishRestore(state);
    // Names and counts only: the operator's record of what the restore did.
    logger.info('restore finished', { summary });
    return summary;
  },
  measure: () => ({ RestoresFinished: 1 }),
});
