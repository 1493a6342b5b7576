/**
 * The synthesized workflow in a world it does not have to itself: a person acts on APIC through the platform API
 * between runs, SES can fail for weeks, an earlier tool left `_new` credentials. Each case is one the rotator got
 * wrong before it followed the ownership rule (docs/design.md "Ownership").
 */
import { afterEach, describe, expect, it } from 'vitest';
import { secretNameFor } from '../functions/domain/secrets';
import { ApicPerson } from './support/apic-person';
import { acmeProdSeed } from './support/acme-seed';
import { startRotationWorld, type RotationWorld } from './support/crash-plan';

const START = new Date('2025-03-01T03:00:00Z');
const APP = { providerOrg: 'acme', catalog: 'prod', consumerOrg: 'bank', app: 'pay' };
const OPERATOR = 'ops@provider.example.com';
const CREATE_ROUTE = { method: 'POST', route: 'POST /apps/:porg/:catalog/:corg/:app/credentials' };

let world: RotationWorld | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** bank/pay holds one credential `key`, due on day 0 (expiry 90, deletion 100: a 10-day grace). */
async function startWorld(config: Record<string, unknown> = {}, ownerEmail = true): Promise<RotationWorld> {
  const seed = acmeProdSeed({ bank: [{ name: 'pay', title: 'Pay', credentials: [{ name: 'key', title: 'Key', ageDays: 90 }] }] });
  if (!ownerEmail) for (const org of seed.catalogs[0]?.consumerOrgs ?? []) org.owner = {};
  world = await startRotationWorld({ seed, start: START, config: { operatorEmail: OPERATOR, ...config } });
  return world;
}

function credentials(w: RotationWorld) {
  return w.apic.inspect.credentials(APP.providerOrg, APP.catalog, APP.consumerOrg, APP.app);
}

function accepts(w: RotationWorld, pair: { clientId: string; clientSecret: string }): boolean {
  return w.apic.inspect.accepts(APP.providerOrg, APP.catalog, APP.consumerOrg, APP.app, pair.clientId, pair.clientSecret);
}

function current(w: RotationWorld): { clientId: string; clientSecret: string } {
  const name = secretNameFor('apic-rotator', { ...APP, credential: 'key' });
  const version = w.secretsManager.inspect.versions(name).find((v) => v.stages.includes('AWSCURRENT'));
  const value = JSON.parse(version?.value ?? '{}') as { client_id?: string; client_secret?: string };
  return { clientId: value.client_id ?? '', clientSecret: value.client_secret ?? '' };
}

async function mailsTo(w: RotationWorld, recipient: string): Promise<string[]> {
  return (await w.ses.emails()).filter((mail) => mail.to.includes(recipient)).map((mail) => mail.subject);
}

describe('other actors on APIC', () => {
  it('does not delete an original a person re-created under the same name during the grace', async () => {
    const w = await startWorld();
    await w.runDay(0);
    const seeded = w.initial[0]?.credentials[0];
    const person = new ApicPerson(w.apic);
    await person.deleteCredential(APP, 'key');
    const recreated = await person.createCredential(APP, 'key', 'Key');
    const day10 = await w.runDay(10);

    expect(credentials(w).map((c) => [c.name, c.id === recreated.id]).sort()).toEqual([
      ['key', true],
      ['key_new', false],
    ]);
    expect(accepts(w, recreated)).toBe(true);
    expect(accepts(w, current(w))).toBe(true);
    expect(credentials(w).find((c) => c.name === 'key_new')?.clientId).toBe(current(w).clientId);
    expect(day10.summary?.actions['delete-original']).toBeUndefined();
    expect(seeded?.id).not.toBe(recreated.id);
    expect((await mailsTo(w, 'owner@bank.example.com')).join(' ')).toMatch(/action/i);
    expect((await mailsTo(w, OPERATOR)).join(' ')).toMatch(/action/i);
  });

  it('never takes over a person’s own key_new made after a failed create; the rotation goes on under key_new2', async () => {
    const w = await startWorld();
    w.apic.faults.failNext(CREATE_ROUTE, { count: 200, status: 503 });
    const day0 = await w.runDay(0);
    expect(day0.summary?.appsFailed).toBe(1);
    w.apic.faults.clear();
    const persons = await new ApicPerson(w.apic).createCredential(APP, 'key_new', 'Key_new');

    await w.runDay(1);
    await w.runDay(11);
    const names = credentials(w).map((c) => c.name).sort();
    expect(names).toEqual(['key', 'key_new']);
    const personsNow = credentials(w).find((c) => c.id === persons.id);
    expect(personsNow).toMatchObject({ name: 'key_new', title: 'Key_new', clientId: persons.clientId });
    expect(accepts(w, persons)).toBe(true);
    expect(credentials(w).find((c) => c.name === 'key')?.clientId).toBe(current(w).clientId);
    expect(accepts(w, current(w))).toBe(true);
  });

  it('keeps an original whose replacement-ready notice never reached anyone, and deletes it once a notice is delivered', async () => {
    const w = await startWorld({ operatorEmail: undefined }, false);
    await w.runDay(0);
    const held = await w.runDay(10);
    expect(credentials(w).map((c) => c.name)).toEqual(['key', 'key_new']);
    expect(held.summary?.appsFailed).toBe(1);
    expect(held.summary?.deletionsHeld).toBe(1);
    expect(held.summary?.failures.map((f) => f.error)).toEqual(['DeletionHeldError']);
    expect(held.summary?.failures[0]?.cause).toMatch(/not reached the owner or the operator/);
    expect(held.summary?.notices.undeliverable).toBeGreaterThan(0);

    // The operator fixes the config: the notice goes out on the next run, and the run after it deletes.
    const fixed = { ...w.config, operatorEmail: OPERATOR };
    await w.runDay(11, { config: fixed });
    expect(credentials(w).map((c) => c.name)).toEqual(['key', 'key_new']);
    expect(await mailsTo(w, OPERATOR)).not.toEqual([]);
    const done = await w.runDay(12, { config: fixed });
    expect(done.summary?.appsFailed).toBe(0);
    expect(credentials(w).map((c) => [c.name, c.clientId])).toEqual([['key', current(w).clientId]]);
  });

  it('keeps an original while SES refuses every digest', async () => {
    const w = await startWorld();
    w.ses.failNext(10_000);
    await w.runDay(0);
    const day10 = await w.runDay(10);
    const day20 = await w.runDay(20);
    expect(credentials(w).map((c) => c.name)).toEqual(['key', 'key_new']);
    for (const run of [day10, day20]) expect(run.summary?.failures.map((f) => f.error)).toEqual(['DeletionHeldError']);
  });

  it('rotates through the next free name when key_new belongs to someone else, and rotates that one on its own later', async () => {
    const w = await startWorld();
    const foreign = await new ApicPerson(w.apic).createCredential(APP, 'key_new', 'Key_new');
    await w.runDay(0);
    expect(credentials(w).map((c) => c.name).sort()).toEqual(['key', 'key_new', 'key_new2']);
    await w.runDay(10);
    expect(credentials(w).map((c) => c.name).sort()).toEqual(['key', 'key_new']);
    expect(credentials(w).find((c) => c.name === 'key_new')?.clientId).toBe(foreign.clientId);

    // Day 90: the foreign key_new (created on day 0) is due and rotated as a credential of its own, beside key.
    await w.runDay(90);
    expect(credentials(w).map((c) => c.name).sort()).toEqual(['key', 'key_new', 'key_new2', 'key_new_new']);
    await w.runDay(100);
    const after = credentials(w);
    expect(after.map((c) => c.name).sort()).toEqual(['key', 'key_new']);
    expect(after.find((c) => c.name === 'key_new')?.clientId).not.toBe(foreign.clientId);
  });
});
