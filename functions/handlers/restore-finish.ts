import { finishRestoreSchema } from '../domain/restore';
import { logger } from '../runtime/observability';
import { stepHandler } from '../runtime/step-handler';

/** The segments folded every result into the summary; it becomes the execution output. */
export const handler = stepHandler({
  step: 'restore-finish',
  input: finishRestoreSchema,
  run: (_ports, { summary }) => {
    // Names and counts only: the operator's record of what the restore did.
    logger.info('restore finished', { summary });
    return summary;
  },
  measure: () => ({ RestoresFinished: 1 }),
});
