/** Pure retry arithmetic: which answers are worth another try, and how long to wait before it. */

export interface BackoffSettings {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Answers that say "not now" rather than "no": throttling and gateway-level outages. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/** Node socket error codes that mean the request may not have reached (or may not have been answered by) APIC. */
const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

export function isTransientNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined && TRANSIENT_NETWORK_CODES.has(code)) return true;
  return error.name === 'TimeoutError' || /socket hang up/i.test(error.message);
}

/**
 * Exponential backoff with full jitter: a uniformly random wait in [0, min(maxDelay, base * 2^(attempt-1))).
 * `attempt` is the number of the attempt that just failed, starting at 1; `random` returns a value in [0, 1).
 */
export function backoffDelayMs(attempt: number, settings: BackoffSettings, random: () => number): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attempt - 1));
  const fraction = Math.min(Math.max(random(), 0), 1);
  return Math.floor(fraction * ceiling);
}

/**
 * Milliseconds a `Retry-After` header asks for: delay-seconds or an HTTP date (relative to `now`).
 * Undefined when the header is absent or unreadable; a date in the past means 0.
 */
export function parseRetryAfterMs(header: string | undefined, now: Date): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // Only an HTTP date (which always names its weekday or month in letters) is read as a date; "1.5" or "-3" is not.
  if (!/[A-Za-z]/.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

/**
 * The wait before the next attempt: the jittered backoff, but never less than what the server asked for in
 * `Retry-After` (the header is honoured in full even above `maxDelayMs`; the retry budget decides whether to wait).
 */
export function retryDelayMs(
  attempt: number,
  settings: BackoffSettings,
  random: () => number,
  retryAfterMs?: number,
): number {
  const backoff = backoffDelayMs(attempt, settings, random);
  return retryAfterMs === undefined ? backoff : Math.max(backoff, retryAfterMs);
}

export interface RetryBudget {
  readonly maxAttempts: number;
  readonly maxRetryTimeMs: number;
}

/** Whether another attempt fits: attempts left, and the wait does not push the total past the time budget. */
export function canRetry(attemptsMade: number, elapsedMs: number, delayMs: number, budget: RetryBudget): boolean {
  return attemptsMade < budget.maxAttempts && elapsedMs + delayMs <= budget.maxRetryTimeMs;
}
