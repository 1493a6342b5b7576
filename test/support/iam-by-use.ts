/**
 * IAM proven by use: the AWS requests behind the SDK calls the steps made in local runs, and their evaluation
 * against the synthesized stack's policies with @cloud-copilot/iam-simulate.
 *
 * The template is synthesized at test time with the local runs' account and region, and its remaining tokens are
 * resolved to the ARNs the emulators use (`LOCAL_*` of tools/runner/workflow-runner.ts), so a request names the very
 * resources a policy names. What the services do with the key on the caller's behalf is added as the KMS request it
 * implies, as the AWS documentation describes it:
 * - Secrets Manager, for a secret under a customer managed key: "When Secrets Manager uses a KMS key in cryptographic
 *   operations, it acts on behalf of the user who is creating or changing the secret value in the secret. To use the
 *   KMS key for a secret on your behalf, the user must have the following permissions … kms:GenerateDataKey,
 *   kms:Decrypt", and "Secrets Manager calls the Decrypt operation in response to the GetSecretValue operation"; the
 *   encryption context of each call is the secret's `SecretARN` and `SecretVersionId`
 *   (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html, "Permissions for the KMS
 *   key" and "Secrets Manager encryption context"). A secret under aws/secretsmanager needs no key permission.
 * - Secrets Manager CreateSecret with tags: "If you include tags in the secret, you also need
 *   secretsmanager:TagResource" (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html).
 * - S3 with default SSE-KMS: PutObject needs kms:GenerateDataKey and GetObject kms:Decrypt on the key; a multipart
 *   upload needs "kms:GenerateDataKey action for the CreateMultipartUpload API" and "kms:Decrypt action on the
 *   UploadPart and UploadPartCopy APIs" (https://repost.aws/knowledge-center/s3-large-file-encryption-kms-key).
 *   "When an S3 Bucket Key is enabled … the encryption context will be the bucket Amazon Resource Name (ARN) and not
 *   the object ARN" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-bucket-key.html).
 * - Both through `kms:ViaService` = `<service>.<region>.amazonaws.com`
 *   (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
 */
import { runSimulation, type SimulationIdentityPolicy } from '@cloud-copilot/iam-simulate';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import type { CfnKey } from 'aws-cdk-lib/aws-kms';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { STEP_IDS, type StepId } from '../../functions/steps';
import type { RotatorFunction } from '../../lib/lambda-defaults';
import { RotationStack } from '../../lib/rotation-stack';
import type { SecretsManagerSnapshot } from '../../tools/emulators/secrets-manager/emulator';
import { LOCAL_ACCOUNT, LOCAL_ENCRYPTION_KEY_ARN, LOCAL_REGION, LOCAL_REPORT_BUCKET, type StepSdkCall } from '../../tools/runner/workflow-runner';
import { testApp } from './cdk-app';

type Json = Record<string, unknown>;
type Policy = { Version?: string; Statement: Json[] };

/** One request IAM authorizes: a step's own SDK call, or the KMS call a service makes for it. */
export interface AuthorizationRequest {
  readonly step: StepId;
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, string>>;
  /** The SDK call behind a KMS request, e.g. `secretsmanager:PutSecretValue`; absent for the call itself. */
  readonly impliedBy?: string;
}

/** The policies of the synthesized stack that decide the steps' requests, with every token resolved. */
export interface SynthesizedGrants {
  /** Each step's function role and the identity policies attached to it. */
  readonly roles: Readonly<Record<StepId, { readonly arn: string; readonly policies: readonly SimulationIdentityPolicy[] }>>;
  readonly keyArn: string;
  readonly keyPolicy: Policy;
  readonly bucketArn: string;
  readonly bucketPolicy?: Policy;
  /** The report bucket's default encryption: its key and whether an S3 Bucket Key is on. */
  readonly bucketEncryption?: { readonly keyArn: string; readonly bucketKey: boolean };
}

type Template = { Resources: Record<string, { Type: string; Properties?: Json }> };

/** Synthesizes the stack as `cdk synth` would for `config`, in the local account and region, and resolves its tokens. */
export function synthesizeGrants(config: unknown): SynthesizedGrants {
  const app = testApp();
  const stack = new RotationStack(app, 'IamByUse', { config, env: { account: LOCAL_ACCOUNT, region: LOCAL_REGION } });
  const template = app.synth().getStackByName(stack.stackName).template as Template;
  const { rotator } = stack;
  const keyId = stack.getLogicalId(rotator.encryptionKey.node.defaultChild as CfnKey);
  const bucketId = stack.getLogicalId(rotator.reportBucket.node.defaultChild as CfnBucket);
  const resolve = tokenResolver(template, { [keyId]: LOCAL_ENCRYPTION_KEY_ARN }, { [bucketId]: LOCAL_REPORT_BUCKET });
  const resources = template.Resources;
  const functions: Record<StepId, RotatorFunction> = { ...rotator.functions, ...rotator.restoreFunctions };

  const roles = Object.fromEntries(
    STEP_IDS.map((step) => {
      const role = functions[step]?.role;
      if (!role) throw new Error(`step ${step} has no function role in the synthesized stack`);
      const roleId = stack.getLogicalId(role.node.defaultChild as CfnRole);
      const roleProperties = resources[roleId]?.Properties ?? {};
      if (roleProperties.ManagedPolicyArns !== undefined) throw new Error(`role of ${step} has managed policies, which this check cannot read`);
      const inline = ((roleProperties.Policies as Json[] | undefined) ?? []).map((policy) => ({ name: String(policy.PolicyName), policy: policy.PolicyDocument }));
      const attached = Object.entries(resources)
        .filter(([, resource]) => resource.Type === 'AWS::IAM::Policy' && ((resource.Properties?.Roles as Json[] | undefined) ?? []).some((ref) => ref.Ref === roleId))
        .map(([id, resource]) => ({ name: id, policy: resource.Properties?.PolicyDocument }));
      return [step, { arn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${roleId}`, policies: [...inline, ...attached].map(({ name, policy }) => ({ name, policy: resolve(policy) })) }];
    }),
  ) as unknown as SynthesizedGrants['roles'];

  const bucket = resources[bucketId]?.Properties ?? {};
  const encryption = (bucket.BucketEncryption as { ServerSideEncryptionConfiguration?: Json[] } | undefined)?.ServerSideEncryptionConfiguration?.[0];
  const byDefault = encryption?.ServerSideEncryptionByDefault as Json | undefined;
  const bucketPolicy = Object.values(resources).find(
    (resource) => resource.Type === 'AWS::S3::BucketPolicy' && (resource.Properties?.Bucket as Json | undefined)?.Ref === bucketId,
  );
  return {
    roles,
    keyArn: LOCAL_ENCRYPTION_KEY_ARN,
    keyPolicy: resolve(resources[keyId]?.Properties?.KeyPolicy) as Policy,
    bucketArn: `arn:aws:s3:::${LOCAL_REPORT_BUCKET}`,
    ...(bucketPolicy ? { bucketPolicy: resolve(bucketPolicy.Properties?.PolicyDocument) as Policy } : {}),
    ...(byDefault?.SSEAlgorithm === 'aws:kms'
      ? { bucketEncryption: { keyArn: String(resolve(byDefault.KMSMasterKeyID)), bucketKey: encryption?.BucketKeyEnabled === true } }
      : {}),
  };
}

/**
 * Resolves Ref, Fn::GetAtt and Fn::Join as CloudFormation would in the local account: the rotator's key and report
 * bucket to the emulators' ones, any other resource to an ARN named by its logical id.
 */
function tokenResolver(template: Template, keyArns: Record<string, string>, bucketNames: Record<string, string>): (value: unknown) => unknown {
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': LOCAL_REGION,
    'AWS::AccountId': LOCAL_ACCOUNT,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const typeOf = (id: string) => {
    const type = template.Resources[id]?.Type;
    if (!type) throw new Error(`the template refers to ${id}, which it does not hold`);
    return type;
  };
  const bucketName = (id: string) => bucketNames[id] ?? id.toLowerCase();
  const arnOf = (id: string): string => {
    const type = typeOf(id);
    if (type === 'AWS::KMS::Key') return keyArns[id] ?? `arn:aws:kms:${LOCAL_REGION}:${LOCAL_ACCOUNT}:key/${id}`;
    if (type === 'AWS::S3::Bucket') return `arn:aws:s3:::${bucketName(id)}`;
    if (type === 'AWS::IAM::Role') return `arn:aws:iam::${LOCAL_ACCOUNT}:role/${id}`;
    if (type === 'AWS::Logs::LogGroup') {
      const name = template.Resources[id]?.Properties?.LogGroupName;
      return `arn:aws:logs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:log-group:${typeof name === 'string' ? name : id}:*`;
    }
    const service = type.split('::')[1]?.toLowerCase() ?? 'unknown';
    return `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${id}`;
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const node = value as Json;
    if ('Ref' in node) {
      const ref = String(node.Ref);
      if (pseudo[ref]) return pseudo[ref];
      return typeOf(ref) === 'AWS::S3::Bucket' ? bucketName(ref) : arnOf(ref);
    }
    if ('Fn::GetAtt' in node) {
      const [id, attribute] = node['Fn::GetAtt'] as [string, string];
      if (attribute !== 'Arn') throw new Error(`unexpected Fn::GetAtt ${id}.${attribute} in a policy`);
      return arnOf(id);
    }
    if ('Fn::Join' in node) {
      const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
      return parts.map((part) => String(resolve(part))).join(separator);
    }
    const intrinsic = Object.keys(node).find((key) => key.startsWith('Fn::'));
    if (intrinsic) throw new Error(`unexpected ${intrinsic} in a policy: ${JSON.stringify(node).slice(0, 200)}`);
    return Object.fromEntries(Object.entries(node).map(([key, inner]) => [key, resolve(inner)]));
  };
  return resolve;
}

/** What the recorded secrets are, from the Secrets Manager emulator's snapshots: ARN by name, key and resource policy by ARN. */
export class SecretFacts {
  private readonly arnByName = new Map<string, string>();
  private readonly byArn = new Map<string, { readonly kmsKeyId?: string; readonly resourcePolicy?: string }>();

  add(snapshot: SecretsManagerSnapshot): void {
    for (const secret of snapshot.secrets) {
      if (!secret) continue;
      this.arnByName.set(secret.name, secret.arn);
      this.byArn.set(secret.arn, {
        ...(secret.kmsKeyId !== undefined && { kmsKeyId: secret.kmsKeyId }),
        ...(secret.resourcePolicy !== undefined && { resourcePolicy: secret.resourcePolicy }),
      });
    }
  }

  /**
   * The ARN of a secret id (name or ARN). A name no secret ever had (a lookup that found nothing) gets the ARN
   * Secrets Manager would give it, with a six-character suffix, as the credential prefix's pattern expects.
   */
  arnOf(secretId: string): string {
    if (secretId.startsWith('arn:')) return secretId;
    return this.arnByName.get(secretId) ?? `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:${secretId}-absent`;
  }

  kmsKeyOf(arn: string): string | undefined {
    return this.byArn.get(arn)?.kmsKeyId;
  }

  resourcePolicyOf(arn: string): Policy | undefined {
    const policy = this.byArn.get(arn)?.resourcePolicy;
    return policy === undefined ? undefined : (JSON.parse(policy) as Policy);
  }
}

const SECURE_TRANSPORT = { 'aws:SecureTransport': 'true' };

/** The requests IAM authorizes for one recorded SDK call. Throws for a call this check does not know yet, so it gets mapped. */
export function authorizationRequests(call: StepSdkCall, secrets: SecretFacts, grants: SynthesizedGrants): AuthorizationRequest[] {
  const input = call.input;
  const output = call.output ?? {};
  const succeeded = call.error === undefined;
  const direct = (action: string, resource: string, context: Record<string, string> = {}): AuthorizationRequest => ({
    step: call.step,
    action,
    resource,
    context: { ...SECURE_TRANSPORT, ...context },
  });
  const viaKms = (action: string, keyArn: string, service: string, encryptionContext: Record<string, string>, impliedBy: string): AuthorizationRequest => ({
    step: call.step,
    action,
    resource: keyArn,
    context: {
      ...SECURE_TRANSPORT,
      'kms:ViaService': `${service}.${LOCAL_REGION}.amazonaws.com`,
      'kms:CallerAccount': LOCAL_ACCOUNT,
      ...Object.fromEntries(Object.entries(encryptionContext).map(([key, value]) => [`kms:EncryptionContext:${key}`, value])),
    },
    impliedBy,
  });

  switch (call.client) {
    case 'SecretsManagerClient': {
      const action = `secretsmanager:${call.operation}`;
      if (call.operation === 'ListSecrets') return [direct(action, '*')];
      const secretId = String(input.SecretId ?? input.Name ?? '');
      if (!secretId) throw new Error(`${call.step}: ${action} names no secret`);
      const arn = typeof output.ARN === 'string' ? output.ARN : secrets.arnOf(secretId);
      const requests = [direct(action, arn)];
      // "If you include tags in the secret, you also need secretsmanager:TagResource" (API_CreateSecret, Required permissions).
      if (call.operation === 'CreateSecret' && input.Tags !== undefined) requests.push({ ...direct('secretsmanager:TagResource', arn), impliedBy: action });
      const keyArn = typeof input.KmsKeyId === 'string' ? input.KmsKeyId : secrets.kmsKeyOf(arn);
      // A secret without a customer managed key uses aws/secretsmanager, whose key policy every caller of the account may use.
      if (!succeeded || keyArn === undefined) return requests;
      const context = { SecretARN: arn, SecretVersionId: String(output.VersionId ?? '') };
      const writesValue = call.operation === 'PutSecretValue' || (call.operation === 'CreateSecret' && (input.SecretString !== undefined || input.SecretBinary !== undefined));
      if (writesValue) {
        requests.push(viaKms('kms:GenerateDataKey', keyArn, 'secretsmanager', context, action), viaKms('kms:Decrypt', keyArn, 'secretsmanager', context, action));
      }
      if (call.operation === 'GetSecretValue') requests.push(viaKms('kms:Decrypt', keyArn, 'secretsmanager', context, action));
      return requests;
    }
    case 'S3Client': {
      const bucketArn = `arn:aws:s3:::${String(input.Bucket)}`;
      const objectArn = `${bucketArn}/${String(input.Key)}`;
      const s3Action = S3_ACTIONS[call.operation];
      if (!s3Action) throw new Error(`${call.step}: no IAM mapping for S3 ${call.operation}; add it to S3_ACTIONS`);
      const requests =
        s3Action.on === 'bucket'
          ? [direct(s3Action.action, bucketArn, input.Prefix === undefined ? {} : { 's3:prefix': String(input.Prefix) })]
          : [direct(s3Action.action, objectArn)];
      const encryption = grants.bucketEncryption;
      if (!succeeded || !encryption || bucketArn !== grants.bucketArn) return requests;
      const context = { 'aws:s3:arn': encryption.bucketKey ? bucketArn : objectArn };
      for (const kmsAction of s3Action.kms ?? []) requests.push(viaKms(kmsAction, encryption.keyArn, 's3', context, `s3:${call.operation}`));
      return requests;
    }
    case 'SESClient': {
      if (call.operation !== 'SendEmail' && call.operation !== 'SendRawEmail') throw new Error(`${call.step}: no IAM mapping for SES ${call.operation}`);
      const from = String(input.Source ?? '').replace(/^.*<([^>]+)>\s*$/, '$1');
      return [direct(`ses:${call.operation}`, `arn:aws:ses:${LOCAL_REGION}:${LOCAL_ACCOUNT}:identity/${from}`, { 'ses:FromAddress': from })];
    }
    case 'EventBridgeClient': {
      if (call.operation !== 'PutEvents') throw new Error(`${call.step}: no IAM mapping for EventBridge ${call.operation}`);
      const buses = new Set(((input.Entries as Json[] | undefined) ?? []).map((entry) => String(entry.EventBusName ?? 'default')));
      return [...buses].map((bus) => direct('events:PutEvents', bus.startsWith('arn:') ? bus : `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${bus}`));
    }
    case 'SFNClient': {
      if (call.operation !== 'DescribeExecution') throw new Error(`${call.step}: no IAM mapping for Step Functions ${call.operation}`);
      return [direct('states:DescribeExecution', String(input.executionArn))];
    }
    default:
      throw new Error(`${call.step}: no IAM mapping for ${call.client} ${call.operation}`);
  }
}

/** The S3 operations the steps use: the IAM action each needs, on the bucket or the object, and the KMS actions it implies. */
const S3_ACTIONS: Record<string, { readonly action: string; readonly on: 'bucket' | 'object'; readonly kms?: readonly string[] }> = {
  PutObject: { action: 's3:PutObject', on: 'object', kms: ['kms:GenerateDataKey'] },
  GetObject: { action: 's3:GetObject', on: 'object', kms: ['kms:Decrypt'] },
  HeadObject: { action: 's3:GetObject', on: 'object' },
  DeleteObject: { action: 's3:DeleteObject', on: 'object' },
  ListObjectsV2: { action: 's3:ListBucket', on: 'bucket' },
  CreateMultipartUpload: { action: 's3:PutObject', on: 'object', kms: ['kms:GenerateDataKey'] },
  UploadPart: { action: 's3:PutObject', on: 'object', kms: ['kms:Decrypt'] },
  CompleteMultipartUpload: { action: 's3:PutObject', on: 'object', kms: ['kms:Decrypt'] },
  AbortMultipartUpload: { action: 's3:AbortMultipartUpload', on: 'object' },
  ListParts: { action: 's3:ListMultipartUploadParts', on: 'object' },
};

/** The resource policy that applies to a request: the key's, the bucket's or the secret's own. */
function resourcePolicyFor(request: AuthorizationRequest, grants: SynthesizedGrants, secrets: SecretFacts): Policy | undefined {
  if (request.action.startsWith('kms:')) {
    if (request.resource !== grants.keyArn) throw new Error(`${request.step}: ${request.action} on ${request.resource}, a key whose policy the stack does not hold`);
    return grants.keyPolicy;
  }
  if (request.action.startsWith('s3:') && (request.resource === grants.bucketArn || request.resource.startsWith(`${grants.bucketArn}/`))) return grants.bucketPolicy;
  if (request.action.startsWith('secretsmanager:') && request.resource !== '*') return secrets.resourcePolicyOf(request.resource);
  return undefined;
}

/**
 * @cloud-copilot/iam-simulate (0.1.173) keeps a request context key with a variable part only when a slash comes
 * before it (`aws:PrincipalTag/<key>`), so it would drop `kms:EncryptionContext:<key>` and every condition on it would
 * fail as missing. The check carries those keys as `aws:RequestTag/<stand-in>` instead, in the request and in every
 * policy alike: same values, same operators, a key the simulator keeps.
 */
const ENCRYPTION_CONTEXT_KEY = /^kms:encryptioncontext:(.+)$/i;
const standInKey = (key: string) => key.replace(ENCRYPTION_CONTEXT_KEY, (_match, name: string) => `aws:RequestTag/kms-encryption-context-${name}`);

function withStandInKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withStandInKeys) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [standInKey(key), withStandInKeys(inner)])) as T;
}

/** The outcome of one request: `Allowed`, `ImplicitlyDenied`, `ExplicitlyDenied`, or why it could not be evaluated. */
export async function evaluate(
  request: AuthorizationRequest,
  principal: { readonly arn: string; readonly policies: readonly SimulationIdentityPolicy[] },
  grants: SynthesizedGrants,
  secrets: SecretFacts,
): Promise<string> {
  const resourcePolicy = resourcePolicyFor(request, grants, secrets);
  const response = await runSimulation(
    {
      request: {
        principal: principal.arn,
        action: request.action,
        resource: { resource: request.resource, accountId: LOCAL_ACCOUNT },
        contextVariables: withStandInKeys({ ...request.context }),
      },
      identityPolicies: principal.policies.map(({ name, policy }) => ({ name, policy: withStandInKeys(policy) })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy: withStandInKeys(resourcePolicy) } : {}),
    },
    { simulationMode: 'Strict' },
  );
  if (response.resultType === 'error') return `not evaluated: ${response.errors.message} ${JSON.stringify(response.errors).slice(0, 400)}`;
  const ignored = response.resultType === 'single' ? (response.result.ignoredContextKeys ?? []) : response.results.flatMap((result) => result.ignoredContextKeys ?? []);
  if (ignored.length > 0) return `not evaluated: the simulator ignored context keys ${ignored.join(', ')}`;
  return response.overallResult;
}

/** A request in one line, for failure messages: step, action, resource and the call that implied it. */
export function describeRequest(request: AuthorizationRequest): string {
  return `${request.step}: ${request.action} on ${request.resource}${request.impliedBy ? ` (for ${request.impliedBy})` : ''}`;
}

/** Every action the step's identity policies allow, as written (wildcards included). */
export function grantedActions(policies: readonly SimulationIdentityPolicy[]): string[] {
  const actions = policies.flatMap(({ policy }) =>
    ((policy as Policy).Statement ?? []).filter((statement) => statement.Effect === 'Allow').flatMap((statement) => [statement.Action].flat() as string[]),
  );
  return [...new Set(actions)].sort();
}
