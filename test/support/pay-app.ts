/**
 * The app most attack worlds play with: acme/prod, consumer org bank, app pay, whose owner and the operator get
 * the notices. What the tests look at: its credentials in APIC, the pair APIC accepts, the pairs its secrets hold.
 */
import { secretNameFor } from '../../functions/domain/secrets';
import type { RotationWorld } from './crash-plan';

export const PAY_APP = { providerOrg: 'acme', catalog: 'prod', consumerOrg: 'bank', app: 'pay' } as const;
export const PAY_OWNER = 'owner@bank.example.com';
export const PAY_OPERATOR = 'ops@provider.example.com';

export type Pair = { clientId: string; clientSecret: string };

export function credentials(w: RotationWorld) {
  return w.apic.inspect.credentials(PAY_APP.providerOrg, PAY_APP.catalog, PAY_APP.consumerOrg, PAY_APP.app);
}

export function names(w: RotationWorld): string[] {
  return credentials(w).map((c) => c.name).sort();
}

export function byName(w: RotationWorld, name: string) {
  return credentials(w).find((c) => c.name === name);
}

/** Whether APIC accepts `pair` for the app; a missing pair is not accepted. */
export function accepts(w: RotationWorld, pair: Pair | undefined): boolean {
  if (!pair) return false;
  return w.apic.inspect.accepts(PAY_APP.providerOrg, PAY_APP.catalog, PAY_APP.consumerOrg, PAY_APP.app, pair.clientId, pair.clientSecret);
}

/** The pair the secret of credential `base` holds at `stage`, if the secret and a version with a pair exist. */
export function stagedPair(w: RotationWorld, base: string, stage: 'AWSCURRENT' | 'AWSPENDING'): Pair | undefined {
  const name = secretNameFor('apic-rotator', { ...PAY_APP, credential: base });
  if (!w.secretsManager.inspect.secretNames().includes(name)) return undefined;
  const version = w.secretsManager.inspect.versions(name).find((v) => v.stages.includes(stage));
  if (version?.value === undefined) return undefined;
  const value = JSON.parse(version.value) as { client_id: string; client_secret: string };
  return { clientId: value.client_id, clientSecret: value.client_secret };
}
