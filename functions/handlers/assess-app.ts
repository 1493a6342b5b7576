import { assessApp } from '../domain/workflow/assess';
import { assessAppSchema } from '../domain/workflow/schemas';
import { stepHandler } from '../runtime/step-handler';

export const handler = stepHandler({
  step: 'assess-app',
  input: assessAppSchema,
  run: (ports, { run, item }) => assessApp(ports, run, item),
  measure: (output) => ({ ActionsPlanned: output.actions.length }),
});
