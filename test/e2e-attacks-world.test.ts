/**
 * Attacks a person tries on the weekly verification day of a quiet app, after its rotation finished: renaming the
 * rotator's credential and resetting its secret, re-creating it under its old name, adding their own replacement-shaped
 * credential, deleting it; and an earlier tool's half-done pair meeting that day. Each ends with what APIC holds, what
 * AWSCURRENT holds and whether APIC accepts it, and who was told.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isVerificationDay } from '../functions/domain/policy';
import { placeholderValue, secretNameFor } from '../functions/domain/secrets';
import { DAY_MS } from '../functions/domain/time';
import { decoratePorts } from '../functions/runtime/ports';
import { ApicPerson } from './support/apic-person';
import { acmeProdSeed } from './support/acme-seed';
import { startRotationWorld, type RotationWorld } from './support/crash-plan';
import { scanWorld } from './support/faults-secrets';
import { PAY_APP as APP, PAY_OPERATOR as OPERATOR, PAY_OWNER as OWNER, accepts, byName, credentials, names, stagedPair, type Pair } from './support/pay-app';

const START = new Date('2025-03-01T03:00:00Z');
const APP_KEY = `${APP.providerOrg}/${APP.catalog}/${APP.consumerOrg}/${APP.app}`;
const SECRET_NAME = secretNameFor('apic-rotator', { ...APP, credential: 'key' });

let world: RotationWorld | undefined;

afterEach(async () => {
  decoratePorts(undefined);
  await world?.close();
  world = undefined;
});

async function startWorld(credentials: ReadonlyArray<{ name: string; ageDays: number }> = [{ name: 'key', ageDays: 90 }]): Promise<RotationWorld> {
  const seed = acmeProdSeed({ bank: [{ name: 'pay', title: 'Pay', credentials: credentials.map((c) => ({ ...c, title: c.name })) }] });
  world = await startRotationWorld({ seed, start: START, config: { operatorEmail: OPERATOR } });
  return world;
}

/** The first day from `from` on that is the app’s verification day (verifyEveryDays 7). */
function verificationDayFrom(from: number): number {
  for (let day = from; ; day += 1) if (isVerificationDay(APP_KEY, new Date(START.getTime() + day * DAY_MS), 7)) return day;
}

function isSkipped(summary: unknown): boolean {
  return (summary as { status?: unknown } | undefined)?.status === 'skipped';
}

/** The pair consumers read; empty when the secret holds none. */
function current(w: RotationWorld): Pair {
  return stagedPair(w, 'key', 'AWSCURRENT') ?? { clientId: '', clientSecret: '' };
}

/** Day 0 creates key_new, day 10 deletes key and renames key_new to key. */
async function finishedRotation(w: RotationWorld): Promise<void> {
  await w.runDay(0);
  await w.runDay(10);
  expect(names(w)).toContain('key');
  expect(names(w)).not.toContain('key_new');
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
    w.eventBridge.clear();

    const day = verificationDayFrom(11);
    const run = await w.runDay(day);
    expect(run.summary?.appsFailed).toBe(0);
    expect(names(w)).toEqual(['key-main']);
    expect(byName(w, 'key-main')?.id).toBe(finished?.id);
    expect(current(w).clientId).toBe(finished?.clientId);
    expect(accepts(w, current(w))).toBe(true);
    // Consumers are told to read the secret again; no original is left to move away from.
    const ready = w.eventBridge.events().filter((event) => event.detailType === 'Replacement Ready');
    expect(ready).toHaveLength(1);
    expect(ready[0]?.detail).not.toHaveProperty('oldCredentialRemovalDate');
    expect((await scanWorld(w)).hits).toEqual([]);
  });

  it('deletes it and creates a new one under the same name: owner and operator hear once that the stored pair is dead; the new one is left alone until it is due', async () => {
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
    // The person's key is an original like any other: rotated when due, the dead pair giving way to the replacement's.
    await w.runDay(day + 90);
    expect(names(w)).toEqual(['key', 'key_new']);
    expect(current(w).clientId).toBe(byName(w, 'key_new')?.clientId);
    expect(accepts(w, current(w))).toBe(true);
    await w.runDay(day + 100);
    expect(names(w)).toEqual(['key']);
    expect(byName(w, 'key')?.id).not.toBe(mine.id);
    expect(accepts(w, current(w))).toBe(true);
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

  it('deletes the only credential: the next verification day tells owner and operator that the stored pair is dead', async () => {
    const w = await startWorld();
    await finishedRotation(w);
    await new ApicPerson(w.apic).deleteCredential(APP, 'key');
    const mailsBefore = (await w.ses.emails()).length;
    for (let day = 11; day <= 17; day += 1) expect((await w.runDay(day)).summary?.appsFailed, `day ${day}`).toBe(0);
    const told = (await w.ses.emails()).slice(mailsBefore);
    for (const recipient of [OWNER, OPERATOR]) {
      expect(told.filter((mail) => mail.to.includes(recipient)).map((mail) => mail.subject).join('\n'), recipient).toMatch(/action/i);
    }
    expect(names(w)).toEqual([]);
  });

  it('deletes it while the verification day repairs its reset secret: the repair stops, and the dead pair is announced', async () => {
    const w = await startWorld([{ name: 'key', ageDays: 90 }, { name: 'other', ageDays: 5 }]);
    await finishedRotation(w);
    const person = new ApicPerson(w.apic);
    await person.resetSecret(APP, 'key');
    const mailsBefore = (await w.ses.emails()).length;
    let deletion: Promise<void> | undefined;
    decoratePorts((ports) => ({
      ...ports,
      store: new Proxy(ports.store, {
        get: (target, property, receiver) =>
          property === 'stagePending'
            ? async (...args: Parameters<typeof target.stagePending>) => {
                deletion ??= person.deleteCredential(APP, 'key');
                await deletion;
                return target.stagePending(...args);
              }
            : Reflect.get(target, property, receiver),
      }),
    }));
    const day = verificationDayFrom(11);
    const run = await w.runDay(day);
    decoratePorts(undefined);
    expect(deletion).toBeDefined();
    // The repair found the credential gone before APIC took the staged secret: the app's failure is reported.
    expect(run.summary?.failures.map((failure) => [failure.app, failure.error])).toEqual([['pay', 'ApicNotFoundError']]);
    expect(names(w)).toEqual(['other']);
    expect(byName(w, 'other')?.id).toBe(w.initial[0]?.credentials.find((c) => c.name === 'other')?.id);
    for (let next = day + 1; next <= day + 7; next += 1) await w.runDay(next);
    const told = (await w.ses.emails()).slice(mailsBefore);
    for (const recipient of [OWNER, OPERATOR]) {
      expect(told.filter((mail) => mail.to.includes(recipient)).map((mail) => mail.subject).join('\n'), recipient).toMatch(/action/i);
    }
    expect(names(w)).toEqual(['other']);
    expect((await scanWorld(w)).hits).toEqual([]);
  });
});

describe('a person acting during the verification day’s repair', () => {
  it('renames the credential while the repair stages its new secret: the repair lands on the same credential, under its new name', async () => {
    const w = await startWorld();
    await finishedRotation(w);
    const finished = byName(w, 'key');
    const person = new ApicPerson(w.apic);
    await person.resetSecret(APP, 'key');
    let renaming: Promise<void> | undefined;
    decoratePorts((ports) => ({
      ...ports,
      store: new Proxy(ports.store, {
        get: (target, property, receiver) =>
          property === 'stagePending'
            ? async (...args: Parameters<typeof target.stagePending>) => {
                renaming ??= person.renameCredential(APP, 'key', 'key-main', 'Key main');
                await renaming;
                return target.stagePending(...args);
              }
            : Reflect.get(target, property, receiver),
      }),
    }));
    const day = verificationDayFrom(11);
    const run = await w.runDay(day);
    decoratePorts(undefined);
    expect(renaming).toBeDefined();
    expect(run.summary?.appsFailed).toBe(0);
    expect(names(w)).toEqual(['key-main']);
    expect(byName(w, 'key-main')).toMatchObject({ id: finished?.id, clientId: finished?.clientId });
    expect(accepts(w, current(w))).toBe(true);
    const next = await w.runDay(verificationDayFrom(day + 1));
    expect(next.summary?.actions).toEqual({});
    expect(names(w)).toEqual(['key-main']);
    expect(accepts(w, current(w))).toBe(true);
    expect((await scanWorld(w)).hits).toEqual([]);
  });
});

describe('Secrets Manager as a person leaves it', () => {
  it('the finished credential’s secret is scheduled for deletion: the verification day changes nothing in APIC and reports the app', async () => {
    const w = await startWorld();
    await finishedRotation(w);
    const finished = byName(w, 'key');
    w.secretsManager.invoke('DeleteSecret', { SecretId: SECRET_NAME, RecoveryWindowInDays: 7 });
    const day = verificationDayFrom(11);
    const run = await w.runDay(day);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.summary?.failures.map((failure) => [failure.app, failure.error, failure.cause])).toEqual([
      ['pay', 'SecretStoreError', expect.stringMatching(/GetSecretValue .*marked for deletion/)],
    ]);
    expect(names(w)).toEqual(['key']);
    expect(byName(w, 'key')).toMatchObject({ id: finished?.id, clientId: finished?.clientId });
    expect((await scanWorld(w)).hits).toEqual([]);
  });
});

describe('an earlier tool’s half-done pair on the verification day', () => {
  it('key and key_new both young, no secret, then a placeholder-only secret: a week of daily runs changes, creates and mails nothing', async () => {
    const w = await startWorld([{ name: 'key', ageDays: 5 }, { name: 'key_new', ageDays: 3 }]);
    const before = credentials(w);
    for (let day = 0; day < 7; day += 1) expect((await w.runDay(day)).summary?.appsFailed, `day ${day}`).toBe(0);
    expect(w.secretsManager.inspect.secretNames().filter((name) => name.startsWith('apic-rotator/'))).toEqual([]);
    w.secretsManager.seed([{ name: SECRET_NAME, value: JSON.stringify(placeholderValue({ ...APP, credential: 'key' })) }]);
    for (let day = 7; day < 14; day += 1) expect((await w.runDay(day)).summary?.appsFailed, `day ${day}`).toBe(0);
    expect(credentials(w)).toEqual(before);
    expect(w.secretsManager.inspect.versions(SECRET_NAME)).toHaveLength(1);
    expect(await w.ses.emails()).toEqual([]);
  });
});

describe('two executions at once on the verification day', () => {
  it('a person renamed the finished credential and reset its secret; schedule and console run together: one repair, one event, AWSCURRENT accepted', async () => {
    const w = await startWorld();
    await finishedRotation(w);
    const person = new ApicPerson(w.apic);
    await person.renameCredential(APP, 'key', 'key-main', 'Key main');
    await person.resetSecret(APP, 'key-main');
    w.eventBridge.clear();
    const day = verificationDayFrom(11);
    const [a, b] = await Promise.all([w.runDay(day), w.runDay(day)]);
    expect([a.status, b.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const repairs = [a, b].map((run) => run.summary?.actions?.['repair-replacement'] ?? 0);
    expect(repairs.sort()).toEqual([0, 1]);
    expect(names(w)).toEqual(['key-main']);
    expect(accepts(w, current(w))).toBe(true);
    expect(w.eventBridge.events().filter((event) => event.detailType === 'Replacement Ready')).toHaveLength(1);
    expect(w.secretsManager.inspect.versions(SECRET_NAME).filter((v) => v.stages.includes('AWSPENDING'))).toEqual([]);
    expect((await scanWorld(w)).hits).toEqual([]);
  });

  it('a console run started while the scheduled one sends its notices in FinishRun is skipped; every notice is mailed once', async () => {
    const w = await startWorld();
    let consoleRun: Promise<Awaited<ReturnType<RotationWorld['runDay']>>> | undefined;
    const scheduled = await w.runDay(0, {
      onStateEntered: (state) => {
        if (state === 'FinishRun') consoleRun ??= w.runDay(0);
      },
    });
    const second = await (consoleRun ?? Promise.reject(new Error('the scheduled run never reached FinishRun')));
    expect([scheduled.status, second.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(isSkipped(scheduled.summary)).toBe(false);
    expect(isSkipped(second.summary)).toBe(true);
    expect(scheduled.summary?.notices.sent).toBeGreaterThan(0);
    const mails = await w.ses.emails();
    expect(mails.flatMap((mail) => mail.to)).toEqual([OWNER]);
    expect(names(w)).toEqual(['key', 'key_new']);
    const day1 = await w.runDay(1);
    expect(isSkipped(day1.summary)).toBe(false);
    expect(await w.ses.emails()).toHaveLength(mails.length);
  });
});
