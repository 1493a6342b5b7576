import type { ActionDeps } from '../domain/workflow/actions';
import { actionInputSchema } from '../domain/workflow/schemas';
import type { ActionResult, ParsedActionInput } from '../domain/workflow/types';
import type { RotationAction } from '../domain/policy';
import { stepHandler } from './step-handler';

/** The six action Lambdas differ only in the step they run and the metric they count. */
export function actionStep<K extends Exclude<RotationAction['kind'], 'hold-deletion'>>(
  step: string,
  kind: K,
  run: (deps: ActionDeps, input: ParsedActionInput<K>) => Promise<ActionResult>,
  metric: string,
) {
  return stepHandler({
    step,
    input: actionInputSchema(kind),
    run: (ports, input) => run(ports, input),
    measure: () => ({ [metric]: 1 }),
  });
}
