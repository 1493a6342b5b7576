import type { ActionDeps } from '../domain/workflow/actions';
import { actionInputSchema } from '../domain/workflow/schemas';
import type { RotationAction } from '../domain/policy';
import type { ActionResult, AppContext, ParsedActionInput } from '../domain/workflow/types';
import { STEPS, type ActionStep, type MetricOf } from '../steps';
import { logger } from './observability';
import { countOf, stepHandler } from './step-handler';

/** The credential an action works on, as a log line names it: its name and public client id, never a secret. */
function credentialOf(action: RotationAction): { credential: string; clientId?: string } {
  switch (action.kind) {
    case 'create-replacement':
      return { credential: action.replacementName, clientId: action.original.clientId };
    case 'delete-original':
      return { credential: action.original.name, clientId: action.original.clientId };
    case 'finish-replacement':
    case 'repair-replacement':
    case 'rename-replacement':
      return { credential: action.replacement.name, clientId: action.replacement.clientId };
    case 'queue-notice':
      return { credential: action.credentialName };
    case 'hold-deletion':
      return { credential: action.original.name, clientId: action.original.clientId };
  }
}

/** The fields of an action's INFO line: where, which credential, what was done; public data only. */
export function actionLogFields(input: { readonly app: AppContext; readonly action: RotationAction }, result: ActionResult): Record<string, string> {
  const { credential, clientId } = credentialOf(input.action);
  return {
    providerOrg: input.app.providerOrg,
    catalog: input.app.catalog,
    consumerOrg: input.app.consumerOrg,
    app: input.app.app,
    credentialBase: input.action.base,
    credential,
    action: result.kind,
    outcome: result.outcome,
    ...(clientId !== undefined && { clientId }),
  };
}

/**
 * The six action Lambdas differ only in the action they carry out; the step of the same id in the registry gives
 * the state name and the one metric each counts. Each done action logs one INFO line.
 */
export function actionStep<K extends ActionStep>(kind: K, run: (deps: ActionDeps, input: ParsedActionInput<K>) => Promise<ActionResult>) {
  // The type check holds every action step to exactly one metric.
  const [metric]: readonly [MetricOf<ActionStep>] = STEPS[kind].metrics;
  const step: ActionStep = kind;
  return stepHandler({
    step,
    input: actionInputSchema(kind),
    run: async (ports, input) => {
      const result = await run(ports, input);
      logger.info(`${result.outcome}: ${result.kind}`, actionLogFields(input as { app: AppContext; action: RotationAction }, result));
      return result;
    },
    measure: () => countOf(metric),
  });
}
