/**
 * The run lease: its pure decisions, the acquire/renew/release logic over a fake store with S3's conditional
 * semantics, and the S3 adapter against the S3 emulator (conditional puts racing for one key).
 */
import { GetObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { ExecutionDoesNotExist, type SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3RunLeaseStore } from '../functions/adapters/s3/run-lease-store';
import { SfnExecutionStatus } from '../functions/adapters/sfn/execution-status';
import {
  acquireLeases,
  decideOnHeld,
  LEASE_TTL_MS,
  leaseKey,
  leaseKeys,
  leaseRecord,
  LeaseLostError,
  parseLeaseRecord,
  releaseLeases,
  renewLeases,
  takeRunLeases,
  type LeaseRecord,
  type StoredLease,
} from '../functions/domain/lease';
import type { ExecutionStatusPort, RunLeasePort } from '../functions/domain/ports';
import { startS3Emulator, type S3Emulator, type S3EmulatorOptions } from '../tools/emulators/s3/emulator';

const NOW = new Date('2025-03-01T03:00:00Z');
const A = { holder: 'run-a', holderArn: 'arn:aws:states:us-east-1:1:execution:sm:run-a', workflow: 'rotation' } as const;
const B = { holder: 'run-b', holderArn: 'arn:aws:states:us-east-1:1:execution:sm:run-b', workflow: 'restore' } as const;
const KEY = 'leases/acme/prod.json';

/** A lease store with S3's conditional semantics, in memory. */
class MemoryLeases implements RunLeasePort {
  readonly objects = new Map<string, StoredLease>();
  private version = 0;
  calls: string[] = [];
  async create(key: string, record: LeaseRecord) {
    this.calls.push(`create ${key}`);
    if (this.objects.has(key)) return false;
    this.objects.set(key, { record, etag: `"${(this.version += 1)}"` });
    return true;
  }
  async read(key: string) {
    return this.objects.get(key);
  }
  async replace(key: string, record: LeaseRecord, etag: string) {
    this.calls.push(`replace ${key}`);
    if (this.objects.get(key)?.etag !== etag) return false;
    this.objects.set(key, { record, etag: `"${(this.version += 1)}"` });
    return true;
  }
  async remove(key: string, etag: string) {
    this.calls.push(`remove ${key}`);
    if (this.objects.get(key)?.etag !== etag) return false;
    this.objects.delete(key);
    return true;
  }
}

const running = (arns: string[]): ExecutionStatusPort => ({ isRunning: async (arn) => arns.includes(arn) });

describe('run lease decisions', () => {
  const held = leaseRecord(A, NOW);

  it('keeps a lease of its own (a retried step), whatever its age', () => {
    expect(decideOnHeld(held, A, new Date(NOW.getTime() + 10 * LEASE_TTL_MS), undefined)).toBe('mine');
  });

  it('leaves a live lease of another run alone and takes over an expired one when the holder status is unknown', () => {
    expect(decideOnHeld(held, B, new Date(NOW.getTime() + LEASE_TTL_MS - 1), undefined)).toBe('held');
    expect(decideOnHeld(held, B, new Date(NOW.getTime() + LEASE_TTL_MS + 1), undefined)).toBe('take-over');
  });

  it('lets the holder execution status decide when known: running holds past expiry, ended frees at once', () => {
    expect(decideOnHeld(held, B, new Date(NOW.getTime() + 2 * LEASE_TTL_MS), true)).toBe('held');
    expect(decideOnHeld(held, B, NOW, false)).toBe('take-over');
  });

  it('names one object per target, encoded like secret names, in one order for every run', () => {
    expect(leaseKey({ providerOrg: 'acme', catalog: 'prod' })).toBe('leases/acme/prod.json');
    expect(leaseKey({ providerOrg: 'a/b', catalog: 'c d' })).toBe('leases/a+2Fb/c+20d.json');
    const targets = [
      { providerOrg: 'z', catalog: 'x' },
      { providerOrg: 'a', catalog: 'y' },
      { providerOrg: 'z', catalog: 'x' },
    ];
    expect(leaseKeys(targets)).toEqual(['leases/a/y.json', 'leases/z/x.json']);
  });

  it('reads a damaged lease object as expired, so it cannot block runs', () => {
    expect(decideOnHeld(parseLeaseRecord('not json'), B, NOW, undefined)).toBe('take-over');
    expect(decideOnHeld(parseLeaseRecord('{"holder":"x"}'), B, NOW, undefined)).toBe('take-over');
    expect(parseLeaseRecord(JSON.stringify(held))).toEqual(held);
  });
});

describe('acquire, renew, release', () => {
  it('acquires a free lease, keeps it on a retry, and reports who holds it to another run', async () => {
    const leases = new MemoryLeases();
    expect(await acquireLeases({ leases }, [KEY], A, NOW)).toEqual({ acquired: true, lease: { ...A, keys: [KEY] } });
    expect((await acquireLeases({ leases }, [KEY], A, NOW)).acquired).toBe(true);
    expect(await acquireLeases({ leases }, [KEY], B, NOW)).toEqual({ acquired: false, key: KEY, heldBy: A.holderArn, since: NOW.toISOString() });
  });

  it('takes over a lease whose holder no longer runs, and one that expired', async () => {
    const leases = new MemoryLeases();
    await acquireLeases({ leases }, [KEY], A, NOW);
    expect((await acquireLeases({ leases, executions: running([]) }, [KEY], B, NOW)).acquired).toBe(true);
    expect(leases.objects.get(KEY)?.record.holder).toBe('run-b');
    const later = new Date(NOW.getTime() + LEASE_TTL_MS + 1000);
    expect((await acquireLeases({ leases }, [KEY], { holder: 'run-c', workflow: 'rotation' }, later)).acquired).toBe(true);
    expect(leases.objects.get(KEY)?.record).toMatchObject({ holder: 'run-c', acquiredAt: later.toISOString() });
  });

  it('does not take over from a running holder', async () => {
    const leases = new MemoryLeases();
    await acquireLeases({ leases }, [KEY], A, NOW);
    const outcome = await acquireLeases({ leases, executions: running([A.holderArn]) }, [KEY], B, new Date(NOW.getTime() + 2 * LEASE_TTL_MS));
    expect(outcome.acquired).toBe(false);
  });

  it('with several targets, releases what it took when a later one is held, in the fixed order', async () => {
    const leases = new MemoryLeases();
    const keys = leaseKeys([
      { providerOrg: 'acme', catalog: 'prod' },
      { providerOrg: 'acme', catalog: 'dev' },
    ]);
    await acquireLeases({ leases }, [keys[1] ?? ''], A, NOW);
    const outcome = await acquireLeases({ leases }, keys, B, NOW);
    expect(outcome).toMatchObject({ acquired: false, key: keys[1] });
    expect([...leases.objects.keys()]).toEqual([keys[1]]);
    expect(leases.calls.filter((call) => call.includes(keys[0] ?? '-'))).toEqual([`create ${keys[0]}`, `remove ${keys[0]}`]);
  });

  it('renews its own lease with a later expiry and keeps acquiredAt; a lost lease stops the run', async () => {
    const leases = new MemoryLeases();
    const taken = await acquireLeases({ leases }, [KEY], A, NOW);
    if (!taken.acquired) throw new Error('not acquired');
    const later = new Date(NOW.getTime() + 60_000);
    await renewLeases({ leases }, taken.lease, later);
    expect(leases.objects.get(KEY)?.record).toMatchObject({ acquiredAt: NOW.toISOString(), expiresAt: new Date(later.getTime() + LEASE_TTL_MS).toISOString() });
    leases.objects.set(KEY, { record: leaseRecord(B, later), etag: '"x"' });
    await expect(renewLeases({ leases }, taken.lease, later)).rejects.toBeInstanceOf(LeaseLostError);
    leases.objects.delete(KEY);
    await expect(renewLeases({ leases }, taken.lease, later)).rejects.toThrow(/removed/);
  });

  it('releases only its own lease, never another run’s', async () => {
    const leases = new MemoryLeases();
    await acquireLeases({ leases }, [KEY], B, NOW);
    expect(await releaseLeases({ leases }, { ...A, keys: [KEY] })).toBe(0);
    expect(leases.objects.get(KEY)?.record.holder).toBe('run-b');
    expect(await releaseLeases({ leases }, { ...B, keys: [KEY] })).toBe(1);
    expect(leases.objects.size).toBe(0);
  });

  it('takes no lease for a dry run and ends a run as skipped when it is held', async () => {
    const leases = new MemoryLeases();
    const state = (runId: string, dryRun: boolean) => ({ run: { runId, dryRun }, extra: 1 });
    const request = { keys: [KEY], workflow: 'rotation' as const, now: NOW };
    expect(await takeRunLeases({ leases }, state('dry', true), request)).toEqual(state('dry', true));
    expect(leases.objects.size).toBe(0);
    expect(await takeRunLeases({ leases }, state('run-a', false), { ...request, holderArn: A.holderArn })).toMatchObject({
      run: { lease: { holder: 'run-a', holderArn: A.holderArn, keys: [KEY] } },
      extra: 1,
    });
    const skipped = await takeRunLeases({ leases }, state('run-b', false), request);
    expect(skipped).toEqual({
      skipped: {
        status: 'skipped',
        runId: 'run-b',
        workflow: 'rotation',
        heldBy: A.holderArn,
        since: NOW.toISOString(),
        key: KEY,
        message: `skipped: held by execution ${A.holderArn} since ${NOW.toISOString()}`,
      },
    });
  });
});

/** A lease store on a fresh S3 emulator with bucket `reports`, started before and closed after the calling suite. */
function leaseStoreOnEmulator(options: S3EmulatorOptions = {}) {
  const handle = {} as { emulator: S3Emulator; client: S3Client; store: S3RunLeaseStore };
  beforeAll(async () => {
    handle.emulator = await startS3Emulator(options);
    handle.emulator.createBucket('reports');
    handle.client = new S3Client({ region: 'us-east-1', endpoint: handle.emulator.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    handle.store = new S3RunLeaseStore(handle.client, { bucket: 'reports' });
  });
  afterAll(async () => {
    handle.client.destroy();
    await handle.emulator.close();
  });
  return handle;
}

describe('S3 run lease store against the S3 emulator', () => {
  const s3 = leaseStoreOnEmulator();

  it('lets exactly one of two acquirers racing for a free lease win', async () => {
    const key = 'leases/race/one.json';
    for (let round = 0; round < 5; round += 1) {
      const outcomes = await Promise.all([acquireLeases({ leases: s3.store }, [key], A, NOW), acquireLeases({ leases: s3.store }, [key], B, NOW)]);
      expect(outcomes.filter((outcome) => outcome.acquired)).toHaveLength(1);
      const winner = outcomes.find((outcome) => outcome.acquired);
      if (winner?.acquired) expect(await releaseLeases({ leases: s3.store }, winner.lease)).toBe(1);
      expect(s3.emulator.objects('reports').filter((object) => object.key === key)).toEqual([]);
    }
  });

  it('lets exactly one of two runs taking over an expired lease win', async () => {
    const key = 'leases/race/expired.json';
    expect(await s3.store.create(key, leaseRecord({ holder: 'gone', workflow: 'rotation' }, new Date(NOW.getTime() - 2 * LEASE_TTL_MS)))).toBe(true);
    const outcomes = await Promise.all([acquireLeases({ leases: s3.store }, [key], A, NOW), acquireLeases({ leases: s3.store }, [key], B, NOW)]);
    expect(outcomes.filter((outcome) => outcome.acquired)).toHaveLength(1);
  });

  it('refuses a create over an existing lease, a replace or delete with a stale ETag, and reads a missing one as absent', async () => {
    const key = 'leases/conditions/one.json';
    expect(await s3.store.read(key)).toBeUndefined();
    expect(await s3.store.create(key, leaseRecord(A, NOW))).toBe(true);
    expect(await s3.store.create(key, leaseRecord(B, NOW))).toBe(false);
    const first = await s3.store.read(key);
    expect(first?.record.holder).toBe('run-a');
    // A renewal writes a later expiry, so the ETag (S3's MD5 of the content) changes.
    expect(await s3.store.replace(key, leaseRecord(A, new Date(NOW.getTime() + 1000)), first?.etag ?? '')).toBe(true);
    expect(await s3.store.replace(key, leaseRecord(B, NOW), first?.etag ?? '')).toBe(false);
    expect(await s3.store.remove(key, first?.etag ?? '')).toBe(false);
    expect((await s3.store.read(key))?.record.holder).toBe('run-a');
    const second = await s3.store.read(key);
    expect(await s3.store.remove(key, second?.etag ?? '')).toBe(true);
    expect(await s3.store.read(key)).toBeUndefined();
    expect(await s3.store.replace(key, leaseRecord(A, NOW), second?.etag ?? '')).toBe(false);
    expect(await s3.store.remove(key, second?.etag ?? '')).toBe(false);
  });

  it('reports other S3 failures as RunLeaseStoreError naming the object', async () => {
    const missing = new S3RunLeaseStore(s3.client, { bucket: 'no-such-bucket' });
    await expect(missing.read(KEY)).rejects.toThrow(/ReadLease failed for s3:\/\/no-such-bucket\/leases\/acme\/prod.json/);
    await expect(missing.create(KEY, leaseRecord(A, NOW))).rejects.toThrow(/CreateLease failed/);
    await expect(missing.remove(KEY, '"x"')).rejects.toThrow(/ReleaseLease failed/);
  });
});

describe('S3 run lease store for a caller whose s3:ListBucket is limited to leases/ (a missing object answers 403)', () => {
  const s3 = leaseStoreOnEmulator({ listBucketPrefixes: ['leases/'] });

  it('reads a missing lease as absent, takes it, and a second release of it finds it gone rather than failing', async () => {
    const key = 'leases/acme/denied.json';
    expect(await s3.store.read(key)).toBeUndefined();
    const taken = await acquireLeases({ leases: s3.store }, [key], A, NOW);
    expect(taken.acquired).toBe(true);
    const held = await s3.store.read(key);
    expect(held?.record.holder).toBe('run-a');
    expect(await s3.store.remove(key, held?.etag ?? '')).toBe(true);
    // A retried release: the first attempt already deleted the lease.
    expect(await s3.store.remove(key, held?.etag ?? '')).toBe(false);
    expect(await s3.store.read(key)).toBeUndefined();
  });

  it('never reads an existing lease refused with 403 for another reason (e.g. KMS denied) as absent: no second run takes it', async () => {
    const key = 'leases/acme/kms.json';
    expect((await acquireLeases({ leases: s3.store }, [key], A, NOW)).acquired).toBe(true);
    const denied = new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'kms:Decrypt denied' });
    const refusingReads = {
      send: (command: unknown) => (command instanceof GetObjectCommand ? Promise.reject(denied) : s3.client.send(command as never)),
    } as unknown as S3Client;
    const other = new S3RunLeaseStore(refusingReads, { bucket: 'reports' });
    await expect(other.read(key)).rejects.toThrow(/ReadLease failed for s3:\/\/reports\/leases\/acme\/kms.json/);
    await expect(acquireLeases({ leases: other }, [key], B, NOW)).rejects.toThrow(/ReadLease failed/);
    expect((await s3.store.read(key))?.record.holder).toBe('run-a');
  });

  it('keeps a 403 it cannot settle by listing (outside leases/) as an error naming the object', async () => {
    await expect(s3.store.read('elsewhere/acme.json')).rejects.toThrow(/ReadLease failed for s3:\/\/reports\/elsewhere\/acme.json/);
  });
});

describe('execution status from Step Functions', () => {
  const answering = (answer: () => Promise<unknown>) => new SfnExecutionStatus({ send: answer } as unknown as SFNClient);

  it('counts only RUNNING as running, and an execution that does not exist as ended', async () => {
    expect(await answering(async () => ({ status: 'RUNNING' })).isRunning(A.holderArn)).toBe(true);
    for (const status of ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']) {
      expect(await answering(async () => ({ status })).isRunning(A.holderArn), status).toBe(false);
    }
    const gone = new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} });
    expect(await answering(() => Promise.reject(gone)).isRunning(A.holderArn)).toBe(false);
  });

  it('passes any other error on (e.g. access denied), so the lease is not taken over on a guess', async () => {
    await expect(answering(() => Promise.reject(new Error('AccessDenied'))).isRunning(A.holderArn)).rejects.toThrow('AccessDenied');
  });
});
