/**
 * What must hold of the modelled world (test/support/rotation-world.ts) whatever other actors did, each returned as
 * a list of plain-language problems (empty when it holds). They judge by what the model knows to be true (who made
 * a credential, which client ids the rotator generated, what was delivered), never by what the policy believes.
 */
import { ageInDays } from '../../functions/domain/policy';
import type { AppAssessment, PolicySettings } from '../../functions/domain/policy';
import type { World, WorldCredential } from './rotation-world';
import { currentVersion, replacementProven } from './rotation-world';

/**
 * Nothing the rotator does not own is deleted or changed: it deletes only an original for which it made a
 * replacement that is current and accepted, and renames, patches or resets only credentials whose client id it
 * generated.
 */
export function ownershipProblems(world: World): string[] {
  const problems: string[] = [];
  for (const m of world.log) {
    if (m.by !== 'rotator') continue;
    if (m.kind === 'delete' && !m.replacementProven) {
      problems.push(`${m.action} deleted ${m.name} (${m.credentialId}) with no current, accepted replacement made for it`);
    }
    if (m.kind !== 'delete' && m.kind !== 'create' && !world.issued.has(m.clientId)) {
      problems.push(`${m.action} made a ${m.kind} of ${m.name} (${m.credentialId}), whose client id the rotator never issued`);
    }
  }
  return problems;
}

/** The assessment calls a credential a replacement (in flight or kept) only when the rotator issued its client id. */
export function roleProblems(world: World, assessment: AppAssessment): string[] {
  return assessment.credentials
    .filter((c) => c.role === 'replacement' || c.role === 'kept')
    .filter((c) => !world.issued.has(world.credentials.find((w) => w.id === c.credentialId)?.clientId ?? ''))
    .map((c) => `${c.name} is assessed as ${c.role} but its client id is not the rotator's`);
}

/** No rotator sub-step took the app's, or a lifecycle's, last usable credential. */
export function lossProblems(world: World): string[] {
  return world.losses.map((l) => `a ${l.action} step left ${l.scope} without a usable credential`);
}

/**
 * A credential the rotator made and has not renamed to its original's name: a replacement in flight, held for a
 * notice or kept. Its rotation is its original's, not its own.
 */
function unfinishedReplacement(world: World, credential: WorldCredential): boolean {
  return credential.origin === 'rotator' && !world.renamedByRotator.has(credential.id);
}

/**
 * The credentials due for rotation at `now` that are originals. Excluded: due ones the rotator made and has not
 * renamed back (in flight, held for a notice, or kept: their rotation is their original's), and ones a person
 * renamed (what they are to the rotator follows from their new name: a rotator's credential renamed like a
 * replacement is renamed back first, a run before its own rotation starts).
 */
export function dueOriginals(world: World, now: Date, settings: PolicySettings): string[] {
  const renamedByActors = new Set(world.log.filter((m) => m.by === 'actor' && m.kind === 'rename').map((m) => m.credentialId));
  return world.credentials
    .filter((c) => ageInDays(c.createdAt, now) >= settings.expiryDays && !unfinishedReplacement(world, c) && !renamedByActors.has(c.id))
    .map((c) => c.id);
}

/** Each of `due` that is still in APIC has a replacement the rotator made for it, current in the store and accepted. */
export function unreplacedProblems(world: World, due: readonly string[]): string[] {
  return due
    .map((id) => world.credentials.find((c) => c.id === id))
    .filter((c) => c !== undefined && !replacementProven(world, c.id))
    .map((c) => `${c?.name} (${c?.id}) is due but has no stored, verified replacement`);
}

/** No original was deleted before a replacement-ready notice of its cycle reached someone (unless its org reads Secrets Manager). */
export function unannouncedDeletionProblems(world: World, settings: PolicySettings): string[] {
  if (settings.readsSecretsManager) return [];
  return world.log
    .filter((m) => m.by === 'rotator' && m.kind === 'delete' && !m.announced)
    .map((m) => `${m.name} (${m.credentialId}) was deleted before its replacement-ready notice was delivered`);
}

/**
 * Every original the rotator deleted has an old-removed notice queued for its cycle. A run stopped after deleting
 * leaves the notice to the next one, which finds the cycle through its replacement under the replacement's name; so
 * exempt are deletions after which another actor changed anything (the base name may be taken), and those whose
 * replacement another actor renamed or deleted.
 */
export function oldRemovedProblems(world: World): string[] {
  const cycles = new Set(world.queued.filter((n) => n.kind === 'old-removed').map((n) => n.cycleId));
  const lastActorChange = world.log.findLastIndex((m) => m.by === 'actor');
  const touched = new Set(world.log.filter((m) => m.by === 'actor' && (m.kind === 'rename' || m.kind === 'delete')).map((m) => m.credentialId));
  const replacementTouched = (originalId: string) => [...world.replaces].some(([id, made]) => made.originalId === originalId && touched.has(id));
  return world.log
    .map((m, index) => ({ m, index }))
    .filter(({ m }) => m.by === 'rotator' && m.kind === 'delete' && !cycles.has(m.credentialId))
    .filter(({ m, index }) => index > lastActorChange && !replacementTouched(m.credentialId))
    .map(({ m }) => `no old-removed notice for ${m.name} (${m.credentialId})`);
}

/**
 * At most two credentials per rotation unit: the rotator keeps at most an original and its replacement, and what other
 * actors add (a new credential, a renamed one) is a unit of its own.
 */
export function crowdingProblems(world: World): string[] {
  const present = new Map<string, number>();
  for (const c of world.credentials) {
    const unit = world.unit.get(c.id) ?? c.id;
    present.set(unit, (present.get(unit) ?? 0) + 1);
  }
  return [...present].filter(([, count]) => count > 2).map(([unit, count]) => `${count} credentials in rotation unit ${unit}`);
}

/**
 * The store hands out only secrets APIC accepts: for each base, the credential holding the current client id accepts
 * the current secret (the rotator repairs its own credentials after a person reset one). A credential a person
 * renamed is no longer found under the base, and is left out.
 */
export function rejectedSecretProblems(world: World): string[] {
  const renamedByActors = new Set(world.log.filter((m) => m.by === 'actor' && m.kind === 'rename').map((m) => m.credentialId));
  const problems: string[] = [];
  for (const base of world.secrets.keys()) {
    const current = currentVersion(world, base);
    const holder = current && world.credentials.find((c) => c.clientId === current.clientId);
    if (current && holder && !renamedByActors.has(holder.id) && holder.secret !== current.secret) {
      problems.push(`the secret of ${base} hands out a pair ${holder.name} (${holder.id}) rejects`);
    }
  }
  return problems;
}
