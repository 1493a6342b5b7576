/**
 * Adoption of the pairs an earlier tool made (the seed script writes APIC's create-credential answer to
 * `<app>_<credential>.json`): each pair is matched to its credential by client id, verified with APIC and stored as
 * the credential's current secret, so its rotation continues as if the rotator had made it. A pair APIC does not
 * accept is reported, never stored.
 */
import * as z from 'zod';
import type { ApicApp, ApicCredential, CatalogTarget, ClientSecretPair } from '../model';
import type { ApicPort, CredentialSecretLocator, SecretStorePort } from '../ports';
import { replacedBaseName } from '../policy';
import { versionToken } from '../secrets';

/** The fields of APIC's create-credential answer that adoption uses; the rest (URLs, title) is ignored. */
const seedScriptFileSchema = z.object({
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  name: z.string().min(1).optional(),
});

export interface SeedScriptPair extends ClientSecretPair {
  /** Where the pair came from, for the report (a file name; never the secret). */
  readonly source: string;
}

export class SeedScriptFileError extends Error {
  constructor(source: string, detail: string) {
    super(`${source}: ${detail}`);
    this.name = 'SeedScriptFileError';
  }
}

/** Reads one output file of the seed script. The error names the file and the missing fields, never a value. */
export function parseSeedScriptFile(source: string, text: string): SeedScriptPair {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SeedScriptFileError(source, 'is not JSON');
  }
  const parsed = seedScriptFileSchema.safeParse(raw);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(root)'))].join(', ');
    throw new SeedScriptFileError(source, `is not a create-credential answer (missing or invalid: ${fields})`);
  }
  return { source, clientId: parsed.data.client_id, clientSecret: parsed.data.client_secret };
}

export type AdoptionOutcome =
  /** Stored as the current secret (or would be, in a dry run). */
  | 'adopted'
  | 'would-adopt'
  /** The store already holds this pair as current. */
  | 'already-adopted'
  /** No credential of the targets has this client id. */
  | 'not-found'
  /** APIC does not accept the secret for this client id: not stored. */
  | 'rejected'
  /** The store's current secret of this credential belongs to another credential of the app: left alone. */
  | 'conflict'
  /** Not a create-credential answer (no client id or secret). */
  | 'invalid-file';

export interface AdoptionResult {
  readonly source: string;
  readonly outcome: AdoptionOutcome;
  readonly clientId: string;
  /** Where the credential was found; absent for `not-found`. */
  readonly credential?: CredentialSecretLocator & { readonly name: string; readonly cycleId: string };
  readonly detail?: string;
}

/** A credential of a target, with its app (the app's other credentials decide which lifecycle it belongs to). */
export interface LocatedCredential {
  readonly target: CatalogTarget;
  readonly app: ApicApp;
  readonly credential: ApicCredential;
}

/** Every credential of the targets by client id, all pages. */
export async function indexCredentialsByClientId(apic: ApicPort, targets: readonly CatalogTarget[], pageSize: number): Promise<Map<string, LocatedCredential>> {
  const index = new Map<string, LocatedCredential>();
  for (const target of targets) {
    let offset: number | undefined = 0;
    while (offset !== undefined) {
      const page = await apic.listAppsPage(target, offset, pageSize);
      for (const app of page.apps) for (const credential of app.credentials) index.set(credential.clientId, { target, app, credential });
      offset = page.nextOffset;
    }
  }
  return index;
}

/**
 * The lifecycle a credential continues in: a `<base>_new` beside its older original `<base>` is that original's
 * replacement (cycle = the original's APIC id); anything else is a credential of its own (cycle = its own id).
 */
export function adoptionLifecycle(located: LocatedCredential, suffix: string): { base: string; cycleId: string } {
  const { app, credential } = located;
  const base = replacedBaseName(credential.name, suffix);
  const original = base === undefined ? undefined : app.credentials.find((c) => c.name === base);
  if (base !== undefined && original && Date.parse(original.createdAt) <= Date.parse(credential.createdAt)) {
    return { base, cycleId: original.id };
  }
  return { base: credential.name, cycleId: credential.id };
}

export interface AdoptDeps {
  readonly apic: ApicPort;
  readonly store: SecretStorePort;
}

export async function adoptPair(
  deps: AdoptDeps,
  index: ReadonlyMap<string, LocatedCredential>,
  pair: SeedScriptPair,
  options: { readonly dryRun: boolean; readonly replacementSuffix: string },
): Promise<AdoptionResult> {
  const located = index.get(pair.clientId);
  if (!located) return { source: pair.source, outcome: 'not-found', clientId: pair.clientId };
  const { target, app, credential } = located;
  const { base, cycleId } = adoptionLifecycle(located, options.replacementSuffix);
  const appLocator = { ...target, consumerOrg: app.consumerOrg.name, app: app.name };
  const locator: CredentialSecretLocator = { ...appLocator, credential: base };
  const found = { source: pair.source, clientId: pair.clientId, credential: { ...locator, name: credential.name, cycleId } };
  if (!(await deps.apic.verifyClientSecret(appLocator, credential.id, pair))) {
    return { ...found, outcome: 'rejected', detail: 'APIC does not accept this secret for the client id; not stored' };
  }
  const { current } = await deps.store.describe(locator);
  if (current?.clientId === pair.clientId) return { ...found, outcome: 'already-adopted' };
  if (current && app.credentials.some((c) => c.clientId === current.clientId)) {
    return { ...found, outcome: 'conflict', detail: `the stored current secret of ${base} belongs to another credential of the app; left as it is` };
  }
  if (options.dryRun) return { ...found, outcome: 'would-adopt' };
  const token = versionToken(cycleId, 'adopt', pair.clientId);
  await deps.store.stagePending(locator, token, cycleId, () => ({ clientId: pair.clientId, clientSecret: pair.clientSecret }));
  await deps.store.promote(locator, token);
  return { ...found, outcome: 'adopted' };
}
