import { assessApp } from '../core/workflow/assess';
import { assessAppSchema } from '../core/workflow/schemas';
import type { RunContext } from '../core/workflow/types';
import { stepHandler } from '../runtime/step-handler';

export const handler = stepHandler({
  step: 'AssessApp',
  input: assessAppSchema,
  run: (ports, { run, item }) => assessApp(ports, run as RunContext, item),
  measure: (output) => ({ ActionsPlanned: output.actions.length }),
});
