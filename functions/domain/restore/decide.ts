/**
 * What to do for one stored credential, decided from what APIC holds. Pure: the caller reads APIC and asks it
 * to verify the stored secret, then carries out the decision.
 */
import type { ApicCredential } from '../model';

/** Appended to the stored name when another credential of the app already carries it. */
export const RESTORED_NAME_SUFFIX = '-restored';

export interface RestoreFacts {
  /** The credential name the secret was stored under. */
  readonly credential: string;
  /** The stored client id. */
  readonly clientId: string;
  /** The app's credentials in APIC; undefined when APIC has no such app. */
  readonly appCredentials: readonly ApicCredential[] | undefined;
  /**
   * Whether APIC accepts the stored secret for `holderOf(appCredentials, clientId)`; required when there is a
   * holder, ignored otherwise.
   */
  readonly holderAcceptsSecret?: boolean;
}

export type RestoreDecision =
  | { readonly kind: 'app-missing' }
  | { readonly kind: 'already-present'; readonly credential: ApicCredential }
  | { readonly kind: 'patch-secret'; readonly credential: ApicCredential }
  /** `name` differs from the stored name when that one is taken by another credential. */
  | { readonly kind: 'create'; readonly name: string; readonly title: string }
  | { readonly kind: 'names-taken'; readonly names: readonly [string, string] };

export class RestoreDecisionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreDecisionError';
  }
}

/** The credential of the app that carries the stored client id, if any (client ids are unique in a catalog). */
export function holderOf(credentials: readonly ApicCredential[], clientId: string): ApicCredential | undefined {
  return credentials.find((credential) => credential.clientId === clientId);
}

export function decideRestore(facts: RestoreFacts): RestoreDecision {
  if (!facts.appCredentials) return { kind: 'app-missing' };
  const holder = holderOf(facts.appCredentials, facts.clientId);
  if (holder) {
    if (facts.holderAcceptsSecret === undefined) {
      throw new RestoreDecisionError(`credential ${holder.name} holds the stored client id but its secret was not verified`);
    }
    return { kind: facts.holderAcceptsSecret ? 'already-present' : 'patch-secret', credential: holder };
  }
  // Credentials the rebuilt APIC made on its own (e.g. `Credential-for-<app>`) are left alone: only a free name is used.
  const taken = new Set(facts.appCredentials.map((credential) => credential.name));
  const fallback = `${facts.credential}${RESTORED_NAME_SUFFIX}`;
  const name = !taken.has(facts.credential) ? facts.credential : !taken.has(fallback) ? fallback : undefined;
  if (name === undefined) return { kind: 'names-taken', names: [facts.credential, fallback] };
  return { kind: 'create', name, title: name };
}
