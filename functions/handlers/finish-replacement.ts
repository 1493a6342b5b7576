import { finishReplacement } from '../core/workflow/actions';
import { actionStep } from '../runtime/action-step';

export const handler = actionStep('FinishReplacement', 'finish-replacement', finishReplacement, 'ReplacementsFinished');
