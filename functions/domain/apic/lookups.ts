import type { AppLocator, ClientSecretPair } from '../model';
import type { ApicPort } from '../ports';
import { APIC_NOT_FOUND_ERROR } from '../error-names';

/** The call's result, or undefined when APIC answers that the thing does not exist (any other error propagates). */
export async function unlessNotFound<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    // By name, not class: decorated or simulated ports raise the same name without the client's class.
    if (error instanceof Error && error.name === APIC_NOT_FOUND_ERROR) return undefined;
    throw error;
  }
}

/**
 * Makes APIC accept the pair on the credential: verified first, the secret patched only when refused, then verified
 * again. False when APIC still refuses it.
 */
export async function ensureSecretAccepted(apic: ApicPort, app: AppLocator, credentialId: string, pair: ClientSecretPair): Promise<boolean> {
  if (await apic.verifyClientSecret(app, credentialId, pair)) return true;
  await apic.updateCredential(app, credentialId, { clientSecret: pair.clientSecret });
  return apic.verifyClientSecret(app, credentialId, pair);
}
