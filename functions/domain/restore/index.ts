export { RESTORED_NAME_SUFFIX, RestoreDecisionError, decideRestore, holderOf, type RestoreDecision, type RestoreFacts } from './decide';
export { emptyRestoreSummary, prepareRestore, type RestoreInput } from './input';
export { MAX_PAGES_PER_SEGMENT, MAX_SECRETS_PER_PAGE, listSecretsPage, scopeAt, scopeCount } from './listing';
export { RestoreError, restoreCredential, restoreCredentialReported, type RestoreDeps } from './restore-credential';
export { finishRestoreSchema, prepareRestoreSchema, restoreItemSchema, restoreStateSchema } from './schemas';
export { MAX_LISTED_FAILURES, MAX_LISTED_RESULTS, MAX_REASON_CHARS, tallyRestoreResults } from './summary';
export * from './types';
