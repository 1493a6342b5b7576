import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  InternalServiceError,
  InvalidParameterException,
  InvalidRequestException,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
  type Filter,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSecretsManagerEmulator, type SecretsManagerEmulator } from '../tools/emulators/secrets-manager/emulator';

const token = (label: string) => label.padEnd(32, '0');

let emulator: SecretsManagerEmulator;
let client: SecretsManagerClient;
let counter = 0;
const uniqueName = (base: string) => `${base}-${++counter}`;

beforeAll(async () => {
  emulator = await startSecretsManagerEmulator({ randomSeed: 7 });
  client = new SecretsManagerClient({
    region: 'us-east-1',
    endpoint: emulator.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterEach(() => emulator.faults.clear());

afterAll(async () => {
  client.destroy();
  await emulator.close();
});

async function listAllNames(sdk: SecretsManagerClient, filters: Filter[], pageSize = 2): Promise<string[]> {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sdk.send(new ListSecretsCommand({ Filters: filters, MaxResults: pageSize, NextToken: nextToken }));
    names.push(...(page.SecretList ?? []).map((secret) => secret.Name ?? ''));
    nextToken = page.NextToken;
  } while (nextToken);
  return names;
}

async function createWithValue(name: string, value: string) {
  return client.send(new CreateSecretCommand({ Name: name, SecretString: value, ClientRequestToken: token('initial') }));
}

describe('CreateSecret and DescribeSecret', () => {
  it('returns an ARN with the name and a six-character suffix, and epoch dates parsed into Date', async () => {
    const name = uniqueName('orders/app');
    const created = await createWithValue(name, 'v1');
    expect(created.ARN).toMatch(new RegExp(`^arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-[A-Za-z0-9]{6}$`));
    const described = await client.send(new DescribeSecretCommand({ SecretId: created.ARN }));
    expect(described.Name).toBe(name);
    expect(described.CreatedDate).toBeInstanceOf(Date);
    expect(Math.abs((described.CreatedDate?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
    expect(described.VersionIdsToStages).toEqual({ [token('initial')]: ['AWSCURRENT'] });
  });

  it('creates a secret without a value that has no versions, keeping tags, KMS key and description', async () => {
    const name = uniqueName('empty');
    await client.send(
      new CreateSecretCommand({ Name: name, Tags: [{ Key: 'team', Value: 'billing' }], KmsKeyId: 'alias/rotator', Description: 'ledger only' }),
    );
    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.VersionIdsToStages).toEqual({});
    expect(described.Tags).toEqual([{ Key: 'team', Value: 'billing' }]);
    expect(described.KmsKeyId).toBe('alias/rotator');
    expect(described.Description).toBe('ledger only');
    await expect(client.send(new GetSecretValueCommand({ SecretId: name }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('rejects a duplicate name with ResourceExistsException (HTTP 400)', async () => {
    const name = uniqueName('dup');
    await createWithValue(name, 'v1');
    const error = await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v2' })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ResourceExistsException);
    expect((error as ResourceExistsException).$metadata.httpStatusCode).toBe(400);
  });

  it('rejects values over 65,536 bytes and tokens outside 32-64 characters', async () => {
    const name = uniqueName('limits');
    await createWithValue(name, 'v1');
    const tooLarge = client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'é'.repeat(32_769), ClientRequestToken: token('big') }));
    await expect(tooLarge).rejects.toMatchObject({ name: 'ValidationException' });
    const shortToken = client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'x', ClientRequestToken: 'short' }));
    await expect(shortToken).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'a'.repeat(65_536), ClientRequestToken: token('max') })),
    ).resolves.toMatchObject({ VersionId: token('max') });
  });
});

describe('PutSecretValue and staging labels', () => {
  it('ignores a repeated token with the same value and rejects it with a different value', async () => {
    const name = uniqueName('idem');
    await createWithValue(name, 'v1');
    const put = () => client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2', ClientRequestToken: token('second') }));
    await put();
    await put();
    expect(emulator.inspect.versions(name)).toHaveLength(2);
    const conflicting = client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'other', ClientRequestToken: token('second') }));
    await expect(conflicting).rejects.toBeInstanceOf(ResourceExistsException);
  });

  it('moves AWSCURRENT without VersionStages and leaves AWSPREVIOUS on the version it left', async () => {
    const name = uniqueName('current');
    await createWithValue(name, 'v1');
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2', ClientRequestToken: token('two') }));
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v3', ClientRequestToken: token('three') }));
    expect(emulator.inspect.versions(name)).toEqual([
      { versionId: token('initial'), stages: [], value: 'v1' },
      { versionId: token('two'), stages: ['AWSPREVIOUS'], value: 'v2' },
      { versionId: token('three'), stages: ['AWSCURRENT'], value: 'v3' },
    ]);
    const current = await client.send(new GetSecretValueCommand({ SecretId: name }));
    expect(current.SecretString).toBe('v3');
  });

  it('attaches only AWSPENDING when asked, leaving AWSCURRENT alone', async () => {
    const name = uniqueName('pending');
    await createWithValue(name, 'v1');
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'p1', ClientRequestToken: token('p1'), VersionStages: ['AWSPENDING'] }));
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'p2', ClientRequestToken: token('p2'), VersionStages: ['AWSPENDING'] }));
    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.VersionIdsToStages).toEqual({ [token('initial')]: ['AWSCURRENT'], [token('p2')]: ['AWSPENDING'] });
  });

  it('requires VersionId and VersionStage to agree in GetSecretValue', async () => {
    const name = uniqueName('agree');
    await createWithValue(name, 'v1');
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'p', ClientRequestToken: token('p'), VersionStages: ['AWSPENDING'] }));
    const both = await client.send(new GetSecretValueCommand({ SecretId: name, VersionId: token('p'), VersionStage: 'AWSPENDING' }));
    expect(both.SecretString).toBe('p');
    expect(both.VersionStages).toEqual(['AWSPENDING']);
    await expect(
      client.send(new GetSecretValueCommand({ SecretId: name, VersionId: token('p'), VersionStage: 'AWSCURRENT' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('moves labels with UpdateSecretVersionStage and refuses a RemoveFromVersionId that does not hold the label', async () => {
    const name = uniqueName('move');
    await createWithValue(name, 'v1');
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'p', ClientRequestToken: token('p'), VersionStages: ['AWSPENDING'] }));
    const wrongHolder = client.send(
      new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSCURRENT', MoveToVersionId: token('p'), RemoveFromVersionId: token('p') }),
    );
    await expect(wrongHolder).rejects.toBeInstanceOf(InvalidParameterException);
    const unnamedHolder = client.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSCURRENT', MoveToVersionId: token('p') }));
    await expect(unnamedHolder).rejects.toBeInstanceOf(InvalidParameterException);

    await client.send(
      new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSCURRENT', MoveToVersionId: token('p'), RemoveFromVersionId: token('initial') }),
    );
    await client.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSPENDING', RemoveFromVersionId: token('p') }));
    const versions = await client.send(new ListSecretVersionIdsCommand({ SecretId: name }));
    expect(versions.Versions?.map((version) => [version.VersionId, version.VersionStages])).toEqual([
      [token('initial'), ['AWSPREVIOUS']],
      [token('p'), ['AWSCURRENT']],
    ]);
  });

  it('lists deprecated versions only when asked, with paging', async () => {
    const name = uniqueName('versions');
    await createWithValue(name, 'v1');
    for (const label of ['a', 'b', 'c']) {
      await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: label, ClientRequestToken: token(label) }));
    }
    const staged = await client.send(new ListSecretVersionIdsCommand({ SecretId: name }));
    expect(staged.Versions).toHaveLength(2);
    const first = await client.send(new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true, MaxResults: 3 }));
    const second = await client.send(new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true, MaxResults: 3, NextToken: first.NextToken }));
    expect([...(first.Versions ?? []), ...(second.Versions ?? [])].map((version) => version.VersionId)).toEqual(
      ['initial', 'a', 'b', 'c'].map(token),
    );
    expect(second.NextToken).toBeUndefined();
  });
});

describe('ListSecrets', () => {
  const prefix = 'listing';
  beforeAll(async () => {
    for (let index = 0; index < 7; index++) {
      await client.send(
        new CreateSecretCommand({
          Name: `${prefix}/${index % 2 === 0 ? 'even' : 'odd'}/${index}`,
          Description: index === 3 ? 'Special Secret' : undefined,
          Tags: [
            { Key: 'index', Value: String(index) },
            ...(index % 3 === 0 ? [{ Key: 'rotator:notice-pending', Value: 'yes' }] : []),
          ],
        }),
      );
    }
  });

  it('pages through a name-prefix filter without losing or repeating secrets', async () => {
    expect(await listAllNames(client, [{ Key: 'name', Values: [`${prefix}/`] }])).toEqual([0, 1, 2, 3, 4, 5, 6].map((index) => `${prefix}/${index % 2 === 0 ? 'even' : 'odd'}/${index}`));
  });

  it('ANDs filters, ORs values, and matches tag keys and values by prefix', async () => {
    expect(await listAllNames(client, [{ Key: 'name', Values: [`${prefix}/`] }, { Key: 'tag-key', Values: ['rotator:notice'] }])).toEqual([
      `${prefix}/even/0`,
      `${prefix}/odd/3`,
      `${prefix}/even/6`,
    ]);
    expect(await listAllNames(client, [{ Key: 'name', Values: [`${prefix}/odd/`, `${prefix}/even/4`] }])).toEqual([
      `${prefix}/odd/1`,
      `${prefix}/odd/3`,
      `${prefix}/even/4`,
      `${prefix}/odd/5`,
    ]);
    expect(await listAllNames(client, [{ Key: 'name', Values: [`${prefix}/`] }, { Key: 'tag-value', Values: ['5'] }])).toEqual([`${prefix}/odd/5`]);
  });

  it('matches descriptions case-insensitively and supports negation', async () => {
    expect(await listAllNames(client, [{ Key: 'description', Values: ['special'] }])).toEqual([`${prefix}/odd/3`]);
    expect(await listAllNames(client, [{ Key: 'name', Values: [`${prefix}/`] }, { Key: 'name', Values: [`!${prefix}/odd`] }])).toEqual([
      `${prefix}/even/0`,
      `${prefix}/even/2`,
      `${prefix}/even/4`,
      `${prefix}/even/6`,
    ]);
  });

  it('returns tags in the listing', async () => {
    const page = await client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [`${prefix}/even/0`] }] }));
    expect(page.SecretList?.[0]?.Tags).toEqual([
      { Key: 'index', Value: '0' },
      { Key: 'rotator:notice-pending', Value: 'yes' },
    ]);
  });

  it('rejects filter values outside the documented pattern', async () => {
    await expect(client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['bad#value'] }] }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });
});

describe('tags, deletion and resource policies', () => {
  it('adds, overwrites and removes tags', async () => {
    const name = uniqueName('tags');
    await client.send(new CreateSecretCommand({ Name: name, Tags: [{ Key: 'a', Value: '1' }] }));
    await client.send(new TagResourceCommand({ SecretId: name, Tags: [{ Key: 'a', Value: '2' }, { Key: 'b', Value: 'x y' }] }));
    await client.send(new UntagResourceCommand({ SecretId: name, TagKeys: ['b', 'missing'] }));
    expect(emulator.inspect.tags(name)).toEqual({ a: '2' });
    await expect(client.send(new TagResourceCommand({ SecretId: name, Tags: [{ Key: 'bad', Value: 'semi;colon' }] }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('schedules deletion by default and removes at once when forced', async () => {
    const scheduled = uniqueName('scheduled');
    await createWithValue(scheduled, 'v');
    await client.send(new DeleteSecretCommand({ SecretId: scheduled, RecoveryWindowInDays: 7 }));
    await expect(client.send(new GetSecretValueCommand({ SecretId: scheduled }))).rejects.toBeInstanceOf(InvalidRequestException);
    const described = await client.send(new DescribeSecretCommand({ SecretId: scheduled }));
    expect(described.DeletedDate).toBeInstanceOf(Date);

    const forced = uniqueName('forced');
    await createWithValue(forced, 'v');
    await client.send(new DeleteSecretCommand({ SecretId: forced, ForceDeleteWithoutRecovery: true }));
    await expect(client.send(new DescribeSecretCommand({ SecretId: forced }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(emulator.inspect.secretNames()).not.toContain(forced);
    await expect(createWithValue(forced, 'again')).resolves.toMatchObject({ Name: forced });
  });

  it('stores a resource policy and rejects malformed JSON', async () => {
    const name = uniqueName('policy');
    await createWithValue(name, 'v');
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [] });
    await client.send(new PutResourcePolicyCommand({ SecretId: name, ResourcePolicy: policy }));
    expect((await client.send(new GetResourcePolicyCommand({ SecretId: name }))).ResourcePolicy).toBe(policy);
    await expect(client.send(new PutResourcePolicyCommand({ SecretId: name, ResourcePolicy: '{' }))).rejects.toMatchObject({
      name: 'MalformedPolicyDocumentException',
    });
  });

  it('batch-reads current values and reports missing ids as errors', async () => {
    const name = uniqueName('batch');
    await createWithValue(name, 'batched');
    const result = await client.send(new BatchGetSecretValueCommand({ SecretIdList: [name, 'does-not-exist'] }));
    expect(result.SecretValues?.map((value) => value.SecretString)).toEqual(['batched']);
    expect(result.Errors).toEqual([expect.objectContaining({ SecretId: 'does-not-exist', ErrorCode: 'ResourceNotFoundException' })]);
  });
});

describe('faults, counts and the request log', () => {
  it('lets the SDK retry injected throttling and succeed', async () => {
    const name = uniqueName('throttled');
    await createWithValue(name, 'v');
    const before = emulator.counts()['GetSecretValue'] ?? 0;
    emulator.faults.throttleNext('GetSecretValue', 1);
    const value = await client.send(new GetSecretValueCommand({ SecretId: name }));
    expect(value.SecretString).toBe('v');
    expect((emulator.counts()['GetSecretValue'] ?? 0) - before).toBe(2);
  });

  it('surfaces injected failures once the SDK runs out of attempts', async () => {
    emulator.faults.failNext('DescribeSecret', 3);
    const error = await client.send(new DescribeSecretCommand({ SecretId: 'anything' })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InternalServiceError);
    expect((error as InternalServiceError).$metadata.httpStatusCode).toBe(500);

    emulator.faults.failNext('DescribeSecret', 1, 'AccessDeniedException');
    const denied = await client.send(new DescribeSecretCommand({ SecretId: 'anything' })).catch((caught: unknown) => caught);
    expect(denied).toBeInstanceOf(SecretsManagerServiceException);
    expect((denied as Error).name).toBe('AccessDeniedException');
  });

  it('records raw request bodies by operation', async () => {
    const name = uniqueName('logged');
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'never-here', ClientRequestToken: token('x') })).catch(() => undefined);
    const logged = emulator.requests().filter((request) => request.operation === 'PutSecretValue' && request.body.includes(name));
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0]?.body ?? '{}')).toMatchObject({ SecretId: name, SecretString: 'never-here' });
  });

  it('handles 100,000 secrets with map lookups and a linear filtered listing', async () => {
    const bulk = await startSecretsManagerEmulator({ randomSeed: 1, recordRequests: false });
    const bulkClient = new SecretsManagerClient({ region: 'us-east-1', endpoint: bulk.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    try {
      bulk.seed(
        Array.from({ length: 100_000 }, (_, index) => ({
          name: `bulk/${index}`,
          tags: {
            ...(index % 10_000 === 0 && { 'rotator:notice-pending': 'yes' }),
            ...(index % 100 === 0 && { percentile: String(index / 100) }),
          },
        })),
      );
      expect(bulk.inspect.secretNames()).toHaveLength(100_000);
      const marked = await listAllNames(bulkClient, [{ Key: 'tag-key', Values: ['rotator:notice-pending'] }], 100);
      expect(marked).toEqual(Array.from({ length: 10 }, (_, index) => `bulk/${index * 10_000}`));
      expect((await bulkClient.send(new DescribeSecretCommand({ SecretId: 'bulk/99999' }))).Name).toBe('bulk/99999');
      const sampled = await listAllNames(bulkClient, [{ Key: 'tag-key', Values: ['percentile'] }], 100);
      expect(new Set(sampled).size).toBe(1000);
      expect(sampled.at(-1)).toBe('bulk/99900');
    } finally {
      bulkClient.destroy();
      await bulk.close();
    }
  });
});

describe('invoke (in process, for volume tests)', () => {
  it('answers an operation as HTTP does, counts it, applies injected faults and refuses an unknown operation', async () => {
    const name = uniqueName('in-process');
    await client.send(new CreateSecretCommand({ Name: name, Tags: [{ Key: 'k', Value: 'v' }] }));
    const overHttp = await client.send(new DescribeSecretCommand({ SecretId: name }));
    const before = emulator.counts().DescribeSecret ?? 0;
    const inProcess = emulator.invoke('DescribeSecret', { SecretId: name }) as { ARN: string; Name: string; Tags: unknown[] };
    expect({ ARN: inProcess.ARN, Name: inProcess.Name, Tags: inProcess.Tags }).toEqual({ ARN: overHttp.ARN, Name: overHttp.Name, Tags: overHttp.Tags });
    expect(emulator.counts().DescribeSecret).toBe(before + 1);
    emulator.faults.throttleNext('TagResource', 1);
    expect(() => emulator.invoke('TagResource', { SecretId: name, Tags: [{ Key: 'k', Value: 'w' }] })).toThrow(expect.objectContaining({ name: 'ThrottlingException' }));
    expect(() => emulator.invoke('Nonsense', {})).toThrow(expect.objectContaining({ name: 'UnknownOperationException' }));
    expect(emulator.inspect.tags(name)).toEqual({ k: 'v' });
  });
});
