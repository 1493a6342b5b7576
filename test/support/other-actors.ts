/**
 * People and earlier tools acting on the modelled app (test/support/rotation-world.ts) between runs and between the
 * sub-steps of a run: what the rotator must survive without touching anything that is not its own.
 * A move picks its credential by index (modulo what exists), so any generated move applies to any world.
 */
import type { Mutation, World, WorldCredential } from './rotation-world';
import { freshId, pairKey } from './rotation-world';

export type ActorMove =
  /** A person deletes a credential and creates one under the same name: new id, client id and secret. */
  | { readonly kind: 'recreate'; readonly pick: number }
  /** A person creates a credential of their own named `<name><suffix>` (counter 1) or `<name><suffix>2`. */
  | { readonly kind: 'create-own'; readonly pick: number; readonly counter: 1 | 2 }
  /** A person renames a credential to a name of their own, or to another credential's replacement name (`<other><suffix>`). */
  | { readonly kind: 'rename'; readonly pick: number; readonly to: 'fresh' | 'replacement-of'; readonly other: number }
  /** A person resets a credential's secret in APIC: same client id, a new secret no consumer holds. */
  | { readonly kind: 'reset'; readonly pick: number }
  /** A person deletes a credential the rotator created. */
  | { readonly kind: 'delete-replacement'; readonly pick: number };

/** Applies the move if it can apply (APIC would refuse a taken name; then the person does nothing). */
export function actOn(world: World, move: ActorMove, now: Date, suffix: string): void {
  const target = pick(world.credentials, move.pick);
  switch (move.kind) {
    case 'recreate': {
      if (!target) return;
      remove(world, target);
      create(world, target.name, target.title, now);
      return;
    }
    case 'create-own': {
      if (!target) return;
      const name = `${target.name}${suffix}${move.counter === 2 ? '2' : ''}`;
      if (!nameTaken(world, name)) create(world, name, `Own ${name}`, now);
      return;
    }
    case 'rename': {
      if (!target) return;
      const other = pick(world.credentials, move.other);
      const name = move.to === 'fresh' ? `renamed-${world.nextId}` : other && `${other.name}${suffix}`;
      world.nextId += 1;
      if (name === undefined || nameTaken(world, name)) return;
      log(world, 'rename', target);
      target.name = name;
      // Renamed, it is another credential to the rotator (its consumers stay the same).
      world.unit.set(target.id, `renamed:${target.id}:${world.nextId}`);
      return;
    }
    case 'reset': {
      if (!target) return;
      log(world, 'reset', target);
      target.secret = freshId(world, 'reset-secret');
      return;
    }
    case 'delete-replacement': {
      const victim = pick(
        world.credentials.filter((c) => c.origin === 'rotator'),
        move.pick,
      );
      if (victim) remove(world, victim);
      return;
    }
  }
}

/** Whether another actor changed anything so far. */
export function actorsInterfered(world: World): boolean {
  return world.log.some((m) => m.by === 'actor');
}

function pick<T>(list: readonly T[], index: number): T | undefined {
  return list.length === 0 ? undefined : list[index % list.length];
}

function nameTaken(world: World, name: string): boolean {
  return world.credentials.some((c) => c.name === name);
}

function remove(world: World, credential: WorldCredential): void {
  log(world, 'delete', credential);
  world.credentials.splice(world.credentials.indexOf(credential), 1);
}

/** A person's credential: its secret is handed to their consumers. */
function create(world: World, name: string, title: string, now: Date): void {
  const credential: WorldCredential = {
    id: freshId(world, 'cred'),
    name,
    title,
    clientId: freshId(world, 'own-client'),
    secret: freshId(world, 'own-secret'),
    createdAt: now.toISOString(),
    origin: 'actor',
  };
  world.credentials.push(credential);
  world.lineage.set(credential.id, `actor:${credential.id}`);
  world.unit.set(credential.id, `actor:${credential.id}`);
  world.held.add(pairKey(credential));
  log(world, 'create', credential);
}

function log(world: World, kind: Mutation['kind'], credential: WorldCredential): void {
  world.log.push({ by: 'actor', kind, credentialId: credential.id, clientId: credential.clientId, name: credential.name });
}
