import type { ActionDeps } from '../core/workflow/actions';
import { actionInputSchema } from '../core/workflow/schemas';
import type { ActionInput, ActionResult } from '../core/workflow/types';
import type { RotationAction } from '../core/policy';
import { stepHandler } from './step-handler';

/** The six action Lambdas differ only in the step they run and the metric they count. */
export function actionStep<K extends RotationAction['kind']>(
  step: string,
  kind: K,
  run: (deps: ActionDeps, input: ActionInput<K>) => Promise<ActionResult>,
  metric: string,
) {
  return stepHandler({
    step,
    input: actionInputSchema(kind),
    run: (ports, input) => run(ports, input as unknown as ActionInput<K>),
    measure: () => ({ [metric]: 1 }),
  });
}
