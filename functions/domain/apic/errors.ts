/**
 * Typed errors of the APIC client. Step Functions Retry/Catch match on `error.name`, so every name is part of the
 * contract (the retried ones come from error-names.ts, which the workflow definitions use too). No message ever
 * carries a secret: everything taken from a response passes through `sanitize`.
 */
import { APIC_NOT_FOUND_ERROR, APIC_THROTTLED_ERROR, APIC_UNAVAILABLE_ERROR } from '../error-names';

export interface ApicErrorDetails {
  readonly method: string;
  /** The request path below the API base, without query string. */
  readonly path: string;
  readonly status?: number;
  /** APIC's `message` (array joined), sanitised. */
  readonly apicMessage?: string;
  readonly cause?: unknown;
}

export class ApicError extends Error {
  readonly method: string;
  readonly path: string;
  readonly status?: number;
  readonly apicMessage?: string;
  /** Whether trying the same call later may succeed (throttling, outages); a hint for the workflow's retry policy. */
  readonly retryable: boolean;

  constructor(summary: string, details: ApicErrorDetails, retryable = false) {
    const status = details.status === undefined ? '' : ` (HTTP ${details.status})`;
    const apic = details.apicMessage ? `: ${details.apicMessage}` : '';
    super(sanitize(`${details.method} ${details.path}${status}: ${summary}${apic}`), { cause: details.cause });
    this.name = 'ApicError';
    this.method = details.method;
    this.path = details.path;
    this.status = details.status;
    this.apicMessage = details.apicMessage;
    this.retryable = retryable;
  }
}

/** 401/403 that a fresh token did not cure, or a rejected token request. */
export class ApicAuthError extends ApicError {
  constructor(summary: string, details: ApicErrorDetails) {
    super(summary, details);
    this.name = 'ApicAuthError';
  }
}

export class ApicNotFoundError extends ApicError {
  constructor(summary: string, details: ApicErrorDetails) {
    super(summary, details);
    this.name = APIC_NOT_FOUND_ERROR;
  }
}

export class ApicConflictError extends ApicError {
  constructor(summary: string, details: ApicErrorDetails) {
    super(summary, details);
    this.name = 'ApicConflictError';
  }
}

export class ApicBadRequestError extends ApicError {
  constructor(summary: string, details: ApicErrorDetails) {
    super(summary, details);
    this.name = 'ApicBadRequestError';
  }
}

/** 429 that outlasted the client's retries. */
export class ApicThrottledError extends ApicError {
  constructor(summary: string, details: ApicErrorDetails) {
    super(summary, details, true);
    this.name = APIC_THROTTLED_ERROR;
  }
}

/** 5xx, network failure or timeout that outlasted the client's retries (or was not safe to retry). */
export class ApicUnavailableError extends ApicError {
  constructor(summary: string, details: ApicErrorDetails) {
    super(summary, details, true);
    this.name = APIC_UNAVAILABLE_ERROR;
  }
}

/** APIC answered, but with data the rotator cannot trust (a missing date would make every age computation wrong). */
export class ApicDataError extends ApicError {
  /** The offending field, e.g. `created_at`. */
  readonly field: string;
  /** What holds the field, e.g. `credential "Cred-A" of app "shop"`. */
  readonly object: string;

  constructor(field: string, object: string, problem: string, details: ApicErrorDetails) {
    super(`malformed data from APIC: ${field} of ${object} ${problem}`, details);
    this.name = 'ApicDataError';
    this.field = field;
    this.object = object;
  }
}

const REDACTED = '[redacted]';
const SECRET_KEYS =
  'client_secret|clientSecret|access_token|accessToken|refresh_token|refreshToken|password|api_key|apiKey|secret';
// A secret-named key (any suffix, e.g. `client_secret_hashed`) followed by `:` or `=` and its value: a JSON string,
// a JSON string escaped inside another string, a single-quoted string, or a bare word (form or plain text).
const KEYED_SECRET = new RegExp(
  `((?:${SECRET_KEYS})[A-Za-z_]*\\\\?["']?\\s*[:=]\\s*)("(?:[^"\\\\]|\\\\.)*"|\\\\"(?:[^\\\\]|\\\\[^"])*\\\\"|'[^']*'|[^\\s,&;}\\]"']+)`,
  'gi',
);
const BEARER = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/gi;
const MIN_KNOWN_SECRET_LENGTH = 4;

/**
 * Removes anything secret-like from text: values of secret-named fields, Bearer tokens, and every `knownSecrets`
 * value (the caller's own secrets, in case APIC echoes one without a key).
 */
export function sanitize(text: string, knownSecrets: readonly string[] = []): string {
  let result = text;
  const known = [...new Set(knownSecrets)]
    .filter((secret) => secret.length >= MIN_KNOWN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  for (const secret of known) result = result.split(secret).join(REDACTED);
  return result.replace(KEYED_SECRET, `$1${REDACTED}`).replace(BEARER, `$1 ${REDACTED}`);
}
