import { finishReplacement } from '../domain/workflow/actions';
import { actionStep } from '../runtime/action-step';

export const handler = actionStep('finish-replacement', finishReplacement);
