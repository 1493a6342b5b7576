/**
 * Error names the state machines match on. Step Functions Retry and Catch compare a task's error with these names
 * (for a Lambda, the `errorType` it reports, which is the thrown error's `name`), so the error classes that set
 * them and the workflow definitions in lib/ both import them from here: renaming one on either side alone would
 * silently turn a retried error into a failed app.
 */

/** APIC answered 429 beyond the client's own retries. */
export const APIC_THROTTLED_ERROR = 'ApicThrottledError';
/** APIC answered 5xx, or the connection failed or timed out, beyond the client's own retries. */
export const APIC_UNAVAILABLE_ERROR = 'ApicUnavailableError';
/** Secrets Manager throttled or had a service hiccup (see `SecretStoreError`). */
export const SECRET_STORE_UNAVAILABLE_ERROR = 'SecretStoreUnavailableError';
/** EventBridge refused rotation events or the request failed. */
export const EVENT_PUBLISH_ERROR = 'EventPublishError';
/** Raised by middy (`@middy/core`) just before the Lambda's own timeout, when the handler has not answered. */
export const MIDDY_TIMEOUT_ERROR = 'TimeoutError';

/** Errors the Lambda service reports for an invocation (the function's own code never ran, or never finished). */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
] as const;
/** The function's process died (out of memory, a crash of the runtime) before it answered. */
export const LAMBDA_UNKNOWN_ERROR = 'Lambda.Unknown';
/** The function ran into its configured timeout. */
export const LAMBDA_TIMEOUT_ERROR = 'Sandbox.Timedout';

/** The policy holds a deletion because the replacement-ready notice was not delivered (a Fail state, no Lambda). */
export const DELETION_HELD_ERROR = 'DeletionHeldError';

/** APIC answered 404; steps match it by name (a decorated or simulated port raises it without the client's class). */
export const APIC_NOT_FOUND_ERROR = 'ApicNotFoundError';

/** The run lease was taken over or removed while the run held it: the run must stop (see functions/domain/lease). */
export const LEASE_LOST_ERROR = 'LeaseLostError';

/** Step Functions' wildcard: matches every error (used by the per-app and per-secret Catch). */
export const ALL_ERRORS = 'States.ALL';
