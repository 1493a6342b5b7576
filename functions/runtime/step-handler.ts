import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { STEP_FAILURE_METRIC, STEPS, type MetricOf, type StepId } from '../steps';
import { logger, metrics, tracer } from './observability';
import { currentPorts, useInvocationDeadline, useRunClock, type Ports } from './ports';

export class InvalidStepInputError extends Error {
  constructor(step: string, error: z.ZodError) {
    const fields = error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    super(`${step} received an invalid input: ${fields}`);
    this.name = 'InvalidStepInputError';
  }
}

/** Counts a step publishes as metrics, by metric name (an absent count publishes nothing). */
export type StepMetrics = { readonly [name: string]: number | undefined };

/** `Metrics` with every name the registry does not list for step `S` turned into an error. */
type DeclaredOnly<Metrics, S extends StepId> = Metrics & { readonly [Name in Exclude<keyof Metrics, MetricOf<S>>]: never };

/**
 * What a step keeps of its Lambda's time for itself: after the deadline it still logs the error, publishes the failure
 * metric and answers, all before the Lambda's timeout, so Step Functions sees the step's own retryable error rather
 * than `Sandbox.Timedout` (and the APIC client never has a request in flight when the Lambda is stopped).
 */
export const INVOCATION_SAFETY_MARGIN_MS = 5_000;

/** The invocation a step runs in. */
export interface Invocation {
  /** Epoch milliseconds by which the step's work must be done: the Lambda's remaining time less the safety margin. */
  readonly deadline: number;
}

/** The deadline of an invocation that started at `nowMs` with `remainingMs` of its Lambda's time left. */
export function invocationDeadline(nowMs: number, remainingMs: number): number {
  return nowMs + remainingMs - INVOCATION_SAFETY_MARGIN_MS;
}

export interface StepDefinition<S extends StepId, Schema extends z.ZodType, Output, Metrics extends StepMetrics> {
  /** The step's id in the registry (functions/steps.ts), which gives its state name and the metrics it may publish. */
  readonly step: S;
  readonly input: Schema;
  readonly run: (ports: Ports, input: z.output<Schema>, invocation: Invocation) => Promise<Output> | Output;
  /**
   * Counts to publish as metrics once the step succeeded (e.g. credentials scanned); zeros are published too.
   * Only the metric names the registry lists for the step type-check.
   */
  readonly measure: (output: Output) => DeclaredOnly<Metrics, S>;
}

/** One count under a metric name chosen at run time (an object literal with a computed key would lose the name). */
export function countOf<Name extends string>(name: Name, value = 1): { readonly [N in Name]?: number } {
  return { [name]: value } as { readonly [N in Name]?: number };
}

/** Step Functions keeps a task's error message (and, from Lambda, its stack) as the Cause; the full error is logged. */
const MAX_ERROR_MESSAGE_CHARS = 300;

/**
 * The same error name (Step Functions' Retry and Catch match on it) with a short message and no stack trace: the
 * Cause of every failed app travels in a payload next to the other apps' results, so it must stay small.
 */
function compactError(error: unknown): Error {
  const original = error instanceof Error ? error : new Error(String(error));
  const message =
    original.message.length > MAX_ERROR_MESSAGE_CHARS ? `${original.message.slice(0, MAX_ERROR_MESSAGE_CHARS - 1)}…` : original.message;
  const compact = new Error(message);
  compact.name = original.name;
  compact.stack = `${original.name}: ${message}`;
  return compact;
}

function runClockOf(input: unknown): string | undefined {
  const run = (input as { run?: { now?: unknown } }).run;
  return typeof run?.now === 'string' ? run.now : undefined;
}

/** Every Lambda is this: validate the input, run one workflow step over the ports, publish its metrics. */
export function stepHandler<S extends StepId, Schema extends z.ZodType, Output, Metrics extends StepMetrics>(
  definition: StepDefinition<S, Schema, Output, Metrics>,
) {
  const stateName = STEPS[definition.step].state;
  const lambdaHandler = async (event: unknown, context: Context): Promise<Output> => {
    let output: Output;
    const invocation: Invocation = { deadline: invocationDeadline(Date.now(), context.getRemainingTimeInMillis()) };
    useInvocationDeadline(invocation.deadline);
    try {
      const parsed = definition.input.safeParse(event);
      if (!parsed.success) throw new InvalidStepInputError(stateName, parsed.error);
      const ports = currentPorts();
      if (ports.allowClockOverride) useRunClock(runClockOf(parsed.data));
      output = await definition.run(ports, parsed.data, invocation);
    } catch (error) {
      metrics.addMetric(STEP_FAILURE_METRIC, MetricUnit.Count, 1);
      logger.error(`${stateName} failed`, error as Error);
      throw compactError(error);
    }
    for (const [name, value] of Object.entries(definition.measure(output) as StepMetrics)) {
      if (value !== undefined) metrics.addMetric(name, MetricUnit.Count, value);
    }
    return output;
  };
  return middy(lambdaHandler)
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { clearState: true }))
    .use(logMetrics(metrics));
}
