import { renameReplacement } from '../domain/workflow/actions';
import { actionStep } from '../runtime/action-step';

export const handler = actionStep('rename-replacement', renameReplacement);
