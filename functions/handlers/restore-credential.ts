import { restoreCredentialReported, restoreItemSchema, type RestoreOutcome } from '../domain/restore';
import { countOf, stepHandler } from '../runtime/step-handler';
import type { MetricOf } from '../steps';

const METRICS: Record<Exclude<RestoreOutcome, 'failed'>, MetricOf<'restore-credential'>> = {
  restored: 'CredentialsRestored',
  'would-restore': 'CredentialsToRestore',
  'secret-restored': 'CredentialSecretsRestored',
  'secret-mismatch': 'CredentialSecretMismatches',
  'already-present': 'CredentialsAlreadyPresent',
  'app-missing': 'RestoreAppsMissing',
  'no-value': 'RestoreSecretsWithoutValue',
};

export const handler = stepHandler({
  step: 'restore-credential',
  input: restoreItemSchema,
  run: (ports, item) => restoreCredentialReported(ports, item),
  measure: (result) => countOf(result.status === 'done' ? METRICS[result.outcome] : 'CredentialRestoreFailures'),
});
