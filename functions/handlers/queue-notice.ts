import { queueNotice } from '../domain/workflow/actions';
import { actionStep } from '../runtime/action-step';

export const handler = actionStep('queue-notice', queueNotice);
