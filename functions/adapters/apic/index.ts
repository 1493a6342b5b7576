export { ApicClient, type AdminCredentials, type ApicClientOptions, type RequestInfo } from './client';
export {
  ApicAuthError,
  ApicBadRequestError,
  ApicConflictError,
  ApicDataError,
  ApicError,
  ApicNotFoundError,
  ApicThrottledError,
  ApicUnavailableError,
  sanitize,
} from '../../domain/apic/errors';
export { ensureSecretAccepted, unlessNotFound } from '../../domain/apic/lookups';
