/**
 * Attacks a hostile world tries on the synthesized workflow: concurrent executions with a person acting between
 * them, an earlier tool's half-done pair with only a placeholder secret, a person resetting a finished credential's
 * secret, and a dry run racing a real one. Each ends with concrete outcomes: which credentials exist, which pair
 * APIC accepts, what AWSCURRENT holds and who was mailed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { placeholderValue, secretNameFor } from '../functions/domain/secrets';
import { ApicPerson } from './support/apic-person';
import { acmeProdSeed } from './support/acme-seed';
import { startRotationWorld, type RotationWorld } from './support/crash-plan';
import { scanWorld } from './support/faults-secrets';
import { PAY_APP as APP, PAY_OPERATOR as OPERATOR, PAY_OWNER as OWNER, accepts, byName, names, stagedPair, type Pair } from './support/pay-app';

const START = new Date('2025-03-01T03:00:00Z');
const SECRET_NAME = secretNameFor('apic-rotator', { ...APP, credential: 'key' });

let world: RotationWorld | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function startWorld(credentialNames: readonly string[] = ['key']): Promise<RotationWorld> {
  const credentials = credentialNames.map((name) => ({ name, title: name, ageDays: 90 }));
  const seed = acmeProdSeed({ bank: [{ name: 'pay', title: 'Pay', credentials }] });
  world = await startRotationWorld({ seed, start: START, config: { operatorEmail: OPERATOR } });
  return world;
}

function current(w: RotationWorld): Pair {
  return stagedPair(w, 'key', 'AWSCURRENT') ?? { clientId: '', clientSecret: '' };
}

async function subjectsTo(w: RotationWorld, recipient: string): Promise<string[]> {
  return (await w.ses.emails()).filter((mail) => mail.to.includes(recipient)).map((mail) => mail.subject);
}

function isSkipped(summary: unknown): boolean {
  return (summary as { status?: unknown } | undefined)?.status === 'skipped';
}

describe('attacks', () => {
  it('two executions at the same moment while a person resets the replacement’s secret: one runs, the next run repairs AWSCURRENT', async () => {
    const w = await startWorld();
    const person = new ApicPerson(w.apic);
    let reset: Promise<string> | undefined;
    const hook = (): void => {
      if (reset || !byName(w, 'key_new')) return;
      reset = person.resetSecret(APP, 'key_new');
      // Both executions share the hook: the first state entered once key_new exists starts the one reset.
    };
    const [a, b] = await Promise.all([w.runDay(0, { onStateEntered: hook }), w.runDay(0, { onStateEntered: hook })]);
    await reset;
    expect(reset).toBeDefined();
    expect([a.status, b.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect([a, b].filter((run) => isSkipped(run.summary))).toHaveLength(1);
    const winner = isSkipped(a.summary) ? b : a;
    expect(winner.summary?.actions['create-replacement']).toBe(1);
    expect(names(w)).toEqual(['key', 'key_new']);
    const seeded = w.initial[0]?.credentials[0];
    expect(byName(w, 'key')?.id).toBe(seeded?.id);

    const day1 = await w.runDay(1);
    expect(day1.status).toBe('SUCCEEDED');
    expect(names(w)).toEqual(['key', 'key_new']);
    expect(current(w).clientId).toBe(byName(w, 'key_new')?.clientId);
    expect(accepts(w, current(w))).toBe(true);

    await w.runDay(11);
    expect(names(w)).toEqual(['key']);
    expect(current(w).clientId).toBe(byName(w, 'key')?.clientId);
    expect(accepts(w, current(w))).toBe(true);
    expect(await subjectsTo(w, OWNER)).not.toEqual([]);
    expect((await scanWorld(w)).hits).toEqual([]);
  });

  it('an earlier tool’s half-done pair (a person’s key_new, a placeholder-only secret) is left alone; the rotation goes through key_new2', async () => {
    const w = await startWorld();
    const foreign = await new ApicPerson(w.apic).createCredential(APP, 'key_new', 'Key_new');
    const placeholder = JSON.stringify(placeholderValue({ ...APP, credential: 'key' }));
    w.secretsManager.seed([{ name: SECRET_NAME, value: placeholder }]);

    const day0 = await w.runDay(0);
    expect(day0.status).toBe('SUCCEEDED');
    expect(names(w)).toEqual(['key', 'key_new', 'key_new2']);
    expect(byName(w, 'key_new')).toMatchObject({ id: foreign.id, clientId: foreign.clientId, title: 'Key_new' });
    expect(current(w).clientId).toBe(byName(w, 'key_new2')?.clientId);
    expect(accepts(w, current(w))).toBe(true);
    expect(accepts(w, foreign)).toBe(true);

    await w.runDay(10);
    expect(names(w)).toEqual(['key', 'key_new']);
    expect(byName(w, 'key_new')).toMatchObject({ id: foreign.id, clientId: foreign.clientId });
    expect(current(w).clientId).toBe(byName(w, 'key')?.clientId);
    expect(accepts(w, current(w))).toBe(true);
    expect(accepts(w, foreign)).toBe(true);
    expect((await scanWorld(w)).hits).toEqual([]);
  });

  it('a person resets the secret of a finished credential: the first run that assesses the app repairs AWSCURRENT', async () => {
    const w = await startWorld();
    await w.runDay(0);
    await w.runDay(10);
    expect(names(w)).toEqual(['key']);
    const finished = current(w);
    expect(accepts(w, finished)).toBe(true);
    const id = byName(w, 'key')?.id;

    const fresh = await new ApicPerson(w.apic).resetSecret(APP, 'key');
    expect(accepts(w, finished)).toBe(false);
    expect(accepts(w, { clientId: finished.clientId, clientSecret: fresh })).toBe(true);
    const mailsBefore = (await w.ses.emails()).length;

    // Day 80: the credential enters its warning window, so the scan hands the app to AssessApp.
    const day80 = await w.runDay(80);
    expect(day80.summary?.appsNeedingAttention).toBe(1);
    expect(day80.summary?.appsFailed).toBe(0);
    expect(names(w)).toEqual(['key']);
    expect(byName(w, 'key')?.id).toBe(id);
    expect(current(w).clientId).toBe(finished.clientId);
    expect(accepts(w, current(w))).toBe(true);
    expect((await w.ses.emails()).slice(mailsBefore).map((mail) => mail.to.join(','))).toContain(OWNER);
    expect((await scanWorld(w)).hits).toEqual([]);
  });

  it('a person resets the secret of a finished credential: a daily schedule repairs AWSCURRENT within verifyEveryDays (7), long before its warning window', async () => {
    const w = await startWorld();
    await w.runDay(0);
    await w.runDay(10);
    const finished = current(w);
    const fresh = await new ApicPerson(w.apic).resetSecret(APP, 'key');
    expect(accepts(w, finished)).toBe(false);
    w.eventBridge.clear();

    const repairedOn: number[] = [];
    for (let day = 11; day <= 17; day += 1) {
      const run = await w.runDay(day);
      expect(run.summary?.appsFailed, `day ${day}`).toBe(0);
      if (accepts(w, current(w)) && repairedOn.length === 0) repairedOn.push(day);
    }
    expect(repairedOn).toHaveLength(1);
    // The repair gives the credential a secret of its own again (APIC never reveals the one the person set).
    expect(current(w).clientId).toBe(finished.clientId);
    expect(accepts(w, current(w))).toBe(true);
    expect(accepts(w, { clientId: finished.clientId, clientSecret: fresh })).toBe(false);
    // Consumers are told to read the secret again, but there is no original left to move away from.
    const ready = w.eventBridge.events().filter((event) => event.detailType === 'Replacement Ready');
    expect(ready).toHaveLength(1);
    expect(ready[0]?.detail).not.toHaveProperty('oldCredentialRemovalDate');
    expect(names(w)).toEqual(['key']);
    expect((await scanWorld(w)).hits).toEqual([]);
  });

  it('a person deletes the original just as the day-10 run enters DeleteOriginal: the replacement becomes the credential', async () => {
    const w = await startWorld();
    await w.runDay(0);
    const replacement = byName(w, 'key_new');
    let deletion: Promise<unknown> | undefined;
    const day10 = await w.runDay(10, {
      onStateEntered: (state) => {
        if (deletion || state !== 'DeleteOriginal') return;
        deletion = new ApicPerson(w.apic).deleteCredential(APP, 'key').catch((error: unknown) => error);
      },
    });
    await deletion;
    expect(deletion).toBeDefined();
    expect(day10.status).toBe('SUCCEEDED');
    expect(day10.summary?.appsFailed).toBe(0);
    expect(names(w)).toEqual(['key']);
    expect(byName(w, 'key')).toMatchObject({ id: replacement?.id, clientId: replacement?.clientId });
    expect(current(w).clientId).toBe(replacement?.clientId);
    expect(accepts(w, current(w))).toBe(true);

    await w.runDay(11);
    expect(names(w)).toEqual(['key']);
    expect(accepts(w, current(w))).toBe(true);
    expect((await scanWorld(w)).hits).toEqual([]);
  });

  it('a dry run and a real run at the same moment: the real run’s results are intact, the dry run changes nothing', async () => {
    const w = await startWorld();
    const [dry, real] = await Promise.all([w.runDay(0, { input: { dryRun: true } }), w.runDay(0)]);
    expect(dry.status).toBe('SUCCEEDED');
    expect(dry.summary?.dryRun).toBe(true);
    expect(real.status).toBe('SUCCEEDED');
    expect(isSkipped(real.summary)).toBe(false);
    expect(real.summary?.actions['create-replacement']).toBe(1);
    expect(names(w)).toEqual(['key', 'key_new']);
    expect(current(w).clientId).toBe(byName(w, 'key_new')?.clientId);
    expect(accepts(w, current(w))).toBe(true);
    expect(w.secretsManager.inspect.versions(SECRET_NAME).filter((v) => v.value?.includes('client_id'))).toHaveLength(1);

    await w.runDay(10);
    expect(names(w)).toEqual(['key']);
    expect(accepts(w, current(w))).toBe(true);
    expect((await scanWorld(w)).hits).toEqual([]);
  });
});
