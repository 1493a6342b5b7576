import { repairReplacement } from '../domain/workflow/actions';
import { actionStep } from '../runtime/action-step';

export const handler = actionStep('RepairReplacement', 'repair-replacement', repairReplacement, 'ReplacementsRepaired');
