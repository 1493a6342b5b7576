import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import type { RotatorConfigInput } from '../functions/domain/config';
import { CredentialRotator } from '../lib/credential-rotator';
import { LAMBDA_ENVIRONMENT_LIMIT_BYTES } from '../lib/lambda-defaults';
import { DEFINITION_LIMIT_BYTES, KEY_POLICY_LIMIT_BYTES, ROLE_POLICY_LIMIT_CHARACTERS, SECRET_POLICY_LIMIT_CHARACTERS } from '../lib/size-limits';
import { MINIMAL_CONFIG, TEST_ENV, testApp } from './support/cdk-app';


/** A PEM bundle of about `bytes` bytes (base64 lines of 64 characters, as a CA chain is written). */
function caBundle(bytes: number): string {
  const line = 'MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ';
  const body = Array.from({ length: Math.ceil(bytes / (line.length + 1)) }, () => line).join('\n');
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

function targets(count: number) {
  return Array.from({ length: count }, (_, index) => ({ providerOrg: `provider-org-${index}`, catalog: `catalog-${index}` }));
}

/** `orgs` consumer orgs, each with `principalsPerOrg` roles of its own account. */
function consumerAccess(orgs: number, principalsPerOrg = 1): Record<string, string[]> {
  return Object.fromEntries(
    Array.from({ length: orgs }, (_, org) => [
      `consumer-org-${org}`,
      Array.from({ length: principalsPerOrg }, (_, role) => `arn:aws:iam::${String(100000000000 + org)}:role/credential-reader-${role}`),
    ]),
  );
}

function rotatorOf(config: Partial<RotatorConfigInput>) {
  const stack = new Stack(testApp(), 'Limits', { env: TEST_ENV });
  const rotator = new CredentialRotator(stack, 'Rotator', { config: { ...MINIMAL_CONFIG, ...config } });
  return { stack, rotator };
}

/** The synth error's message (the CDK reports failed validations all at once, each with its construct path). */
function synthError(stack: Stack): string {
  try {
    Template.fromStack(stack);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the synth to fail');
}

describe('a 64 KB CA bundle, 50 targets and 500 consumer orgs with access', () => {
  const { stack, rotator } = rotatorOf({ apicCaBundle: caBundle(64 * 1024), targets: targets(50), consumerAccess: consumerAccess(500) });
  const sizes = rotator.measureSizes();
  const largest = <T>(items: readonly T[], size: (item: T) => number) => Math.max(...items.map(size));

  it('synthesizes', () => {
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  it('stays under every limit, measured on both state machines, every role, every function and every consumer org', () => {
    const measured = {
      keyPolicyBytes: sizes.keyPolicyBytes,
      largestRolePolicyCharacters: largest(sizes.rolePolicies, (r) => r.characters),
      largestSecretPolicyCharacters: largest(sizes.secretPolicies, (p) => p.characters),
      largestEnvironmentBytes: largest(sizes.environments, (e) => e.bytes),
      definitionBytes: Object.fromEntries(sizes.definitions.map((d) => [d.stateMachine, d.bytes])),
    };
    console.info(`measured sizes: ${JSON.stringify(measured)}`);
    expect(measured.keyPolicyBytes).toBeLessThanOrEqual(KEY_POLICY_LIMIT_BYTES);
    expect(measured.largestRolePolicyCharacters).toBeLessThanOrEqual(ROLE_POLICY_LIMIT_CHARACTERS);
    expect(measured.largestSecretPolicyCharacters).toBeLessThanOrEqual(SECRET_POLICY_LIMIT_CHARACTERS);
    expect(measured.largestEnvironmentBytes).toBeLessThanOrEqual(LAMBDA_ENVIRONMENT_LIMIT_BYTES);
    for (const bytes of Object.values(measured.definitionBytes)) expect(bytes).toBeLessThanOrEqual(DEFINITION_LIMIT_BYTES);
    expect(Object.keys(measured.definitionBytes).sort()).toEqual([rotator.restoreStateMachine.node.path, rotator.stateMachine.node.path].sort());
    expect(sizes.secretPolicies).toHaveLength(500);
    expect(sizes.environments).toHaveLength(Object.keys(rotator.functions).length + Object.keys(rotator.restoreFunctions).length);
    // Every function's role, and the roles of both state machines.
    expect(sizes.rolePolicies.map((r) => r.role)).toEqual(
      expect.arrayContaining([rotator.functions['scan-page'].role?.node.path, rotator.stateMachine.role.node.path, rotator.restoreStateMachine.role.node.path]),
    );
  });
});

describe('the key policy of 10 targets × 30 consumer orgs (about 45 KB with one statement per org)', () => {
  it('stays under 32,768 bytes', () => {
    const { rotator } = rotatorOf({ targets: targets(10), consumerAccess: consumerAccess(30) });
    expect(rotator.measureSizes().keyPolicyBytes).toBeLessThanOrEqual(KEY_POLICY_LIMIT_BYTES);
  });
});

describe('a synth over a limit fails, naming the limit, the measured size and what to change', () => {
  it('key policy: too many consumer principals', () => {
    const { stack } = rotatorOf({ consumerAccess: consumerAccess(700) });
    expect(synthError(stack)).toMatch(/KMS key policy limit \(32,768 bytes\) exceeded: the key policy is [\d,]+ bytes\. .*700 now.* list fewer principals in consumerAccess/);
  });

  it("role policies: a second inline policy on a function's role", () => {
    const { stack, rotator } = rotatorOf({});
    // The CDK moves the overflow of a role's default policy into managed policies; another inline policy stays whole.
    new iam.Policy(rotator, 'ExtraReads', {
      roles: [rotator.functions['scan-page'].role as iam.IRole],
      statements: [
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: Array.from({ length: 200 }, (_, index) => `arn:aws:s3:::an-extra-bucket-of-the-application-${index}/*`),
        }),
      ],
    });
    const message = synthError(stack);
    expect(message).toMatch(/IAM role policy limit \(10,240 characters, whitespace not counted\) exceeded: the inline policies of Limits\/Rotator\/ScanPageRole are [\d,]+ characters/);
    expect(message).toMatch(/through secretPrefix and adminSecretName/);
  });

  it("secret resource policy: one consumer org's principals", () => {
    const { stack } = rotatorOf({ consumerAccess: { 'big-partner': consumerAccess(1, 250)['consumer-org-0'] ?? [] } });
    expect(synthError(stack)).toMatch(
      /Secrets Manager resource policy limit \(20,480 characters\) exceeded: the policy on consumer org "big-partner"'s secrets would be [\d,]+ characters for its 250 principals\. List fewer principals in consumerAccess\["big-partner"\]/,
    );
  });

  it('Lambda environment: a variable added to a function', () => {
    const { stack, rotator } = rotatorOf({});
    rotator.functions['prepare-run'].addEnvironment('EXTRA_SETTINGS', 'x'.repeat(5000));
    expect(synthError(stack)).toMatch(
      /Lambda environment limit \(4,096 bytes\) exceeded: the environment of Limits\/Rotator\/PrepareRun is about [\d,]+ bytes\. Largest: EXTRA_SETTINGS \(5,014 bytes, not from the config\)/,
    );
  });

  it('Lambda environment: a config field too long for it', () => {
    const { stack } = rotatorOf({ adminSecretName: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${'a'.repeat(4100)}` });
    expect(synthError(stack)).toMatch(/Lambda environment limit \(4,096 bytes\) exceeded: .* Largest: ADMIN_SECRET_ID \([\d,]+ bytes, from adminSecretName\)/);
  });

  it('state machine definition: a state machine of the rotator grown past 1 MB', () => {
    const { stack, rotator } = rotatorOf({});
    const oversized = new sfn.Pass(rotator, 'Oversized', { result: sfn.Result.fromString('x'.repeat(DEFINITION_LIMIT_BYTES)) });
    new sfn.StateMachine(rotator, 'Extra', { definitionBody: sfn.DefinitionBody.fromChainable(oversized) });
    expect(synthError(stack)).toMatch(/Step Functions definition limit \(1,048,576 bytes\) exceeded: the definition of Limits\/Rotator\/Extra is [\d,]+ bytes/);
  });
});
