import type { ActionDeps } from '../domain/workflow/actions';
import { actionInputSchema } from '../domain/workflow/schemas';
import type { ActionResult, ParsedActionInput } from '../domain/workflow/types';
import { STEPS, type ActionStep, type MetricOf } from '../steps';
import { countOf, stepHandler } from './step-handler';

/**
 * The six action Lambdas differ only in the action they carry out; the step of the same id in the registry gives
 * the state name and the one metric each counts.
 */
export function actionStep<K extends ActionStep>(kind: K, run: (deps: ActionDeps, input: ParsedActionInput<K>) => Promise<ActionResult>) {
  // The type check holds every action step to exactly one metric.
  const [metric]: readonly [MetricOf<ActionStep>] = STEPS[kind].metrics;
  const step: ActionStep = kind;
  return stepHandler({
    step,
    input: actionInputSchema(kind),
    run: (ports, input) => run(ports, input),
    measure: () => countOf(metric),
  });
}
