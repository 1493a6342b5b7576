/**
 * snapshot()/restore() of the APIC simulator and of every emulator, which the crash suites use to start a crash
 * point at the start of its day: a restored service answers as the snapshotted one did, continues as it would have
 * (same generated ids), and shares nothing with it or with the snapshot.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { SendEmailCommand, SESClient } from '@aws-sdk/client-ses';
import { afterAll, describe, expect, it } from 'vitest';
import { startApicSimulator, type ApicSimulator, type SimulatorOptions } from '../tools/apic-simulator';
import { startEventBridgeEmulator } from '../tools/emulators/eventbridge/emulator';
import { startS3Emulator } from '../tools/emulators/s3/emulator';
import { startSecretsManagerEmulator } from '../tools/emulators/secrets-manager/emulator';
import { startSesEmulator } from '../tools/emulators/ses/emulator';
import { localSdkConfig } from '../tools/runner/local-environment';

const closers: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

function track<T extends { close(): Promise<void> }>(service: T): T {
  closers.push(() => service.close());
  return service;
}

function client<T extends { destroy(): void }>(made: T): T {
  closers.push(() => made.destroy());
  return made;
}

describe('APIC simulator snapshot', () => {
  const NOW = new Date('2025-06-01T12:00:00Z');
  const options = (randomSeed: number): SimulatorOptions => ({
    now: NOW,
    randomSeed,
    seed: {
      catalogs: [
        {
          providerOrg: 'acme',
          catalog: 'prod',
          consumerOrgs: [
            { name: 'bank', owner: { email: 'owner@bank.example' }, apps: [{ name: 'mobile', credentials: [{ name: 'a', ageDays: 10 }, { name: 'b' }] }] },
            { name: 'shop', apps: [{ name: 'web', credentials: [{ name: 'w' }] }] },
          ],
        },
      ],
    },
  });

  async function call(simulator: ApicSimulator, method: string, path: string, body?: unknown, token?: string) {
    const response = await fetch(new URL(path, simulator.baseUrl), {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
  }

  async function token(simulator: ApicSimulator): Promise<string> {
    const { username, password, realm, clientId, clientSecret } = simulator.admin;
    const answer = await call(simulator, 'POST', 'token', {
      grant_type: 'password',
      username,
      password,
      realm,
      client_id: clientId,
      client_secret: clientSecret,
    });
    expect(answer.status).toBe(200);
    return answer.body.access_token as string;
  }

  const credentialNames = async (simulator: ApicSimulator, bearer: string) =>
    ((await call(simulator, 'GET', 'catalogs/acme/prod/credentials', undefined, bearer)).body.results as Array<{ name: string; client_id: string }>).map(
      (c) => `${c.name}:${c.client_id}`,
    );

  /** A simulator with some history: a credential created, one renamed, one deleted, a secret reset. */
  async function withHistory(): Promise<{ simulator: ApicSimulator; bearer: string }> {
    const simulator = track(await startApicSimulator(options(7)));
    const bearer = await token(simulator);
    expect((await call(simulator, 'POST', 'apps/acme/prod/bank/mobile/credentials', { name: 'a_new', title: 'A new' }, bearer)).status).toBe(201);
    expect((await call(simulator, 'PATCH', 'apps/acme/prod/bank/mobile/credentials/b', { name: 'b2', title: 'B two' }, bearer)).status).toBe(200);
    expect((await call(simulator, 'DELETE', 'apps/acme/prod/shop/web/credentials/w', undefined, bearer)).status).toBe(200);
    expect((await call(simulator, 'POST', 'apps/acme/prod/shop/web/credentials', { name: 'w2' }, bearer)).status).toBe(201);
    simulator.clock.advanceDays(3);
    return { simulator, bearer };
  }

  it('restores catalogs, listing order, clock, admin credentials and issued secrets into another simulator', async () => {
    const { simulator: original, bearer } = await withHistory();
    const copy = track(await startApicSimulator(options(99)));
    copy.restore(original.snapshot());

    expect(copy.clock.now()).toEqual(original.clock.now());
    expect(copy.admin).toEqual(original.admin);
    expect(copy.apiKey).toBe(original.apiKey);
    expect(copy.issuedSecrets().sort()).toEqual(original.issuedSecrets().sort());
    expect(copy.counters()).toEqual(original.counters());
    for (const [consumerOrg, app] of [['bank', 'mobile'], ['shop', 'web']] as const) {
      expect(copy.inspect.credentials('acme', 'prod', consumerOrg, app)).toEqual(original.inspect.credentials('acme', 'prod', consumerOrg, app));
    }
    // The original's token is still valid on the copy, and the copy's admin credentials are the original's.
    expect(await credentialNames(copy, bearer)).toEqual(await credentialNames(original, bearer));
    expect(await credentialNames(copy, await token(copy))).toEqual(await credentialNames(original, bearer));
  });

  it('continues as the snapshotted simulator would: the next credential gets the same id and client id', async () => {
    const { simulator: original } = await withHistory();
    const snapshot = original.snapshot();
    const copy = track(await startApicSimulator(options(99)));
    copy.restore(snapshot);
    const created = await Promise.all(
      [original, copy].map(async (simulator) => {
        const answer = await call(simulator, 'POST', 'apps/acme/prod/bank/mobile/credentials', { name: 'c' }, await token(simulator));
        expect(answer.status).toBe(201);
        return { id: answer.body.id, clientId: answer.body.client_id };
      }),
    );
    expect(created[1]).toEqual(created[0]);
  });

  it('shares nothing: changes after the snapshot reach neither the snapshot nor the other simulator', async () => {
    const { simulator: original, bearer } = await withHistory();
    const snapshot = original.snapshot();
    const before = structuredClone(snapshot);
    const atSnapshot = original.inspect.credentials('acme', 'prod', 'bank', 'mobile');
    const copy = track(await startApicSimulator(options(99)));
    copy.restore(snapshot);

    await call(copy, 'DELETE', 'apps/acme/prod/bank/mobile/credentials/a', undefined, await token(copy));
    await call(original, 'PATCH', 'apps/acme/prod/bank/mobile/credentials/a_new', { title: 'changed' }, bearer);
    copy.clock.advanceDays(1);

    expect(snapshot).toEqual(before);
    expect(original.inspect.credentials('acme', 'prod', 'bank', 'mobile').map((c) => c.name)).toEqual(['a', 'b2', 'a_new']);
    expect(copy.inspect.credentials('acme', 'prod', 'bank', 'mobile').map((c) => `${c.name} | ${c.title}`)).toEqual(['b2 | B two', 'a_new | A new']);
    expect(copy.clock.now().getTime() - original.clock.now().getTime()).toBe(86_400_000);

    // The same snapshot restores the same state again.
    copy.restore(snapshot);
    expect(copy.inspect.credentials('acme', 'prod', 'bank', 'mobile')).toEqual(atSnapshot);
  });

  it('restores queued one-shot faults', async () => {
    const original = track(await startApicSimulator(options(7)));
    original.faults.failNext({ route: 'POST /token' }, { count: 1, status: 503 });
    const copy = track(await startApicSimulator(options(7)));
    copy.restore(original.snapshot());
    expect((await call(copy, 'POST', 'token', {})).status).toBe(503);
    expect((await call(copy, 'POST', 'token', {})).status).toBe(400);
  });
});

describe('Secrets Manager emulator snapshot', () => {
  it('restores secrets, versions, labels, tags, policies, deletions and ARNs, and the next ARN is the same', async () => {
    const original = track(await startSecretsManagerEmulator({ randomSeed: 3 }));
    const sm = client(new SecretsManagerClient(localSdkConfig(original.endpoint)));
    await sm.send(new CreateSecretCommand({ Name: 'one', SecretString: '{"v":1}', ClientRequestToken: 'a'.repeat(32), Tags: [{ Key: 'k', Value: 'v' }] }));
    await sm.send(new PutSecretValueCommand({ SecretId: 'one', SecretString: '{"v":2}', ClientRequestToken: 'b'.repeat(32), VersionStages: ['AWSPENDING'] }));
    await sm.send(new CreateSecretCommand({ Name: 'gone', SecretString: 'x', ClientRequestToken: 'c'.repeat(32) }));
    await sm.send(new DeleteSecretCommand({ SecretId: 'gone', ForceDeleteWithoutRecovery: true }));
    await sm.send(new CreateSecretCommand({ Name: 'scheduled', SecretString: 'y', ClientRequestToken: 'd'.repeat(32) }));
    await sm.send(new DeleteSecretCommand({ SecretId: 'scheduled', RecoveryWindowInDays: 7 }));
    await sm.send(new PutResourcePolicyCommand({ SecretId: 'one', ResourcePolicy: '{"Statement":[]}' }));
    await sm.send(new TagResourceCommand({ SecretId: 'one', Tags: [{ Key: 'k2', Value: 'v2' }] }));
    original.faults.failNext('GetSecretValue', 1);
    const snapshot = original.snapshot();

    const copy = track(await startSecretsManagerEmulator({ randomSeed: 11 }));
    copy.restore(snapshot);
    const smCopy = client(new SecretsManagerClient({ ...localSdkConfig(copy.endpoint), maxAttempts: 1 }));

    expect(copy.inspect.secretNames()).toEqual(['one', 'scheduled']);
    expect(copy.inspect.versions('one')).toEqual(original.inspect.versions('one'));
    expect(copy.inspect.tags('one')).toEqual({ k: 'v', k2: 'v2' });
    expect(copy.counts()).toEqual(original.counts());
    expect(copy.requests()).toEqual(original.requests());
    const list = async (c: SecretsManagerClient) =>
      (await c.send(new ListSecretsCommand({ IncludePlannedDeletion: true }))).SecretList?.map((s) => [s.Name, s.ARN, s.DeletedDate !== undefined]);
    expect(await list(smCopy)).toEqual(await list(sm));
    await expect(smCopy.send(new GetSecretValueCommand({ SecretId: 'one' }))).rejects.toThrow(/Injected/);
    expect((await smCopy.send(new GetSecretValueCommand({ SecretId: 'one', VersionStage: 'AWSPENDING' }))).SecretString).toBe('{"v":2}');

    const next = await Promise.all(
      [sm, smCopy].map(async (c) => (await c.send(new CreateSecretCommand({ Name: 'next', SecretString: 'z', ClientRequestToken: 'e'.repeat(32) }))).ARN),
    );
    expect(next[1]).toBe(next[0]);
    // Each went its own way after the snapshot, and the snapshot kept neither change.
    expect(snapshot.secrets.map((s) => s?.name ?? null)).toEqual(['one', null, 'scheduled']);
  });
});

describe('SES emulator snapshot', () => {
  it("restores another emulator's mail, then adds what is sent through it, sharing nothing", async () => {
    const mail = (to: string) =>
      new SendEmailCommand({
        Source: 'rotator@example.com',
        Destination: { ToAddresses: [to] },
        Message: { Subject: { Data: `to ${to}` }, Body: { Text: { Data: 'hello' } } },
      });
    const original = track(await startSesEmulator());
    const ses = client(new SESClient(localSdkConfig(original.endpoint)));
    await ses.send(mail('first@example.com'));
    original.failNext(2);
    const snapshot = await original.snapshot();
    expect(snapshot.emails.map((e) => e.to)).toEqual([['first@example.com']]);

    const copy = track(await startSesEmulator());
    copy.restore(snapshot);
    const sesCopy = client(new SESClient({ ...localSdkConfig(copy.endpoint), maxAttempts: 1 }));
    await expect(sesCopy.send(mail('refused@example.com'))).rejects.toThrow();
    await expect(sesCopy.send(mail('refused@example.com'))).rejects.toThrow();
    await sesCopy.send(mail('second@example.com'));

    expect((await copy.emails()).map((e) => e.subject)).toEqual(['to first@example.com', 'to second@example.com']);
    expect((await original.emails()).map((e) => e.subject)).toEqual(['to first@example.com']);
    expect(snapshot.emails).toHaveLength(1);
    await copy.clear();
    expect(await copy.emails()).toEqual([]);
  });
});

describe('S3 emulator snapshot', () => {
  it('restores buckets and objects byte for byte, with metadata and checksums, sharing nothing', async () => {
    const original = track(await startS3Emulator());
    original.createBucket('reports');
    original.createBucket('empty');
    const s3 = client(new S3Client({ ...localSdkConfig(original.endpoint), forcePathStyle: true }));
    await s3.send(new PutObjectCommand({ Bucket: 'reports', Key: 'run/ü.csv', Body: 'a,b\n1,2\n', ContentType: 'text/csv', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'key-1' }));
    const snapshot = original.snapshot();

    const copy = track(await startS3Emulator());
    copy.restore(snapshot);
    const s3Copy = client(new S3Client({ ...localSdkConfig(copy.endpoint), forcePathStyle: true }));
    expect(copy.objects('reports')).toEqual(original.objects('reports'));
    expect(copy.objects('empty')).toEqual([]);
    const got = await s3Copy.send(new GetObjectCommand({ Bucket: 'reports', Key: 'run/ü.csv', ChecksumMode: 'ENABLED' }));
    expect(await got.Body?.transformToString()).toBe('a,b\n1,2\n');
    expect(got.ContentType).toBe('text/csv');

    await s3Copy.send(new PutObjectCommand({ Bucket: 'reports', Key: 'later.csv', Body: 'x' }));
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'reports' }))).KeyCount).toBe(1);
    expect(snapshot.buckets.find((b) => b.name === 'reports')?.objects).toHaveLength(1);
  });
});

describe('EventBridge emulator snapshot', () => {
  it('restores the accepted events and pending refusals, sharing nothing', async () => {
    const original = track(await startEventBridgeEmulator());
    const events = client(new EventBridgeClient(localSdkConfig(original.endpoint)));
    await events.send(new PutEventsCommand({ Entries: [{ Source: 'rotator', DetailType: 'one', Detail: '{"n":1}' }] }));
    original.failNext(1, 'ThrottlingException');
    const snapshot = original.snapshot();

    const copy = track(await startEventBridgeEmulator());
    copy.restore(snapshot);
    const eventsCopy = client(new EventBridgeClient(localSdkConfig(copy.endpoint)));
    const refused = await eventsCopy.send(new PutEventsCommand({ Entries: [{ Source: 'rotator', DetailType: 'two', Detail: '{"n":2}' }] }));
    expect(refused.Entries?.[0]?.ErrorCode).toBe('ThrottlingException');
    await eventsCopy.send(new PutEventsCommand({ Entries: [{ Source: 'rotator', DetailType: 'three', Detail: '{"n":3}' }] }));

    expect(copy.events().map((e) => e.detailType)).toEqual(['one', 'three']);
    expect(original.events().map((e) => e.detailType)).toEqual(['one']);
    expect(snapshot.events.map((e) => e.detail)).toEqual([{ n: 1 }]);
  });
});
