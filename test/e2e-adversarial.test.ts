/**
 * A hostile world around the synthesized workflow: a person acting on APIC between and during runs, odd names,
 * faults on APIC and SES, repeated and dry runs, config changes between runs. Each case states what the world did
 * and checks the promises of docs/design.md ("Ownership", "Rotation lifecycle"): only what the rotator owns is
 * changed, no app is left without a working credential, AWSCURRENT holds a pair APIC accepts, no original goes
 * before its replacement-ready notice was delivered, and no secret leaks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimAppSeed } from '../tools/apic-simulator';
import { ApicPerson } from './support/apic-person';
import { acmeProdSeed } from './support/acme-seed';
import { invariantViolations, startRotationWorld, type RotationWorld } from './support/crash-plan';
import { scanWorld } from './support/faults-secrets';
import { PAY_APP as APP, PAY_OPERATOR as OPERATOR, PAY_OWNER as OWNER, accepts, byName, credentials, names, stagedPair, type Pair } from './support/pay-app';

const START = new Date('2025-03-01T03:00:00Z');
const CREDENTIALS_ROUTE = 'POST /apps/:porg/:catalog/:corg/:app/credentials';
const CREDENTIAL_ROUTE = '/apps/:porg/:catalog/:corg/:app/credentials/:cred';

let world: RotationWorld | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** bank/pay with the given credentials (default: one `key`, due on day 0; expiry 90, deletion 100: a 10-day grace). */
async function startWorld(
  config: Record<string, unknown> = {},
  options: { ownerEmail?: boolean; credentials?: SimAppSeed['credentials'] } = {},
): Promise<RotationWorld> {
  const credentials = options.credentials ?? [{ name: 'key', title: 'Key', ageDays: 90 }];
  const seed = acmeProdSeed({ bank: [{ name: 'pay', title: 'Pay', credentials }] });
  if (options.ownerEmail === false) for (const org of seed.catalogs[0]?.consumerOrgs ?? []) org.owner = {};
  world = await startRotationWorld({ seed, start: START, config: { operatorEmail: OPERATOR, ...config } });
  return world;
}

function current(w: RotationWorld, base = 'key'): Pair | undefined {
  return stagedPair(w, base, 'AWSCURRENT');
}

async function mailsTo(w: RotationWorld, recipient: string): Promise<string[]> {
  return (await w.ses.emails()).filter((mail) => mail.to.includes(recipient)).map((mail) => `${mail.subject}\n${mail.text ?? ''}`);
}

/** The promises every case must keep, whatever the world did. */
async function expectPromisesKept(w: RotationWorld): Promise<void> {
  expect(invariantViolations(w)).toEqual([]);
  expect((await scanWorld(w)).hits).toEqual([]);
}

describe('a hostile world', () => {
  it('a dry run in the grace changes nothing and sends nothing; the real run that follows completes the cycle', async () => {
    const w = await startWorld();
    await w.runDay(0);
    const before = credentials(w);
    const mailsBefore = (await w.ses.emails()).length;
    const pairBefore = current(w);

    const dry = await w.runDay(10, { input: { dryRun: true } });
    expect(dry.status).toBe('SUCCEEDED');
    expect(dry.summary?.dryRun).toBe(true);
    expect(credentials(w)).toEqual(before);
    expect(current(w)).toEqual(pairBefore);
    expect((await w.ses.emails()).length).toBe(mailsBefore);

    await w.runDay(10);
    expect(names(w)).toEqual(['key']);
    expect(byName(w, 'key')?.clientId).toBe(pairBefore?.clientId);
    expect(accepts(w, current(w))).toBe(true);
    await expectPromisesKept(w);
  });

  it('two runs on the same day create one replacement, send one replacement-ready notice, and delete once', async () => {
    const w = await startWorld();
    await w.runDay(0);
    const second = await w.runDay(0);
    expect(second.summary?.appsFailed).toBe(0);
    expect(names(w)).toEqual(['key', 'key_new']);
    const ready = (await mailsTo(w, OWNER)).filter((m) => /replacement ready/i.test(m));
    expect(ready).toHaveLength(1);

    await w.runDay(10);
    const again = await w.runDay(10);
    expect(again.summary?.actions['delete-original']).toBeUndefined();
    expect(names(w)).toEqual(['key']);
    expect(accepts(w, current(w))).toBe(true);
    expect(byName(w, 'key')?.clientId).toBe(current(w)?.clientId);
    await expectPromisesKept(w);
  });

  it('completes a cycle in flight after replacementSuffix changed from _new to -next between runs', async () => {
    const w = await startWorld();
    await w.runDay(0);
    const replacement = byName(w, 'key_new');
    const changed = { ...w.config, policy: { ...(w.config.policy as Record<string, unknown>), replacementSuffix: '-next' } };
    const day10 = await w.runDay(10, { config: changed });
    expect(day10.summary?.appsFailed).toBe(0);
    expect(names(w)).toEqual(['key']);
    expect(byName(w, 'key')?.id).toBe(replacement?.id);
    expect(accepts(w, current(w))).toBe(true);
    await expectPromisesKept(w);
  });

  it('repairs a replacement whose secret a person reset in the grace, and deletes the original only on an accepted secret', async () => {
    const w = await startWorld();
    await w.runDay(0);
    const person = new ApicPerson(w.apic);
    const staleSecret = current(w);
    const reset = await person.resetSecret(APP, 'key_new');
    expect(accepts(w, staleSecret)).toBe(false);

    await w.runDay(10);
    expect(accepts(w, current(w))).toBe(true);
    expect(current(w)?.clientId).toBe(staleSecret?.clientId);
    expect(accepts(w, { clientId: staleSecret?.clientId ?? '', clientSecret: reset })).toBe(false);
    await w.runDay(11);
    expect(names(w)).toEqual(['key']);
    expect(byName(w, 'key')?.clientId).toBe(current(w)?.clientId);
    expect(accepts(w, current(w))).toBe(true);
    await expectPromisesKept(w);
  });

  it('leaves alone a rotation a person finished by hand (deleted key, renamed key_new to key) and rotates it when due', async () => {
    const w = await startWorld();
    await w.runDay(0);
    const person = new ApicPerson(w.apic);
    const replacement = byName(w, 'key_new');
    await person.deleteCredential(APP, 'key');
    await person.renameCredential(APP, 'key_new', 'key', 'Key');

    const day10 = await w.runDay(10);
    expect(day10.summary?.appsFailed).toBe(0);
    expect(credentials(w).map((c) => [c.name, c.id])).toEqual([['key', replacement?.id]]);
    expect(accepts(w, current(w))).toBe(true);

    await w.runDay(90);
    expect(names(w)).toEqual(['key', 'key_new']);
    await w.runDay(100);
    expect(names(w)).toEqual(['key']);
    expect(byName(w, 'key')?.id).not.toBe(replacement?.id);
    expect(accepts(w, current(w))).toBe(true);
    await expectPromisesKept(w);
  });

  it('keeps a person’s older credential they renamed to the original’s name after deleting the original', async () => {
    const w = await startWorld({}, {
      credentials: [
        { name: 'key', title: 'Key', ageDays: 90 },
        { name: 'spare', title: 'Spare', ageDays: 30 },
      ],
    });
    await w.runDay(0);
    const spare = byName(w, 'spare');
    const person = new ApicPerson(w.apic);
    await person.deleteCredential(APP, 'key');
    await person.renameCredential(APP, 'spare', 'key', 'Key');

    const day10 = await w.runDay(10);
    expect(day10.summary?.actions['delete-original']).toBeUndefined();
    expect(names(w)).toEqual(['key', 'key_new']);
    expect(byName(w, 'key')?.id).toBe(spare?.id);
    expect(byName(w, 'key_new')?.clientId).toBe(current(w)?.clientId);
    expect(accepts(w, current(w))).toBe(true);
    expect((await mailsTo(w, OWNER)).join('\n')).toMatch(/action/i);
    expect((await mailsTo(w, OPERATOR)).join('\n')).toMatch(/action/i);
    await expectPromisesKept(w);
  });

  it('during the run a credential named like the original appears between delete and rename: nothing of it is touched', async () => {
    const w = await startWorld();
    await w.runDay(0);
    const replacement = byName(w, 'key_new');
    let intruded = false;
    await w.runDay(10, {
      onStateEntered: (state) => {
        if (state !== 'RenameReplacement' || intruded) return;
        intruded = true;
        // Synchronous, so it lands before the step's first call: a person created `key` in the UI just then.
        w.apic.seed(acmeProdSeed({ bank: [{ name: 'pay', credentials: [{ name: 'key', title: 'Mine', ageDays: 0 }] }] }));
      },
    });
    expect(intruded).toBe(true);
    const intruder = byName(w, 'key');
    expect(intruder?.title).toBe('Mine');
    expect(byName(w, 'key_new')?.id).toBe(replacement?.id);
    expect(current(w)?.clientId).toBe(replacement?.clientId);
    expect(accepts(w, current(w))).toBe(true);

    await w.runDay(11);
    expect(names(w)).toEqual(['key', 'key_new']);
    expect(byName(w, 'key')?.id).toBe(intruder?.id);
    expect(accepts(w, current(w))).toBe(true);
    expect((await mailsTo(w, OPERATOR)).join('\n')).toMatch(/action/i);
    // Not invariantViolations: it takes every credential missing from the seed for the rotator's own.
    expect((await scanWorld(w)).hits).toEqual([]);
  });

  it('rotates odd names independently: unicode, a trailing digit, and a foreign key_new2 beside key', async () => {
    const odd = ['clé 🔑', 'key2', 'key_new2', 'key'];
    const w = await startWorld({}, { credentials: odd.map((name) => ({ name, title: name.toUpperCase(), ageDays: 90 })) });
    const seeded = new Map(credentials(w).map((c) => [c.name, c.id]));
    await w.runDay(0);
    expect(names(w)).toEqual(['clé 🔑', 'clé 🔑_new', 'key', 'key2', 'key2_new', 'key_new', 'key_new2', 'key_new2_new'].sort());
    await w.runDay(10);
    expect(names(w)).toEqual([...odd].sort());
    for (const name of odd) {
      expect(byName(w, name)?.id).not.toBe(seeded.get(name));
      expect(byName(w, name)?.clientId).toBe(current(w, name)?.clientId);
      expect(accepts(w, current(w, name))).toBe(true);
    }
    await expectPromisesKept(w);
  });

  it('a credential whose name cannot be a secret name fails its app before anything changes', async () => {
    // 60 CJK characters: 540 characters once encoded, over Secrets Manager's 512. The app fails on every run (the
    // failed-apps alarm fires) and nothing of it is touched, its neighbour `key` included.
    const long = '鍵'.repeat(60);
    const w = await startWorld({}, {
      credentials: [
        { name: 'key', title: 'Key', ageDays: 90 },
        { name: long, title: 'Long', ageDays: 90 },
      ],
    });
    const before = credentials(w);
    const day0 = await w.runDay(0);
    const day10 = await w.runDay(10);
    for (const run of [day0, day10]) {
      expect(run.summary?.appsFailed).toBe(1);
      expect(run.summary?.failures.map((f) => f.error)).toEqual(['SecretNameError']);
    }
    expect(credentials(w)).toEqual(before);
    expect(current(w)).toBeUndefined();
    expect(w.secretsManager.inspect.secretNames().filter((n) => n.startsWith('apic-rotator/acme/'))).toEqual([]);
    await expectPromisesKept(w);
  });

  it('survives lost answers after APIC committed the create, the delete and the rename', async () => {
    const w = await startWorld();
    w.apic.faults.dropNext({ method: 'POST', route: CREDENTIALS_ROUTE }, { afterCommit: true });
    await w.runDay(0);
    expect(names(w)).toEqual(['key', 'key_new']);
    expect(accepts(w, current(w))).toBe(true);
    expect(byName(w, 'key_new')?.clientId).toBe(current(w)?.clientId);

    w.apic.faults.dropNext({ method: 'DELETE', route: `DELETE ${CREDENTIAL_ROUTE}` }, { afterCommit: true });
    w.apic.faults.dropNext({ method: 'PATCH', route: `PATCH ${CREDENTIAL_ROUTE}` }, { afterCommit: true });
    w.apic.faults.throttleNext({ method: 'POST' }, { count: 2, retryAfterSeconds: 1 });
    await w.runDay(10);
    await w.runDay(11);
    expect(names(w)).toEqual(['key']);
    expect(byName(w, 'key')?.clientId).toBe(current(w)?.clientId);
    expect(accepts(w, current(w))).toBe(true);
    await expectPromisesKept(w);
  });

  it('while SES refuses mail the original is kept, until readsSecretsManager is switched on; switching it off again is harmless', async () => {
    const w = await startWorld({}, { ownerEmail: true });
    w.ses.failNext(10_000);
    await w.runDay(0);
    const held = await w.runDay(10);
    expect(held.summary?.deletionsHeld).toBe(1);
    expect(names(w)).toEqual(['key', 'key_new']);

    const reads = { ...w.config, consumerOrgOverrides: { bank: { readsSecretsManager: true } } };
    const day11 = await w.runDay(11, { config: reads });
    expect(day11.summary?.appsFailed).toBe(0);
    expect(names(w)).toEqual(['key']);
    expect(accepts(w, current(w))).toBe(true);

    const day12 = await w.runDay(12);
    expect(day12.summary?.appsFailed).toBe(0);
    expect(names(w)).toEqual(['key']);
    expect(accepts(w, current(w))).toBe(true);
    await expectPromisesKept(w);
  });

  it('a notice delivered to the operator before operatorEmail was removed still lets the deletion go on', async () => {
    const w = await startWorld({}, { ownerEmail: false });
    await w.runDay(0);
    expect((await mailsTo(w, OPERATOR)).join('\n')).toMatch(/key/);
    const withoutOperator = { ...w.config };
    delete withoutOperator.operatorEmail;
    const day10 = await w.runDay(10, { config: withoutOperator });
    expect(day10.summary?.deletionsHeld ?? 0).toBe(0);
    expect(names(w)).toEqual(['key']);
    expect(accepts(w, current(w))).toBe(true);
    await expectPromisesKept(w);
  });

  it('re-creates a replacement a person deleted in the grace, with the pair consumers were told about', async () => {
    const w = await startWorld();
    await w.runDay(0);
    const told = current(w);
    await new ApicPerson(w.apic).deleteCredential(APP, 'key_new');
    expect(accepts(w, told)).toBe(false);

    await w.runDay(5);
    expect(names(w)).toEqual(['key', 'key_new']);
    expect(current(w)).toEqual(told);
    expect(accepts(w, told)).toBe(true);
    // The grace restarts with the new replacement: the original stays until day 15.
    await w.runDay(10);
    expect(names(w)).toEqual(['key', 'key_new']);
    await w.runDay(15);
    expect(names(w)).toEqual(['key']);
    expect(accepts(w, current(w))).toBe(true);
    await expectPromisesKept(w);
  });

  it('AWSCURRENT does not keep a pair APIC rejects after a person deleted the replacement and renamed the original away', async () => {
    // Day 0 rotates `key`: key_new is created and its pair is AWSCURRENT of the secret of `key`, announced to the owner.
    // In the grace a person deletes key_new in the UI and renames the original `key` to `key-legacy`.
    const w = await startWorld();
    await w.runDay(0);
    const person = new ApicPerson(w.apic);
    await person.deleteCredential(APP, 'key_new');
    await person.renameCredential(APP, 'key', 'key-legacy', 'Key legacy');

    const announced = current(w, 'key');
    await w.runDay(10);
    // The secret of `key` still hands out the pair consumers were told about: the replacement is made again with it,
    // beside `key-legacy`, which is now rotated as a credential of its own.
    expect(names(w)).toEqual(['key-legacy', 'key-legacy_new', 'key_new']);
    expect(current(w, 'key')).toEqual(announced);
    expect(accepts(w, current(w, 'key'))).toBe(true);
    await w.runDay(11);
    expect(names(w)).toEqual(['key', 'key-legacy', 'key-legacy_new']);
    expect(accepts(w, current(w, 'key'))).toBe(true);
    expect(accepts(w, current(w, 'key-legacy'))).toBe(true);
  });
});
