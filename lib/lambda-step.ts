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
  SECRET_STORE_UNAVAILABLE_ERROR,
} from '../functions/domain/error-names';
import { STEPS, type StepId } from '../functions/steps';

/** Errors worth another attempt: Lambda's own hiccups, APIC throttling/outages, Secrets Manager throttling. */
const RETRIED_ERRORS = [
  ...LAMBDA_SERVICE_ERRORS,
  APIC_UNAVAILABLE_ERROR,
  APIC_THROTTLED_ERROR,
  SECRET_STORE_UNAVAILABLE_ERROR,
  // Every action is idempotent, so publishing a refused event again by re-running the step is safe.
  EVENT_PUBLISH_ERROR,
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
