/**
 * The size limits AWS enforces only at deploy time, checked at synth so that a config that cannot deploy fails with
 * the limit, the measured size and the config field to change, rather than half way through a CloudFormation
 * update. Deploy-time values (ARNs, names, pseudo parameters) are counted at conservative placeholder lengths.
 */
import { Stack } from 'aws-cdk-lib';
import { CfnPolicy, CfnRole } from 'aws-cdk-lib/aws-iam';
import type { CfnKey } from 'aws-cdk-lib/aws-kms';
import { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { consumerReadPolicy } from '../functions/domain/access';
import type { RotatorConfig } from '../functions/domain/config';
import { LAMBDA_ENVIRONMENT_LIMIT_BYTES, RotatorFunction } from './lambda-defaults';

/**
 * "Up to 32 kilobytes (32,768 bytes)" (key policy format,
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).
 */
export const KEY_POLICY_LIMIT_BYTES = 32_768;
/**
 * "Role policy size cannot exceed 10,240 characters", the sum of all inline policies of a role; "IAM does not count
 * white space when calculating the size of a policy against these limitations"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
 */
export const ROLE_POLICY_LIMIT_CHARACTERS = 10_240;
/**
 * PutResourcePolicy's `ResourcePolicy`: maximum length of 20480
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutResourcePolicy.html; the resource-based
 * policy quota in https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html).
 */
export const SECRET_POLICY_LIMIT_CHARACTERS = 20_480;
/**
 * "Maximum size of state machine definition: 1 MB", a hard quota
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html, quotas related to accounts).
 */
export const DEFINITION_LIMIT_BYTES = 1_048_576;

/** Placeholder lengths of deploy-time values, each at least the longest value AWS can give. */
const PSEUDO_PARAMETER_LENGTHS: Readonly<Record<string, number>> = {
  'AWS::Partition': 10, // aws-us-gov
  'AWS::Region': 20, // ap-southeast-5, us-gov-west-1: 14 at most today
  'AWS::AccountId': 12,
  'AWS::URLSuffix': 20, // amazonaws.com.cn
};
/** Any other reference: an ARN, name or id of a resource of the stack (a Lambda ARN is at most 122 characters). */
const REFERENCE_LENGTH = 128;

export interface EnvironmentSize {
  readonly function: string;
  readonly bytes: number;
  readonly variables: ReadonlyArray<{ readonly name: string; readonly bytes: number }>;
}

export interface SizeMeasurements {
  /** The key policy in bytes; absent when the key is imported (its policy is not part of this stack). */
  readonly keyPolicyBytes?: number;
  /** Each role of the rotator: the characters of all its inline policies, whitespace not counted. */
  readonly rolePolicies: ReadonlyArray<{ readonly role: string; readonly characters: number }>;
  /** Each consumer org with principals: the resource policy the runtime puts on its secrets. */
  readonly secretPolicies: ReadonlyArray<{ readonly consumerOrg: string; readonly principals: number; readonly characters: number }>;
  /** Each function's environment, estimated as RotatorFunction counts it. */
  readonly environments: readonly EnvironmentSize[];
  /** Each state machine's definition in bytes. */
  readonly definitions: ReadonlyArray<{ readonly stateMachine: string; readonly bytes: number }>;
}

/** Measures every size-limited document of the rotator below `scope`. */
export function measureSizes(scope: Construct, config: RotatorConfig, key: CfnKey | undefined): SizeMeasurements {
  const stack = Stack.of(scope);
  const measured = (value: unknown) => JSON.stringify(withPlaceholders(stack.resolve(value)));
  const constructs = scope.node.findAll();
  const inlinePolicies = constructs.filter((c): c is CfnPolicy => c instanceof CfnPolicy);
  const rolePolicies = constructs
    .filter((c): c is CfnRole => c instanceof CfnRole)
    .map((role) => {
      const roleRef = JSON.stringify(stack.resolve(role.ref));
      const documents = [
        ...(stack.resolve(role.policies) as Array<{ policyDocument: unknown }> | undefined ?? []).map((policy) => policy.policyDocument),
        ...inlinePolicies
          .filter((policy) => (stack.resolve(policy.roles) as unknown[] | undefined ?? []).some((ref) => JSON.stringify(ref) === roleRef))
          .map((policy) => policy.policyDocument),
      ];
      const characters = documents.reduce<number>((sum, document) => sum + measured(document).replace(/\s/g, '').length, 0);
      return { role: role.node.scope?.node.path ?? role.node.path, characters };
    });
  return {
    ...(key ? { keyPolicyBytes: Buffer.byteLength(measured(key.keyPolicy)) } : {}),
    rolePolicies,
    secretPolicies: Object.entries(config.consumerAccess)
      .filter(([, principals]) => principals.length > 0)
      .map(([consumerOrg, principals]) => ({
        consumerOrg,
        principals: new Set(principals).size,
        // What the runtime's consumerPolicyResolver attaches to each secret of the org.
        characters: consumerReadPolicy({ principals }).length,
      })),
    environments: constructs
      .filter((c): c is RotatorFunction => c instanceof RotatorFunction)
      .map((fn) => {
        const { totalBytes, variables } = fn.environmentFootprint();
        return { function: fn.node.path, bytes: totalBytes, variables };
      }),
    definitions: constructs
      .filter((c): c is CfnStateMachine => c instanceof CfnStateMachine)
      .map((machine) => ({ stateMachine: machine.node.scope?.node.path ?? machine.node.path, bytes: Buffer.byteLength(measuredText(stack, machine.definitionString)) })),
  };
}

/** A definition string, with its deploy-time parts at placeholder length. */
function measuredText(stack: Stack, value: unknown): string {
  const resolved = withPlaceholders(stack.resolve(value));
  return typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
}

/** Each CloudFormation intrinsic replaced by a string of its conservative length; `Fn::Join` joined. */
function withPlaceholders(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withPlaceholders);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const [only] = entries;
  if (entries.length === 1 && only && (only[0] === 'Ref' || only[0].startsWith('Fn::'))) {
    const [intrinsic, argument] = only;
    if (intrinsic === 'Fn::Join') {
      const [separator, parts] = argument as [string, unknown[]];
      return parts.map((part) => String(withPlaceholders(part))).join(separator);
    }
    const length = intrinsic === 'Ref' ? (PSEUDO_PARAMETER_LENGTHS[argument as string] ?? REFERENCE_LENGTH) : REFERENCE_LENGTH;
    return 'x'.repeat(length);
  }
  return Object.fromEntries(entries.map(([key, inner]) => [key, withPlaceholders(inner)]));
}

/** Config fields that reach each environment variable the construct sets. */
const ENVIRONMENT_SOURCES: Readonly<Record<string, string>> = {
  ADMIN_SECRET_ID: 'adminSecretName',
  SECRET_PREFIX: 'secretPrefix',
  NOTIFICATION_SENDER: 'notificationSender',
};

const count = (value: number) => value.toLocaleString('en-US');

/** One message per exceeded limit, each naming the limit, the measured size and what to change. */
export function sizeLimitProblems(sizes: SizeMeasurements, config: RotatorConfig): string[] {
  const problems: string[] = [];
  if (sizes.keyPolicyBytes !== undefined && sizes.keyPolicyBytes > KEY_POLICY_LIMIT_BYTES) {
    const principals = new Set(Object.values(config.consumerAccess).flat()).size;
    problems.push(
      `KMS key policy limit (${count(KEY_POLICY_LIMIT_BYTES)} bytes) exceeded: the key policy is ${count(sizes.keyPolicyBytes)} bytes. ` +
        `It grows with each distinct principal in consumerAccess (${count(principals)} now): list fewer principals in consumerAccess ` +
        `(e.g. one role or the account root per consumer account), or pass an encryptionKey whose policy you manage.`,
    );
  }
  for (const { role, characters } of sizes.rolePolicies) {
    if (characters <= ROLE_POLICY_LIMIT_CHARACTERS) continue;
    problems.push(
      `IAM role policy limit (${count(ROLE_POLICY_LIMIT_CHARACTERS)} characters, whitespace not counted) exceeded: the inline policies of ${role} ` +
        `are ${count(characters)} characters. The config reaches them through secretPrefix and adminSecretName (shorten them); ` +
        `statements added to this role outside the construct count too.`,
    );
  }
  for (const { consumerOrg, principals, characters } of sizes.secretPolicies) {
    if (characters <= SECRET_POLICY_LIMIT_CHARACTERS) continue;
    problems.push(
      `Secrets Manager resource policy limit (${count(SECRET_POLICY_LIMIT_CHARACTERS)} characters) exceeded: the policy on consumer org ` +
        `"${consumerOrg}"'s secrets would be ${count(characters)} characters for its ${count(principals)} principals. ` +
        `List fewer principals in consumerAccess["${consumerOrg}"] (e.g. one role or the account root per consumer account).`,
    );
  }
  for (const environment of sizes.environments) {
    if (environment.bytes <= LAMBDA_ENVIRONMENT_LIMIT_BYTES) continue;
    const largest = environment.variables
      .slice(0, 3)
      .map(({ name, bytes }) => `${name} (${count(bytes)} bytes, ${ENVIRONMENT_SOURCES[name] ? `from ${ENVIRONMENT_SOURCES[name]}` : 'not from the config'})`)
      .join(', ');
    problems.push(
      `Lambda environment limit (${count(LAMBDA_ENVIRONMENT_LIMIT_BYTES)} bytes) exceeded: the environment of ${environment.function} is about ` +
        `${count(environment.bytes)} bytes. Largest: ${largest}. Shorten the config field named there, or remove variables added outside the construct.`,
    );
  }
  for (const { stateMachine, bytes } of sizes.definitions) {
    if (bytes <= DEFINITION_LIMIT_BYTES) continue;
    problems.push(
      `Step Functions definition limit (${count(DEFINITION_LIMIT_BYTES)} bytes) exceeded: the definition of ${stateMachine} is ${count(bytes)} bytes. ` +
        `No config field sets its size; remove states added to it.`,
    );
  }
  return problems;
}
