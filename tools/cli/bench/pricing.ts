/** Public list prices (us-east-1) used to turn measured counts into money. */
export const PRICES = {
  stepFunctionsPerTransition: 0.025 / 1_000,
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerRequest: 0.2 / 1_000_000,
  secretsManagerPerSecretMonth: 0.4,
  secretsManagerPerApiCall: 0.05 / 10_000,
} as const;

/** The memory every rotator Lambda is deployed with (lib/lambda-defaults.ts). */
export const LAMBDA_MEMORY_GB = 512 / 1024;

export interface RunCounts {
  readonly transitions: number;
  readonly lambdaInvocations: number;
  /** Summed handler wall time, the estimate of billed duration. */
  readonly lambdaMs: number;
  readonly secretsManagerCalls: number;
}

export interface RunCost {
  readonly stepFunctions: number;
  readonly lambda: number;
  readonly secretsManagerApi: number;
  readonly total: number;
}

export function runCost(counts: RunCounts): RunCost {
  const stepFunctions = counts.transitions * PRICES.stepFunctionsPerTransition;
  const lambda =
    counts.lambdaInvocations * PRICES.lambdaPerRequest + (counts.lambdaMs / 1000) * LAMBDA_MEMORY_GB * PRICES.lambdaArmPerGbSecond;
  const secretsManagerApi = counts.secretsManagerCalls * PRICES.secretsManagerPerApiCall;
  return { stepFunctions, lambda, secretsManagerApi, total: stepFunctions + lambda + secretsManagerApi };
}
