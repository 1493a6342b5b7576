import type { EffectiveSettings, ExemptSettings, PolicySettings } from './types';

export interface ConsumerOrgPolicyOverride {
  readonly expiryDays?: number;
  readonly deletionDays?: number;
  readonly warnDays?: number;
  readonly exempt?: boolean;
  readonly readsSecretsManager?: boolean;
}

/** The policy for one consumer org: its override merged over the run's policy (both validated by the config). */
export function resolvePolicy(
  run: { readonly policy: PolicySettings; readonly consumerOrgOverrides: Readonly<Record<string, ConsumerOrgPolicyOverride>> },
  consumerOrgName: string,
): EffectiveSettings {
  const override = Object.hasOwn(run.consumerOrgOverrides, consumerOrgName) ? run.consumerOrgOverrides[consumerOrgName] : undefined;
  if (!override) return run.policy;
  if (override.exempt) return { exempt: true };
  return {
    expiryDays: override.expiryDays ?? run.policy.expiryDays,
    deletionDays: override.deletionDays ?? run.policy.deletionDays,
    warnDays: override.warnDays ?? run.policy.warnDays,
    replacementSuffix: run.policy.replacementSuffix,
    ...(override.readsSecretsManager !== undefined && { readsSecretsManager: override.readsSecretsManager }),
  };
}

export function isExempt(settings: EffectiveSettings): settings is ExemptSettings {
  return 'exempt' in settings;
}
