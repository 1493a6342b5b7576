import { deleteOriginal } from '../domain/workflow/actions';
import { actionStep } from '../runtime/action-step';

export const handler = actionStep('delete-original', deleteOriginal);
