/**
 * Readable logs: one INFO line per action and per notice, a dry run's summary naming what it would do to which
 * credential, and undeliverable notices naming their consumer org and why. Runs the local workflow end to end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatorSeed } from '../tools/apic-simulator';
import { startRotationWorld, type RotationWorld } from './support/crash-plan';
import { acmeProdSeed } from './support/acme-seed';

const START = new Date('2025-03-01T03:00:00Z');

/** `bank` has an owner e-mail; `orphans` has none (and the config no operatorEmail). */
function catalog(): SimulatorSeed {
  const seed = acmeProdSeed({
    bank: [{ name: 'mobile', credentials: [{ name: 'key-a', ageDays: 95 }, { name: 'key-b', ageDays: 10 }] }],
    orphans: [{ name: 'legacy', credentials: [{ name: 'old', ageDays: 80 }] }],
  });
  const orphans = seed.catalogs[0]?.consumerOrgs.find((org) => org.name === 'orphans');
  if (orphans) delete orphans.owner;
  return seed;
}

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

let world: RotationWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function runDay(dryRun: boolean): Promise<{ lines: LogLine[]; summary: Record<string, unknown> }> {
  world = await startRotationWorld({ seed: catalog(), start: START });
  const lines: LogLine[] = [];
  const result = await world.runDay(0, {
    input: { dryRun },
    onLogLine: (line) => {
      try {
        const parsed = JSON.parse(line) as Partial<LogLine>;
        if (typeof parsed.message === 'string' && typeof parsed.level === 'string') lines.push(parsed as LogLine);
      } catch {
        // not a JSON log line
      }
    },
  });
  expect(result.status, result.error).toBe('SUCCEEDED');
  return { lines, summary: result.summary as unknown as Record<string, unknown> };
}

describe('readable logs', () => {
  it('logs one INFO line per action with app, credential, action and public client id, and one per notice', async () => {
    const { lines, summary } = await runDay(false);
    const created = lines.filter((line) => line.level === 'INFO' && line.message === 'created: create-replacement');
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      providerOrg: 'acme',
      catalog: 'prod',
      consumerOrg: 'bank',
      app: 'mobile',
      credentialBase: 'key-a',
      credential: 'key-a_new',
      action: 'create-replacement',
      outcome: 'created',
    });
    expect(created[0]?.clientId).toMatch(/\S/);
    const queued = lines.filter((line) => line.level === 'INFO' && line.action === 'queue-notice');
    expect(queued.map((line) => `${String(line.consumerOrg)}/${String(line.credential)}: ${line.message}`).sort()).toEqual([
      'bank/key-a: queued replacement-ready: queue-notice',
      'orphans/old: queued warn: queue-notice',
    ]);

    const sent = lines.filter((line) => line.level === 'INFO' && line.message.startsWith('notice sent: '));
    expect(sent).toEqual([
      expect.objectContaining({ message: 'notice sent: replacement-ready', audience: 'owner', consumerOrg: 'bank', app: 'mobile', credential: 'key-a', kind: 'replacement-ready' }),
    ]);
    const undeliverable = lines.filter((line) => line.level === 'INFO' && line.message.startsWith('notice undeliverable: '));
    expect(undeliverable).toEqual([
      expect.objectContaining({ consumerOrg: 'orphans', app: 'legacy', credential: 'old', kind: 'warn', reason: 'no owner e-mail and no operatorEmail' }),
    ]);
    expect(summary.notices).toEqual({
      sent: 1,
      failed: 0,
      undeliverable: 1,
      undeliverableNotices: [{ consumerOrg: 'orphans', app: 'legacy', credential: 'old', kind: 'warn', reason: 'no owner e-mail and no operatorEmail' }],
      undeliverableNotListed: 0,
    });
    expect(summary.planned).toBeUndefined();
  }, 120_000);

  it('lists a dry run\'s planned actions per credential in its summary and logs no action', async () => {
    const { lines, summary } = await runDay(true);
    expect(summary.planned).toEqual([
      { consumerOrg: 'bank', app: 'mobile', credential: 'key-a', action: 'create-replacement+queue-notice:replacement-ready' },
      // The report shows the state the plan would produce, so the replacement it would create has a row of its own.
      { consumerOrg: 'bank', app: 'mobile', credential: 'key-a_new', action: 'create-replacement' },
      { consumerOrg: 'orphans', app: 'legacy', credential: 'old', action: 'queue-notice:warn' },
    ]);
    expect(summary.plannedNotListed).toBe(0);
    expect(lines.filter((line) => typeof line.action === 'string')).toEqual([]);
  }, 120_000);
});
