/**
 * The run lease end to end: executions of the local runner truly interleaved on one local environment (one
 * simulator, one set of emulators, one report bucket), as two schedules or a schedule and an operator would start them.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { ApicUnavailableError } from '../functions/domain/apic/errors';
import type { RunSkipped } from '../functions/domain/lease';
import type { RestoreSummary } from '../functions/domain/restore';
import { decoratePorts } from '../functions/runtime/ports';
import { localSdkConfig, startLocalEnvironment, type LocalEnvironment } from '../tools/runner/local-environment';
import { LOCAL_REPORT_BUCKET, type LocalRunResult } from '../tools/runner/workflow-runner';
import { acmeProdSeed } from './support/acme-seed';

const DAY0 = new Date('2025-03-01T03:00:00Z');
const DAY_MS = 24 * 60 * 60 * 1000;
const LEASE_KEY = 'leases/acme/prod.json';
const ARN_OF = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:local:${name}`;
const SKIPPED_STATES = ['PrepareRun', 'LeaseHeld?', 'RunSkipped'];

let env: LocalEnvironment | undefined;

afterEach(async () => {
  decoratePorts(undefined);
  await env?.close();
  env = undefined;
});

/** bank/pay is due (a replacement is created on day 0), bank/shop is warned, bank/cash needs nothing. */
async function start(): Promise<LocalEnvironment> {
  const seed = acmeProdSeed({
    bank: [
      { name: 'pay', title: 'Pay', credentials: [{ name: 'key', title: 'Key', ageDays: 90 }] },
      { name: 'shop', title: 'Shop', credentials: [{ name: 'key', title: 'Key', ageDays: 80 }] },
      { name: 'cash', title: 'Cash', credentials: [{ name: 'key', title: 'Key', ageDays: 10 }] },
    ],
  });
  env = await startLocalEnvironment({ simulator: { seed, now: DAY0, randomSeed: 7 }, randomSeed: 7, config: { operatorEmail: 'ops@provider.example.com' } });
  return env;
}

function leaseObjects(stack: LocalEnvironment) {
  return stack.s3.objects(LOCAL_REPORT_BUCKET).filter((object) => object.key.startsWith('leases/'));
}

/** Runs the rotation on `day`, recording the states it enters under its name. */
function rotate(
  stack: LocalEnvironment,
  name: string,
  day: number,
  trace: string[],
  input: Record<string, unknown> = {},
  onState?: (state: string) => void,
): Promise<LocalRunResult> {
  const now = new Date(DAY0.getTime() + day * DAY_MS);
  stack.apic.clock.set(now);
  return stack.run({
    now,
    executionName: name,
    input,
    onStateEntered: (state) => {
      trace.push(`${name} ${state}`);
      onState?.(state);
    },
  });
}

function restore(stack: LocalEnvironment, name: string, trace: string[]): Promise<LocalRunResult<RestoreSummary>> {
  return stack.runRestore({
    input: { dryRun: false },
    executionName: name,
    onStateEntered: (state) => trace.push(`${name} ${state}`),
  });
}

const statesOf = (trace: readonly string[], name: string) => trace.filter((entry) => entry.startsWith(`${name} `)).map((entry) => entry.slice(name.length + 1));
const skippedOf = (result: LocalRunResult<unknown>) => result.summary as unknown as RunSkipped | undefined;

/** Every AWSCURRENT pair is one APIC accepts for a credential of its app. */
function unverifiedCurrents(stack: LocalEnvironment): string[] {
  const problems: string[] = [];
  for (const name of stack.secretsManager.inspect.secretNames().filter((secret) => secret.startsWith('apic-rotator/acme/'))) {
    const current = stack.secretsManager.inspect.versions(name).find((version) => version.stages.includes('AWSCURRENT'));
    if (!current?.value) continue;
    const value = JSON.parse(current.value) as { client_id?: string; client_secret?: string; consumer_org: string; app: string };
    // A ledger-only secret (a warned credential) holds a placeholder without a pair.
    if (value.client_id === undefined || value.client_secret === undefined) continue;
    if (!stack.apic.inspect.accepts('acme', 'prod', value.consumer_org, value.app, value.client_id, value.client_secret)) problems.push(name);
  }
  return problems;
}

function appsWithoutCredentials(stack: LocalEnvironment): string[] {
  return ['pay', 'shop', 'cash'].filter((app) => stack.apic.inspect.credentials('acme', 'prod', 'bank', app).length === 0);
}

function pendingNotices(stack: LocalEnvironment): string[] {
  return stack.secretsManager.inspect.secretNames().filter((name) => stack.secretsManager.inspect.tags(name)['rotator:notice-pending'] === 'yes');
}

async function duplicateDigests(stack: LocalEnvironment): Promise<number> {
  const seen = new Map<string, number>();
  for (const mail of await stack.ses.emails()) {
    const key = `${[...mail.to].sort().join(',')}\n${mail.subject}\n${mail.text ?? ''}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen.values()].reduce((extra, count) => extra + count - 1, 0);
}

describe('run lease', () => {
  it('lets one of two interleaved non-dry rotations of one catalog run; the other ends skipped without changing anything', async () => {
    const stack = await start();
    const trace: string[] = [];
    const [a, b] = await Promise.all([rotate(stack, 'lease-a', 0, trace), rotate(stack, 'lease-b', 0, trace)]);
    expect([a.status, b.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const skipped = [a, b].filter((result) => skippedOf(result)?.status === 'skipped');
    expect(skipped).toHaveLength(1);
    const [winnerName, loserName] = skipped[0] === b ? ['lease-a', 'lease-b'] : ['lease-b', 'lease-a'];
    const loser = skippedOf(skipped[0] as LocalRunResult);
    expect(loser).toMatchObject({ runId: loserName, workflow: 'rotation', heldBy: ARN_OF(winnerName), key: LEASE_KEY });
    expect(loser?.message).toBe(`skipped: held by execution ${ARN_OF(winnerName)} since ${loser?.since}`);
    // Truly interleaved: both took their first step before either ended.
    expect(trace.indexOf(`${loserName} PrepareRun`)).toBeLessThan(trace.indexOf(`${winnerName} RunDone`));
    expect(trace.indexOf(`${winnerName} PrepareRun`)).toBeLessThan(trace.indexOf(`${loserName} RunSkipped`));
    // The skipped run ran no step past PrepareRun: it changed nothing.
    expect(statesOf(trace, loserName)).toEqual(SKIPPED_STATES);
    const winner = (skipped[0] === b ? a : b).summary;
    expect(winner?.actions['create-replacement']).toBe(1);

    expect(appsWithoutCredentials(stack)).toEqual([]);
    expect(unverifiedCurrents(stack)).toEqual([]);
    expect(pendingNotices(stack)).toEqual([]);
    const owner = (await stack.ses.emails()).filter((mail) => mail.to.includes('owner@bank.example.com'));
    expect(owner.length).toBeGreaterThan(0);
    expect(await duplicateDigests(stack)).toBeLessThanOrEqual(1);
    expect(leaseObjects(stack)).toEqual([]);
  });

  it('ends a restore started while a rotation of the same catalog runs as skipped; once the rotation is done it runs', async () => {
    const stack = await start();
    const trace: string[] = [];
    expect((await rotate(stack, 'day-0', 0, trace)).status).toBe('SUCCEEDED');
    // The restore starts inside the rotation's first ScanPage (the rotation holds the lease) and runs to its end
    // while that page waits; then the rotation goes on.
    let restoring: Promise<LocalRunResult<RestoreSummary>> | undefined;
    decoratePorts((ports) => ({
      ...ports,
      apic: new Proxy(ports.apic, {
        get: (target, property, receiver) =>
          property === 'listAppsPage'
            ? async (...args: Parameters<typeof target.listAppsPage>) => {
                if (args[2] !== 1 && !restoring) {
                  restoring = restore(stack, 'restore-1', trace);
                  await restoring;
                }
                return target.listAppsPage(...args);
              }
            : Reflect.get(target, property, receiver),
      }),
    }));
    const rotation = await rotate(stack, 'rotation-1', 1, trace);
    decoratePorts(undefined);
    const restored = await (restoring ?? Promise.reject(new Error('the rotation never reached ScanPage')));
    expect([rotation.status, restored.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    // (The trace is filled from each run's event stream, so its order across runs is not real time: the restore
    // finding the lease held is what shows it ran while the rotation held it.)
    expect(skippedOf(rotation)?.status).not.toBe('skipped');
    expect(skippedOf(restored)).toMatchObject({ status: 'skipped', workflow: 'restore', heldBy: ARN_OF('rotation-1') });
    expect(statesOf(trace, 'restore-1')).toEqual(['PrepareRestore', 'RestoreLeaseHeld?', 'RestoreSkipped']);
    // Once the rotation is done, the restore runs.
    const after = await restore(stack, 'restore-2', trace);
    expect(skippedOf(after)?.status).not.toBe('skipped');
    expect(after.summary?.dryRun).toBe(false);
    expect(unverifiedCurrents(stack)).toEqual([]);
    expect(appsWithoutCredentials(stack)).toEqual([]);
    expect(leaseObjects(stack)).toEqual([]);
  });

  it('releases the lease of a run that fails in a run-level step, so the next run is not skipped', async () => {
    const stack = await start();
    const trace: string[] = [];
    // PrepareRun fails before it takes the lease (the listing it reads is broken): nothing to release.
    decoratePorts((ports) => ({
      ...ports,
      apic: new Proxy(ports.apic, {
        get: (target, property, receiver) =>
          property === 'listAppsPage' ? () => Promise.reject(new Error('listing broke')) : Reflect.get(target, property, receiver),
      }),
    }));
    const failedPrepare = await rotate(stack, 'fails-in-prepare', 0, trace);
    // FinishRun fails: the notice ledger cannot be listed. The report of what was done is written before the lease
    // is released.
    decoratePorts((ports) => ({
      ...ports,
      ledger: { ...ports.ledger, pendingNoticePage: () => Promise.reject(new Error('ledger broke')) },
    }));
    const failedFinish = await rotate(stack, 'fails-in-finish', 0, trace);
    decoratePorts(undefined);

    expect(failedPrepare.status).toBe('FAILED');
    expect(statesOf(trace, 'fails-in-prepare')).toEqual(['PrepareRun', 'RunFailed']);
    expect(failedFinish.status).toBe('FAILED');
    expect(statesOf(trace, 'fails-in-finish').slice(-5)).toEqual(['FinishRun', 'BuildReport', 'ReleaseLease', 'RunFailed?', 'RunFailed']);
    expect(failedFinish.error).toMatch(/ledger broke/);
    expect(stack.s3.objects(LOCAL_REPORT_BUCKET).some((object) => object.key.includes('fails-in-finish') && object.key.endsWith('.csv'))).toBe(true);
    expect(leaseObjects(stack)).toEqual([]);
    const next = await rotate(stack, 'next', 0, trace);
    expect(next.status).toBe('SUCCEEDED');
    expect(statesOf(trace, 'next').slice(-1)).toEqual(['RunDone']);
    expect(next.summary?.credentialsScanned).toBe(4);
    expect(leaseObjects(stack)).toEqual([]);
  });

  it('keeps the other segments of a run whose one segment fails for good: rotated, summarised, counted for the alarm', async () => {
    const due = (name: string) => ({ name, title: name, credentials: [{ name: 'key', title: 'Key', ageDays: 90 }] });
    const seed = {
      catalogs: ['prod', 'test', 'dev'].map((catalog) => ({
        providerOrg: 'acme',
        catalog,
        consumerOrgs: [{ name: 'bank', owner: { email: 'owner@bank.example.com' }, apps: [due(`pay-${catalog}`)] }],
      })),
    };
    env = await startLocalEnvironment({ simulator: { seed, now: DAY0, randomSeed: 7 }, randomSeed: 7 });
    const stack = env;
    // Every page of acme/test's listing fails (after the client's and Step Functions' retries); PrepareRun's one-app
    // read of it still works, so the run has three segments, one per catalog.
    let failedScans = 0;
    decoratePorts((ports) => ({
      ...ports,
      apic: new Proxy(ports.apic, {
        get: (target, property, receiver) =>
          property === 'listAppsPage'
            ? (...args: Parameters<typeof target.listAppsPage>) => {
                if (args[0].catalog !== 'test' || args[2] === 1) return target.listAppsPage(...args);
                failedScans += 1;
                return Promise.reject(new ApicUnavailableError('server error after 5 attempt(s)', { method: 'GET', path: '/catalogs/acme/test/apps', status: 503 }));
              }
            : Reflect.get(target, property, receiver),
      }),
    }));
    const metricLines: Array<Record<string, unknown>> = [];
    const trace: string[] = [];
    const now = DAY0;
    const result = await stack.run({
      now,
      executionName: 'one-segment-fails',
      onStateEntered: (state) => trace.push(state),
      onLogLine: (line) => {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if ('_aws' in parsed) metricLines.push(parsed);
      },
    });
    decoratePorts(undefined);

    expect(result.status, result.error).toBe('SUCCEEDED');
    // ScanPage was tried once and retried by Step Functions to its limit, then the segment ended failed.
    expect(failedScans).toBe(5);
    expect(trace.filter((state) => state === 'SegmentFailed')).toHaveLength(1);
    const rotated = ['prod', 'test', 'dev'].filter((catalog) =>
      stack.apic.inspect.credentials('acme', catalog, 'bank', `pay-${catalog}`).some((credential) => credential.name === 'key_new'),
    );
    expect(rotated).toEqual(['prod', 'dev']);
    expect(result.summary).toMatchObject({
      appsScanned: 2,
      actions: { 'create-replacement': 2 },
      segmentsFailed: 1,
      failedSegments: [{ providerOrg: 'acme', catalog: 'test', stoppedAt: 0, error: 'ApicUnavailableError' }],
    });
    expect(metricLines.find((line) => 'SegmentsFailed' in line)?.SegmentsFailed).toBe(1);
    expect(leaseObjects(stack)).toEqual([]);
  });

  it('releases the lease of a restore whose segment fails, so the next restore is not skipped', async () => {
    const stack = await start();
    const trace: string[] = [];
    // ListSecretsPage fails inside the segment's child execution: RunSegment fails.
    decoratePorts((ports) => ({ ...ports, secretListing: { listSecretNames: () => Promise.reject(new Error('listing broke')) } }));
    const failed = await restore(stack, 'restore-fails', trace);
    decoratePorts(undefined);
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatch(/listing broke/);
    expect(statesOf(trace, 'restore-fails')).toContain('RunSegment');
    expect(statesOf(trace, 'restore-fails').slice(-3)).toEqual(['ReleaseRestoreLease', 'RestoreFailed?', 'RestoreFailed']);
    expect(leaseObjects(stack)).toEqual([]);
    const next = await restore(stack, 'restore-next', trace);
    expect(next.status).toBe('SUCCEEDED');
    expect(statesOf(trace, 'restore-next').slice(-1)).toEqual(['RestoreDone']);
    expect(leaseObjects(stack)).toEqual([]);
  });

  it('takes over an expired lease its holder left behind, leaves a live one alone, and needs none for a dry run', async () => {
    const stack = await start();
    const trace: string[] = [];
    const s3 = new S3Client({ ...localSdkConfig(stack.s3.endpoint), forcePathStyle: true });
    const put = (holder: string, expiresInMs: number) =>
      s3.send(
        new PutObjectCommand({
          Bucket: LOCAL_REPORT_BUCKET,
          Key: LEASE_KEY,
          Body: JSON.stringify({
            holder,
            holderArn: ARN_OF(holder),
            workflow: 'rotation',
            acquiredAt: new Date(Date.now() - 2 * 60 * 60 * 1000).toISOString(),
            expiresAt: new Date(Date.now() + expiresInMs).toISOString(),
          }),
        }),
      );
    try {
      await put('crashed-run', -60_000);
      const takenOver = await rotate(stack, 'after-crash', 0, trace);
      expect(takenOver.status).toBe('SUCCEEDED');
      expect(takenOver.summary?.actions['create-replacement']).toBe(1);
      expect(leaseObjects(stack)).toEqual([]);

      await put('live-run', 60 * 60 * 1000);
      const skipped = await rotate(stack, 'while-held', 1, trace);
      expect(skippedOf(skipped)).toMatchObject({ status: 'skipped', heldBy: ARN_OF('live-run') });
      expect(statesOf(trace, 'while-held')).toEqual(SKIPPED_STATES);
      const dry = await rotate(stack, 'dry-while-held', 1, trace, { dryRun: true });
      expect(dry.status).toBe('SUCCEEDED');
      expect(dry.summary?.dryRun).toBe(true);
      // Neither the skipped run nor the dry run touched the holder's lease.
      expect(leaseObjects(stack).map((object) => (JSON.parse(object.body) as { holder: string }).holder)).toEqual(['live-run']);
    } finally {
      s3.destroy();
    }
  });
});
