import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import {
  APIC_THROTTLED_ERROR,
  APIC_UNAVAILABLE_ERROR,
  EVENT_PUBLISH_ERROR,
  LAMBDA_SERVICE_ERRORS,
  LAMBDA_TIMEOUT_ERROR,
  LAMBDA_UNKNOWN_ERROR,
  MIDDY_TIMEOUT_ERROR,
  SECRET_STORE_UNAVAILABLE_ERROR,
} from '../functions/domain/error-names';
import { STEPS, type StepId } from '../functions/steps';

/**
 * Errors worth another attempt, none of them a business error (those go to the Catch):
 * - the Lambda service's own hiccups, before or around the invocation;
 * - APIC throttling or outages and Secrets Manager throttling that outlasted the clients' own retries;
 * - a refused rotation event: the step's effect is done, and the retried step publishes it again;
 * - a step cut short: its process died (`Lambda.Unknown`), it ran into its timeout (`Sandbox.Timedout`) or middy
 *   stopped it just before (`TimeoutError`). Such a step may have done part of its work.
 *
 * Retrying the last two kinds is safe only because every step is idempotent, which each one is by design:
 * prepare-run and restore-prepare read, then take the run lease, which a retry finds its own and keeps; scan-page and
 * restore-list-page renew that lease (the same write again); release-lease and restore-release-lease delete only a
 * lease still their own, so a retry finds nothing left to do; restore-finish only reads; scan-page, assess-app and
 * build-report write report objects under names fixed by the run and the page, so a retry overwrites them;
 * create-, finish- and repair-replacement stage secrets under version ids derived from the cycle, resolve a 409
 * by reading the credential back and find a promoted version already current; delete-original reports
 * `already-deleted`; rename-replacement and queue-notice set the same name or tags again; restore-credential finds
 * the credential `already-present`. Two effects are at least once rather than exactly once: rotation events, and a
 * digest mail that finish-run sent but had not yet marked sent when it was cut short. The crash suite
 * (test/crash*.test.ts) kills the steps right after each of their writes and checks that the runs still converge.
 * A new step must keep this property, or get a retrier without these errors.
 */
const RETRIED_ERRORS = [
  ...LAMBDA_SERVICE_ERRORS,
  APIC_UNAVAILABLE_ERROR,
  APIC_THROTTLED_ERROR,
  SECRET_STORE_UNAVAILABLE_ERROR,
  EVENT_PUBLISH_ERROR,
  LAMBDA_UNKNOWN_ERROR,
  LAMBDA_TIMEOUT_ERROR,
  MIDDY_TIMEOUT_ERROR,
];

/**
 * The task state of a registry step (named as the registry says), calling its Lambda, retried with jittered
 * back-off on `RETRIED_ERRORS` only. Without `resultPath` the result replaces the state, ASL's default for an
 * absent ResultPath.
 */
export function lambdaStep(
  scope: Construct,
  step: StepId,
  lambdaFunction: IFunction,
  payload: Record<string, unknown>,
  resultPath?: string,
): tasks.LambdaInvoke {
  const stateName = STEPS[step].state;
  const invoke = new tasks.LambdaInvoke(scope, stateName, {
    stateName,
    lambdaFunction,
    payloadResponseOnly: true,
    payload: sfn.TaskInput.fromObject(payload),
    ...(resultPath ? { resultPath } : {}),
    retryOnServiceExceptions: false,
  });
  // One retrier for all of them: its attempts bound the history a step can add (test/quota.test.ts).
  invoke.addRetry({
    errors: RETRIED_ERRORS,
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 4,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return invoke;
}
