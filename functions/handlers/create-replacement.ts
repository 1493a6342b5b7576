import { createReplacement } from '../domain/workflow/actions';
import { actionStep } from '../runtime/action-step';

export const handler = actionStep('create-replacement', createReplacement);
