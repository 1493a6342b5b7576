/**
 * Adoption of the seed script's pairs: `npm run adopt` run as an operator runs it (a separate process, the real SDK
 * against Secrets Manager on loopback, the simulator as APIC), then the rotation continuing those pairs.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretNameFor } from '../functions/domain/secrets';
import { ApicPerson, type IssuedCredential } from './support/apic-person';
import { acmeProdSeed } from './support/acme-seed';
import { startRotationWorld, type RotationWorld } from './support/crash-plan';

const run = promisify(execFile);
const START = new Date('2025-03-01T03:00:00Z');
const BANK = { providerOrg: 'acme', catalog: 'prod', consumerOrg: 'bank', app: 'pay' };
const SHOP = { providerOrg: 'acme', catalog: 'prod', consumerOrg: 'shop', app: 'pay' };

function seed() {
  const pay = [{ name: 'pay', title: 'Pay', credentials: [{ name: 'key', title: 'Key', ageDays: 95 }] }];
  return acmeProdSeed({ bank: pay, shop: pay });
}

interface AdoptRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly report: { dryRun: boolean; counts: Record<string, number>; results: Array<{ source: string; outcome: string; clientId: string }> };
}

async function adopt(world: RotationWorld, dir: string, ...flags: string[]): Promise<AdoptRun> {
  const configPath = join(dir, '..', `config-${flags.join('')}.json`);
  const reportPath = join(dir, '..', `report-${flags.join('')}.json`);
  await writeFile(configPath, JSON.stringify(world.config));
  const env = {
    ...process.env,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: world.secretsManager.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  };
  const args = ['tsx', 'tools/cli/adopt.ts', '--config', configPath, '--from', dir, '--report', reportPath, ...flags];
  try {
    const { stdout, stderr } = await run('npx', args, { env });
    return { code: 0, stdout, stderr, report: JSON.parse(await readFile(reportPath, 'utf8')) as AdoptRun['report'] };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr, report: JSON.parse(await readFile(reportPath, 'utf8')) as AdoptRun['report'] };
  }
}

function currentValue(world: RotationWorld, app: typeof BANK, credential: string): { client_id: string; client_secret: string; cycle_id: string } | undefined {
  const name = secretNameFor('apic-rotator', { ...app, credential });
  if (!world.secretsManager.inspect.secretNames().includes(name)) return undefined;
  const current = world.secretsManager.inspect.versions(name).find((version) => version.stages.includes('AWSCURRENT'));
  return current?.value === undefined ? undefined : (JSON.parse(current.value) as { client_id: string; client_secret: string; cycle_id: string });
}

describe('npm run adopt: the seed script left key_new in two consumer orgs, under the same file name', () => {
  let world: RotationWorld;
  let dir: string;
  let bankNew: IssuedCredential;
  let shopNew: IssuedCredential;
  let dryRun: AdoptRun;
  let storedAfterDryRun: string[];
  let executed: AdoptRun;

  beforeAll(async () => {
    world = await startRotationWorld({ seed: seed(), start: START });
    const person = new ApicPerson(world.apic);
    // What the seed script does on its day: POST <name>_new and write APIC's answer to <app>_<credential>.json.
    bankNew = await person.createCredential(BANK, 'key_new', 'Key_new');
    shopNew = await person.createCredential(SHOP, 'key_new', 'Key_new');
    dir = join(await mkdtemp(join(tmpdir(), 'adopt-')), 'seed-output');
    await run('mkdir', ['-p', dir]);
    await writeFile(join(dir, 'pay_key.json'), JSON.stringify(bankNew.answer, null, 4));
    // The second run of the script overwrote the first file; the operator kept both runs' folders side by side.
    await writeFile(join(dir, 'pay_key (shop run).json'), JSON.stringify(shopNew.answer, null, 4));
    await writeFile(join(dir, 'pay_key (tampered).json'), JSON.stringify({ ...bankNew.answer, client_secret: 'not-the-secret' }));
    await writeFile(join(dir, 'other_key.json'), JSON.stringify({ ...bankNew.answer, client_id: 'f'.repeat(32) }));
    await writeFile(join(dir, 'notes.json'), JSON.stringify({ hello: 'world' }));
    dryRun = await adopt(world, dir);
    storedAfterDryRun = world.secretsManager.inspect.secretNames();
    executed = await adopt(world, dir, '--execute');
  }, 120_000);

  afterAll(async () => {
    await world?.close();
  });

  it('changes nothing in a dry run and says what it would do', () => {
    expect(dryRun.report.dryRun).toBe(true);
    expect(dryRun.report.counts).toEqual({ 'would-adopt': 2, rejected: 1, 'not-found': 1, 'invalid-file': 1 });
    expect(storedAfterDryRun).toEqual(['apic-rotator-admin']);
  });

  it('matches files by client id, stores each verified pair as the current secret of its credential, and reports the rest', () => {
    const outcomes = Object.fromEntries(executed.report.results.map((result) => [result.source, result.outcome]));
    expect(outcomes).toEqual({
      'notes.json': 'invalid-file',
      'other_key.json': 'not-found',
      'pay_key (shop run).json': 'adopted',
      'pay_key (tampered).json': 'rejected',
      'pay_key.json': 'adopted',
    });
    expect(executed.code).toBe(1);
    expect(currentValue(world, BANK, 'key')).toMatchObject({ client_id: bankNew.clientId, client_secret: bankNew.clientSecret });
    expect(currentValue(world, SHOP, 'key')).toMatchObject({ client_id: shopNew.clientId, client_secret: shopNew.clientSecret });
    // Continued as the replacement of the original it sits beside: the cycle is the original's APIC id.
    const bankOriginal = world.initial.find((app) => app.consumerOrg === 'bank')?.credentials[0];
    expect(currentValue(world, BANK, 'key')?.cycle_id).toBe(bankOriginal?.id);
  });

  it('prints no secret, adopted or refused', () => {
    for (const output of [dryRun.stdout, dryRun.stderr, executed.stdout, executed.stderr]) {
      expect(output).not.toContain(bankNew.clientSecret);
      expect(output).not.toContain(shopNew.clientSecret);
      expect(output).not.toContain('not-the-secret');
    }
  });

  it('is idempotent: a second run finds every pair already adopted', async () => {
    const again = await adopt(world, dir, '--execute', '--kms-key-id=');
    expect(again.report.counts).toEqual({ 'already-adopted': 2, rejected: 1, 'not-found': 1, 'invalid-file': 1 });
  });

  it('continues the rotation with the adopted pairs: the original goes after the grace, key_new becomes key', async () => {
    const day0 = await world.runDay(0);
    expect(day0.summary?.appsFailed).toBe(0);
    const day11 = await world.runDay(11);
    expect(day11.summary?.appsFailed).toBe(0);
    for (const [app, adopted] of [[BANK, bankNew], [SHOP, shopNew]] as const) {
      const credentials = world.apic.inspect.credentials(app.providerOrg, app.catalog, app.consumerOrg, app.app);
      expect(credentials.map((c) => [c.name, c.clientId])).toEqual([['key', adopted.clientId]]);
      expect(world.apic.inspect.accepts(app.providerOrg, app.catalog, app.consumerOrg, app.app, adopted.clientId, adopted.clientSecret)).toBe(true);
    }
  });
});

describe('without adoption, the seed script’s key_new is foreign', () => {
  let world: RotationWorld;
  let foreign: IssuedCredential;

  beforeAll(async () => {
    world = await startRotationWorld({ seed: seed(), start: START });
    foreign = await new ApicPerson(world.apic).createCredential(BANK, 'key_new', 'Key_new');
  }, 60_000);

  afterAll(async () => {
    await world?.close();
  });

  it('rotates the due original through the next free name and leaves key_new as the person made it', async () => {
    await world.runDay(0);
    await world.runDay(11);
    const credentials = world.apic.inspect.credentials(BANK.providerOrg, BANK.catalog, BANK.consumerOrg, BANK.app);
    const stored = currentValue(world, BANK, 'key');
    expect(credentials.map((c) => c.name).sort()).toEqual(['key', 'key_new']);
    expect(credentials.find((c) => c.name === 'key')?.clientId).toBe(stored?.client_id);
    expect(credentials.find((c) => c.name === 'key_new')?.clientId).toBe(foreign.clientId);
    expect(world.apic.inspect.accepts(BANK.providerOrg, BANK.catalog, BANK.consumerOrg, BANK.app, foreign.clientId, foreign.clientSecret)).toBe(true);
  });
});
