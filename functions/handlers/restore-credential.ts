import { restoreCredentialReported, restoreItemSchema, type RestoreOutcome } from '../domain/restore';
import { stepHandler } from '../runtime/step-handler';

const METRICS: Record<Exclude<RestoreOutcome, 'failed'>, string> = {
  restored: 'CredentialsRestored',
  'would-restore': 'CredentialsToRestore',
  'secret-restored': 'CredentialSecretsRestored',
  'secret-mismatch': 'CredentialSecretMismatches',
  'already-present': 'CredentialsAlreadyPresent',
  'app-missing': 'RestoreAppsMissing',
  'no-value': 'RestoreSecretsWithoutValue',
};

export const handler = stepHandler({
  step: 'RestoreCredential',
  input: restoreItemSchema,
  run: (ports, item) => restoreCredentialReported(ports, item),
  measure: (result) => ({ [result.status === 'done' ? METRICS[result.outcome] : 'CredentialRestoreFailures']: 1 }),
});
