import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetResourcePolicyCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import cdkNag from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConsumerAccessError,
  consumerPolicyResolver,
  consumerReadPolicy,
} from '../functions/domain/access';
import type { RotatorConfigInput } from '../functions/domain/config';
import type { CredentialSecretLocator } from '../functions/domain/ports';
import { SecretsManagerSecretStore } from '../functions/adapters';
import { secretNameFor } from '../functions/domain/secrets';
import { CredentialRotator } from '../lib/credential-rotator';
import { localSdkConfig } from '../tools/runner/local-environment';
import { startSecretsManagerEmulator, type SecretsManagerEmulator } from '../tools/emulators/secrets-manager/emulator';
import { testApp } from './support/cdk-app';

const ENV = { account: '123456789012', region: 'us-east-1' };
const TARGETS = [
  { providerOrg: 'acme', catalog: 'production' },
  { providerOrg: 'acme', catalog: 'sand box' },
];
/** `org` is a prefix of `org-a`'s name: the key policy must still keep them apart. */
const ACCESS = {
  'org-a': ['arn:aws:iam::111111111111:role/a-app', 'arn:aws:iam::111111111111:role/a-batch'],
  org: ['arn:aws:iam::222222222222:role/org-app'],
  'Örg B/x': ['arn:aws:iam::333333333333:role/b-app'],
};
const EVERY_CONSUMER_PRINCIPAL = Object.values(ACCESS).flat();
const CONFIG = {
  targets: TARGETS,
  apicBaseUrl: 'https://apic.example.com/api',
  notificationSender: 'rotation@example.com',
  consumerAccess: ACCESS,
} satisfies RotatorConfigInput;

interface PolicyStatement {
  Sid?: string;
  Effect: string;
  Principal?: { AWS?: unknown };
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const list = (value: unknown): unknown[] => (value === undefined ? [] : [value].flat());
const actionsOf = (statement: PolicyStatement) => list(statement.Action) as string[];
/** ARNs as deployed in the aws partition (the template joins in `AWS::Partition`). */
const arnText = (value: unknown): string => {
  if (typeof value === 'string') return value;
  const record = value as { 'Fn::Join'?: [string, unknown[]]; Ref?: string };
  if (record['Fn::Join']) return record['Fn::Join'][1].map(arnText).join(record['Fn::Join'][0]);
  if (record.Ref === 'AWS::Partition') return 'aws';
  throw new Error(`unexpected token ${JSON.stringify(value)}`);
};
/** IAM `StringLike`: `*` any run of characters, `?` one character, everything else literal. */
const matchesStringLike = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(value);

function locator(consumerOrg: string, target = TARGETS[0] as (typeof TARGETS)[number]): CredentialSecretLocator {
  return { ...target, consumerOrg, app: 'weather app', credential: 'main' };
}

/** The ARN Secrets Manager gives a rotator secret: its name plus a dash and six random characters. */
function deployedSecretArn(secretLocator: CredentialSecretLocator): string {
  return `arn:aws:secretsmanager:us-east-1:123456789012:secret:${secretNameFor('apic-rotator', secretLocator)}-AbC123`;
}

describe('consumerReadPolicy', () => {
  const policy = JSON.parse(
    consumerReadPolicy({ principals: ['arn:aws:iam::111111111111:role/b', 'arn:aws:iam::111111111111:role/a', 'arn:aws:iam::111111111111:role/a'] }),
  ) as { Version: string; Statement: PolicyStatement[] };

  it('lets exactly the given principals describe the secret and read it, nothing else', () => {
    expect(policy.Version).toBe('2012-10-17');
    for (const statement of policy.Statement) {
      expect(statement.Effect).toBe('Allow');
      expect(statement.Principal).toEqual({ AWS: ['arn:aws:iam::111111111111:role/a', 'arn:aws:iam::111111111111:role/b'] });
      expect(statement.Resource).toBe('*');
    }
    expect(policy.Statement.flatMap(actionsOf).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
  });

  it('allows reads of AWSCURRENT or AWSPREVIOUS (the default read is AWSCURRENT) but never by version id', () => {
    const [read] = policy.Statement.filter((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue'));
    expect(read?.Condition).toEqual({
      StringEqualsIfExists: { 'secretsmanager:VersionStage': ['AWSCURRENT', 'AWSPREVIOUS'] },
      Null: { 'secretsmanager:VersionId': 'true' },
    });
  });

  it('names the secret when its ARN is given', () => {
    const arn = deployedSecretArn(locator('org-a'));
    const named = JSON.parse(consumerReadPolicy({ principals: ['arn:aws:iam::111111111111:role/a'], secretArn: arn })) as {
      Statement: PolicyStatement[];
    };
    expect(named.Statement.map((statement) => statement.Resource)).toEqual([arn, arn]);
  });

  it('refuses to build a policy without principals', () => {
    expect(() => consumerReadPolicy({ principals: [] })).toThrow(ConsumerAccessError);
  });
});

describe('consumer access from the config', () => {
  const resolve = consumerPolicyResolver(ACCESS);

  it("gives each consumer org's secrets that org's principals only", () => {
    for (const [consumerOrg, principals] of Object.entries(ACCESS)) {
      const policy = JSON.parse(resolve(locator(consumerOrg)) ?? '{}') as { Statement: PolicyStatement[] };
      for (const statement of policy.Statement) expect(statement.Principal?.AWS).toEqual([...principals].sort());
    }
  });

  it('puts no policy on the secrets of a consumer org without an entry, including inherited object keys', () => {
    expect(resolve(locator('org-c'))).toBeUndefined();
    expect(resolve(locator('constructor'))).toBeUndefined();
    expect(resolve(locator('__proto__'))).toBeUndefined();
  });
});

describe('SecretsManagerSecretStore with consumer access', () => {
  let emulator: SecretsManagerEmulator;
  let client: SecretsManagerClient;
  beforeAll(async () => {
    emulator = await startSecretsManagerEmulator({ randomSeed: 7 });
    client = new SecretsManagerClient(localSdkConfig(emulator.endpoint));
  });
  afterAll(async () => {
    client.destroy();
    await emulator.close();
  });

  it("puts the consumer org's read policy on the secret before the first value, and none for other orgs", async () => {
    const store = new SecretsManagerSecretStore(client, { prefix: 'apic-rotator', resourcePolicyFor: consumerPolicyResolver(ACCESS) });
    const pair = () => ({ clientId: 'c0ffee', clientSecret: 'never-in-a-policy' });
    await store.stagePending(locator('org-a'), 'a'.repeat(64), 'cycle-1', pair);
    await store.stagePending(locator('org-c'), 'b'.repeat(64), 'cycle-1', pair);

    const policyOf = async (consumerOrg: string) =>
      (await client.send(new GetResourcePolicyCommand({ SecretId: store.secretName(locator(consumerOrg)) }))).ResourcePolicy;
    const shared = JSON.parse((await policyOf('org-a')) ?? '{}') as { Statement: PolicyStatement[] };
    expect(shared.Statement.map((statement) => statement.Principal?.AWS)).toEqual([[...ACCESS['org-a']].sort(), [...ACCESS['org-a']].sort()]);
    expect(await policyOf('org-c')).toBeUndefined();
  });
});

describe('the key policy with consumer access', () => {
  const app = testApp();
  const stack = new Stack(app, 'Consumers', { env: ENV });
  new CredentialRotator(stack, 'Rotator', { config: CONFIG });
  const template = Template.fromStack(stack);
  const [key] = Object.values(template.findResources('AWS::KMS::Key'));
  const keyStatements = (key?.Properties.KeyPolicy.Statement ?? []) as PolicyStatement[];
  const consumerStatements = keyStatements.filter((statement) =>
    list(statement.Principal?.AWS).some((principal) => EVERY_CONSUMER_PRINCIPAL.includes(principal as string)),
  );
  const secretArnPatterns = (statement: PolicyStatement) =>
    list(statement.Condition?.StringLike?.['kms:EncryptionContext:SecretARN']).map(arnText);
  const resolvePolicy = consumerPolicyResolver(ACCESS);

  it('lets every consumer principal decrypt, in one statement, only through Secrets Manager and only secrets under the prefix', () => {
    expect(consumerStatements).toHaveLength(1);
    const [statement] = consumerStatements as [PolicyStatement];
    expect(list(statement.Principal?.AWS).sort()).toEqual([...new Set(EVERY_CONSUMER_PRINCIPAL)].sort());
    expect(statement.Effect).toBe('Allow');
    expect(actionsOf(statement)).toEqual(['kms:Decrypt']);
    expect(statement.Condition?.StringEquals).toEqual({ 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' });
    expect(secretArnPatterns(statement)).toEqual(['arn:aws:secretsmanager:us-east-1:123456789012:secret:apic-rotator/*']);
  });

  it("lets a consumer org's principals read its own secrets and no other org's: the key opens the prefix, each secret's policy names its org", () => {
    const [statement] = consumerStatements as [PolicyStatement];
    for (const [consumerOrg, principals] of Object.entries(ACCESS)) {
      for (const other of Object.keys(ACCESS)) {
        for (const target of TARGETS) {
          const otherSecret = locator(other, target);
          expect(secretArnPatterns(statement).some((pattern) => matchesStringLike(pattern, deployedSecretArn(otherSecret)))).toBe(true);
          const secretPolicy = JSON.parse(resolvePolicy(otherSecret) ?? '{}') as { Statement: PolicyStatement[] };
          const readers = secretPolicy.Statement.filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue')).flatMap((s) => list(s.Principal?.AWS));
          for (const principal of principals) expect(readers.includes(principal), `${principal} of ${consumerOrg} reading ${other}`).toBe(other === consumerOrg);
        }
      }
    }
  });

  it('grants consumers nothing in any IAM policy of the stack, least of all writes', () => {
    const identityStatements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as PolicyStatement[],
    );
    const text = JSON.stringify(identityStatements);
    for (const principal of EVERY_CONSUMER_PRINCIPAL) expect(text).not.toContain(principal);
    const writes = /^(secretsmanager:(Put|Delete|Update|Create|Restore|Tag|Untag)|kms:(Encrypt|ReEncrypt|GenerateDataKey|Create|Put|Delete|Schedule))/;
    for (const statement of consumerStatements) expect(actionsOf(statement).filter((action) => writes.test(action))).toEqual([]);
  });
});

describe('AwsSolutions checks with several consumer orgs on the default key', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'rotator-consumer-nag-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('pass', () => {
    const app = testApp({ outdir });
    Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app));
    new CredentialRotator(new Stack(app, 'Consumers', { env: ENV }), 'Rotator', { config: CONFIG });
    expect(() => app.synth()).not.toThrow();
  });
});
