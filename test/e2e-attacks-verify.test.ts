/**
 * Attacks on the periodic verification of quiet apps and on the lease store's reading of a 403: executions race on
 * an S3 caller whose ListBucket grant is limited to some prefixes (a missing object answers 403 AccessDenied), and
 * quiet apps are assessed on their verification day.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RunSkipped } from '../functions/domain/lease';
import { startLocalEnvironment, type LocalEnvironment } from '../tools/runner/local-environment';
import { LOCAL_REPORT_BUCKET, type LocalRunResult } from '../tools/runner/workflow-runner';
import { acmeProdSeed } from './support/acme-seed';
import { apicMutations } from './support/restore-run';

const DAY0 = new Date('2025-03-01T03:00:00Z');
const DAY_MS = 24 * 60 * 60 * 1000;

let env: LocalEnvironment | undefined;

afterEach(async () => {
  await env?.close();
  env = undefined;
});

function rotate(stack: LocalEnvironment, name: string, day: number): Promise<LocalRunResult> {
  const now = new Date(DAY0.getTime() + day * DAY_MS);
  stack.apic.clock.set(now);
  return stack.run({ now, executionName: name });
}

const isSkipped = (result: LocalRunResult) => (result.summary as unknown as RunSkipped | undefined)?.status === 'skipped';

describe('lease store on a caller that may list leases/ and reports/ only', () => {
  it('two racing rotations of one catalog: one runs, the other is skipped, and the released lease is taken again the next day', async () => {
    const seed = acmeProdSeed({ bank: [{ name: 'pay', title: 'Pay', credentials: [{ name: 'key', title: 'Key', ageDays: 90 }] }] });
    env = await startLocalEnvironment({
      simulator: { seed, now: DAY0, randomSeed: 3 },
      randomSeed: 3,
      config: { operatorEmail: 'ops@provider.example.com' },
      s3: { listBucketPrefixes: ['leases/', 'reports/'] },
    });
    const stack = env;
    const [a, b] = await Promise.all([rotate(stack, 'race-a', 0), rotate(stack, 'race-b', 0)]);
    expect([a.status, b.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect([a, b].filter(isSkipped)).toHaveLength(1);
    const winner = isSkipped(a) ? b : a;
    expect(winner.summary?.actions['create-replacement']).toBe(1);
    expect(stack.apic.inspect.credentials('acme', 'prod', 'bank', 'pay').map((c) => c.name).sort()).toEqual(['key', 'key_new']);
    expect(stack.s3.objects(LOCAL_REPORT_BUCKET).filter((object) => object.key.startsWith('leases/'))).toEqual([]);

    const next = await rotate(stack, 'race-c', 1);
    expect(next.status).toBe('SUCCEEDED');
    expect(isSkipped(next)).toBe(false);
    expect(next.summary?.appsFailed).toBe(0);
  });
});

describe('verification day of quiet apps', () => {
  it('apps never rotated (no stored secret) are assessed on their day and nothing is changed, created or mailed', async () => {
    const apps = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((name) => ({ name, title: name, credentials: [{ name: 'key', title: 'Key', ageDays: 5 }] }));
    env = await startLocalEnvironment({
      simulator: { seed: acmeProdSeed({ bank: apps }), now: DAY0, randomSeed: 5 },
      randomSeed: 5,
      config: { operatorEmail: 'ops@provider.example.com' },
    });
    const stack = env;
    let assessed = 0;
    // Seven consecutive days: each app meets its verification day exactly once (verifyEveryDays 7).
    for (let day = 0; day < 7; day += 1) {
      const run = await rotate(stack, `quiet-${day}`, day);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.summary?.appsFailed, `day ${day}`).toBe(0);
      assessed += (run.summary as unknown as { appsNeedingAttention: number }).appsNeedingAttention;
    }
    expect(assessed).toBe(apps.length);
    expect(apicMutations(stack.apic.counters())).toEqual({});
    expect(stack.secretsManager.inspect.secretNames().filter((name) => name.startsWith('apic-rotator/'))).toEqual([]);
    expect(await stack.ses.emails()).toEqual([]);
  });
});
