/**
 * Contract tests of the Secrets Manager emulator: each drives the emulator through the real SDK client and checks one
 * row of tools/emulators/secrets-manager/FIDELITY.md (the row id starts the test name). Rows already covered by
 * test/secrets-emulator.test.ts name that test in the table instead of being repeated here.
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSecretsManagerEmulator, type SecretsManagerEmulator } from '../tools/emulators/secrets-manager/emulator';

const token = (label: string) => label.padEnd(32, '0');

let emulator: SecretsManagerEmulator;
let client: SecretsManagerClient;
let counter = 0;
const uniqueName = (base: string) => `contract/${base}-${++counter}`;

beforeAll(async () => {
  emulator = await startSecretsManagerEmulator({ randomSeed: 11 });
  client = new SecretsManagerClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});

afterAll(async () => {
  client.destroy();
  await emulator.close();
});

describe('Secrets Manager emulator contract', () => {
  it('SM-02 CreateSecret with a value creates the first version, labelled AWSCURRENT, under the token the SDK generates', async () => {
    const name = uniqueName('created');
    const created = await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }));
    expect(created.VersionId).toMatch(/^[0-9a-f-]{36}$/);
    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.VersionIdsToStages).toEqual({ [created.VersionId ?? '']: ['AWSCURRENT'] });
  });

  it('SM-06 a secret name may hold ASCII letters, digits and /_+=.@- only', async () => {
    await expect(client.send(new CreateSecretCommand({ Name: uniqueName('A-z0-9/_+=.@-') }))).resolves.toMatchObject({ ARN: expect.any(String) });
    for (const bad of ['has space', 'hash#', 'é']) {
      await expect(client.send(new CreateSecretCommand({ Name: uniqueName(bad) }))).rejects.toMatchObject({ name: 'ValidationException' });
    }
  });

  it('SM-08 DescribeSecret lists in VersionIdsToStages only the versions that carry a staging label', async () => {
    const name = uniqueName('deprecated');
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v1', ClientRequestToken: token('one') }));
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2', ClientRequestToken: token('two') }));
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v3', ClientRequestToken: token('three') }));
    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.VersionIdsToStages).toEqual({ [token('two')]: ['AWSPREVIOUS'], [token('three')]: ['AWSCURRENT'] });
  });

  it('SM-13 PutSecretValue: the first version of a secret gets AWSCURRENT whatever VersionStages says, later ones only what they ask', async () => {
    const name = uniqueName('first-version');
    await client.send(new CreateSecretCommand({ Name: name }));
    const first = await client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'staged', ClientRequestToken: token('first'), VersionStages: ['AWSPENDING'] }),
    );
    expect(new Set(first.VersionStages)).toEqual(new Set(['AWSPENDING', 'AWSCURRENT']));
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('staged');

    const second = await client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'next', ClientRequestToken: token('second'), VersionStages: ['AWSPENDING'] }),
    );
    expect(second.VersionStages).toEqual(['AWSPENDING']);
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('staged');
  });

  it('SM-13 the first version created by CreateSecret counts: a later staged version is not made current', async () => {
    const name = uniqueName('created-first');
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'placeholder', ClientRequestToken: token('placeholder') }));
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'staged', ClientRequestToken: token('staged'), VersionStages: ['AWSPENDING'] }));
    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.VersionIdsToStages).toEqual({ [token('placeholder')]: ['AWSCURRENT'], [token('staged')]: ['AWSPENDING'] });
  });

  it('SM-20 UpdateSecretVersionStage without MoveToVersionId removes the label, and a version left without labels is deprecated', async () => {
    const name = uniqueName('remove-label');
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v1', ClientRequestToken: token('one') }));
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'p', ClientRequestToken: token('p'), VersionStages: ['AWSPENDING'] }));
    await client.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSPENDING', RemoveFromVersionId: token('p') }));
    expect((await client.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages).toEqual({ [token('one')]: ['AWSCURRENT'] });
    await expect(client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPENDING' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('SM-21 the name filter of ListSecrets is a case-sensitive prefix match', async () => {
    const name = uniqueName('CaseSensitive');
    await client.send(new CreateSecretCommand({ Name: name }));
    const list = (prefix: string) => client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix] }] }));
    expect((await list(name.slice(0, -3))).SecretList?.map((secret) => secret.Name)).toEqual([name]);
    expect((await list(name.toLowerCase())).SecretList).toEqual([]);
  });

  it('SM-24 ListSecrets leaves out secrets scheduled for deletion unless IncludePlannedDeletion is set', async () => {
    const name = uniqueName('planned-deletion');
    await client.send(new CreateSecretCommand({ Name: name }));
    await client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
    const filters = [{ Key: 'name' as const, Values: [name] }];
    expect((await client.send(new ListSecretsCommand({ Filters: filters }))).SecretList).toEqual([]);
    const withDeleted = await client.send(new ListSecretsCommand({ Filters: filters, IncludePlannedDeletion: true }));
    expect(withDeleted.SecretList?.map((secret) => [secret.Name, secret.DeletedDate instanceof Date])).toEqual([[name, true]]);
  });

  it('SM-27 a secret holds at most 50 tags, and tag keys may not start with aws:', async () => {
    const name = uniqueName('tag-limits');
    const tags = (count: number, from = 0) => Array.from({ length: count }, (_, index) => ({ Key: `k${from + index}`, Value: 'v' }));
    await client.send(new CreateSecretCommand({ Name: name, Tags: tags(50) }));
    await expect(client.send(new TagResourceCommand({ SecretId: name, Tags: tags(1, 50) }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(client.send(new TagResourceCommand({ SecretId: name, Tags: [{ Key: 'aws:reserved', Value: 'v' }] }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    expect(Object.keys(emulator.inspect.tags(name))).toHaveLength(50);
  });

  it('SM-34 with the tag quota on, a 51st TagResource or UntagResource within one second answers ThrottlingException', async () => {
    let now = 1_000_000;
    const limited = await startSecretsManagerEmulator({ randomSeed: 12, tagQuota: { clock: () => now } });
    // One attempt: the SDK would otherwise retry the throttled call.
    const limitedClient = new SecretsManagerClient({ region: 'us-east-1', endpoint: limited.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    try {
      const name = uniqueName('tag-quota');
      await limitedClient.send(new CreateSecretCommand({ Name: name }));
      for (let call = 0; call < 50; call++) {
        if (call % 2 === 0) await limitedClient.send(new TagResourceCommand({ SecretId: name, Tags: [{ Key: 'k', Value: String(call) }] }));
        else await limitedClient.send(new UntagResourceCommand({ SecretId: name, TagKeys: ['k'] }));
        now += 10;
      }
      await expect(limitedClient.send(new TagResourceCommand({ SecretId: name, Tags: [{ Key: 'k', Value: 'over' }] }))).rejects.toMatchObject({ name: 'ThrottlingException' });
      // Reads are not under this quota; a second after the first call, its place is free again.
      await limitedClient.send(new DescribeSecretCommand({ SecretId: name }));
      now = 1_000_000 + 1000;
      await expect(limitedClient.send(new TagResourceCommand({ SecretId: name, Tags: [{ Key: 'k', Value: 'next' }] }))).resolves.toBeDefined();
      expect(limited.inspect.tags(name)).toEqual({ k: 'next' });
    } finally {
      limitedClient.destroy();
      await limited.close();
    }
  });

  it('SM-35 ListSecrets oldest first: a NextToken resumes after the secrets listed, though one of them has lost the filtered tag', async () => {
    const tag = `ledger-${++counter}`;
    const names = [uniqueName('first'), uniqueName('second'), uniqueName('third')];
    for (const name of names) await client.send(new CreateSecretCommand({ Name: name, Tags: [{ Key: tag, Value: 'yes' }] }));
    const page = (NextToken?: string) =>
      client.send(new ListSecretsCommand({ Filters: [{ Key: 'tag-key', Values: [tag] }], SortOrder: 'asc', MaxResults: 1, ...(NextToken ? { NextToken } : {}) }));
    const first = await page();
    expect(first.SecretList?.map((secret) => secret.Name)).toEqual([names[0]]);
    await client.send(new UntagResourceCommand({ SecretId: names[0], TagKeys: [tag] }));
    const second = await page(first.NextToken);
    expect(second.SecretList?.map((secret) => secret.Name)).toEqual([names[1]]);
    const third = await page(second.NextToken);
    expect(third.SecretList?.map((secret) => secret.Name)).toEqual([names[2]]);
  });

  it('SM-29 DeleteSecret with ForceDeleteWithoutRecovery does not answer ResourceNotFoundException for a secret that does not exist', async () => {
    const name = uniqueName('never-existed');
    await expect(client.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }))).resolves.toMatchObject({
      $metadata: { httpStatusCode: 200 },
    });
    await expect(client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});
