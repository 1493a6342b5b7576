/**
 * Attacks a person tries on the weekly verification day of a quiet app, after its rotation finished: renaming the
 * rotator's credential and resetting its secret, re-creating it under its old name, adding their own replacement-shaped
 * credential, deleting it; and an earlier tool's half-done pair meeting that day. Each ends with what APIC holds, what
 * AWSCURRENT holds and whether APIC accepts it, and who was told.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isVerificationDay } from '../functions/domain/policy';
import { secretNameFor } from '../functions/domain/secrets';
import { DAY_MS } from '../functions/domain/time';
import { ApicPerson } from './support/apic-person';
import { acmeProdSeed } from './support/acme-seed';
import { startRotationWorld, type RotationWorld } from './support/crash-plan';
import { scanWorld } from './support/faults-secrets';

const START = new Date('2025-03-01T03:00:00Z');
const APP = { providerOrg: 'acme', catalog: 'prod', consumerOrg: 'bank', app: 'pay' };
const APP_KEY = `${APP.providerOrg}/${APP.catalog}/${APP.consumerOrg}/${APP.app}`;
const OPERATOR = 'ops@provider.example.com';
const OWNER = 'owner@bank.example.com';
const SECRET_NAME = secretNameFor('apic-rotator', { ...APP, credential: 'key' });

let world: RotationWorld | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function startWorld(credentials: ReadonlyArray<{ name: string; ageDays: number }> = [{ name: 'key', ageDays: 90 }]): Promise<RotationWorld> {
  const seed = acmeProdSeed({ bank: [{ name: 'pay', title: 'Pay', credentials: credentials.map((c) => ({ ...c, title: c.name })) }] });
  world = await startRotationWorld({ seed, start: START, config: { operatorEmail: OPERATOR } });
  return world;
}

/** The first day from `from` on that is the app's verification day (verifyEveryDays 7), and the day before it. */
function verificationDayFrom(from: number): number {
  for (let day = from; ; day += 1) if (isVerificationDay(APP_KEY, new Date(START.getTime() + day * DAY_MS), 7)) return day;
}

function credentials(w: RotationWorld) {
  return w.apic.inspect.credentials(APP.providerOrg, APP.catalog, APP.consumerOrg, APP.app);
}

function names(w: RotationWorld): string[] {
  return credentials(w).map((c) => c.name).sort();
}

function byName(w: RotationWorld, name: string) {
  return credentials(w).find((c) => c.name === name);
}

function accepts(w: RotationWorld, pair: { clientId: string; clientSecret: string }): boolean {
  return w.apic.inspect.accepts(APP.providerOrg, APP.catalog, APP.consumerOrg, APP.app, pair.clientId, pair.clientSecret);
}

function current(w: RotationWorld): { clientId: string; clientSecret: string } {
  const version = w.secretsManager.inspect.versions(SECRET_NAME).find((v) => v.stages.includes('AWSCURRENT'));
  const value = JSON.parse(version?.value ?? '{}') as { client_id?: string; client_secret?: string };
  return { clientId: value.client_id ?? '', clientSecret: value.client_secret ?? '' };
}

/** Day 0 creates key_new, day 10 deletes key and renames key_new to key. */
async function finishedRotation(w: RotationWorld): Promise<void> {
  await w.runDay(0);
  await w.runDay(10);
  expect(names(w)).toEqual(['key']);
  expect(accepts(w, current(w))).toBe(true);
}

describe('a person on the verification day of a finished credential', () => {
  it('renames it and resets its secret: the verification day repairs AWSCURRENT of the renamed credential without renaming it back', async () => {
    const w = await startWorld();
    await finishedRotation(w);
    const finished = byName(w, 'key');
    const person = new ApicPerson(w.apic);
    await person.renameCredential(APP, 'key', 'key-main', 'Key main');
    await person.resetSecret(APP, 'key-main');
    expect(accepts(w, current(w))).toBe(false);

    const day = verificationDayFrom(11);
    const run = await w.runDay(day);
    expect(run.summary?.appsFailed).toBe(0);
    expect(names(w)).toEqual(['key-main']);
    expect(byName(w, 'key-main')?.id).toBe(finished?.id);
    expect(current(w).clientId).toBe(finished?.clientId);
    expect(accepts(w, current(w))).toBe(true);
    expect((await scanWorld(w)).hits).toEqual([]);
  });

  it('deletes it and creates a new one under the same name: the new one is never touched, and owner and operator hear that the stored pair is dead', async () => {
    const w = await startWorld();
    await finishedRotation(w);
    const person = new ApicPerson(w.apic);
    await person.deleteCredential(APP, 'key');
    const mine = await person.createCredential(APP, 'key', 'Key');
    const mailsBefore = (await w.ses.emails()).length;

    const day = verificationDayFrom(11);
    const run = await w.runDay(day);
    expect(run.summary?.appsFailed).toBe(0);
    expect(names(w)).toEqual(['key']);
    expect(byName(w, 'key')).toMatchObject({ id: mine.id, clientId: mine.clientId });
    expect(accepts(w, mine)).toBe(true);
    const told = (await w.ses.emails()).slice(mailsBefore);
    for (const recipient of [OWNER, OPERATOR]) {
      expect(told.filter((mail) => mail.to.includes(recipient)).map((mail) => mail.subject).join('\n'), recipient).toMatch(/action/i);
    }
    // Told once: the next verification day finds the notice sent for this cycle.
    await w.runDay(verificationDayFrom(day + 1));
    expect((await w.ses.emails()).length).toBe(mailsBefore + told.length);
    expect(byName(w, 'key')).toMatchObject({ id: mine.id, clientId: mine.clientId });
    expect((await scanWorld(w)).hits).toEqual([]);
  });

  it('adds their own key_new to the quiet app and resets key’s secret: key is repaired, key_new is left alone', async () => {
    const w = await startWorld();
    await finishedRotation(w);
    const person = new ApicPerson(w.apic);
    const mine = await person.createCredential(APP, 'key_new', 'Key_new');
    await person.resetSecret(APP, 'key');
    const day = verificationDayFrom(11);
    const run = await w.runDay(day);
    expect(run.summary?.appsFailed).toBe(0);
    expect(names(w)).toEqual(['key', 'key_new']);
    expect(byName(w, 'key_new')).toMatchObject({ id: mine.id, clientId: mine.clientId });
    expect(accepts(w, mine)).toBe(true);
    expect(current(w).clientId).toBe(byName(w, 'key')?.clientId);
    expect(accepts(w, current(w))).toBe(true);
    expect((await scanWorld(w)).hits).toEqual([]);
  });
});
