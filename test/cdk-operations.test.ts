/**
 * What running the stack in an account needs beyond the grants of each step: a redeploy after a rollback or a
 * destroy, an APIC admin secret no other step can touch, and alarms that reach a person.
 */
import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { parseRotatorConfig, type RotatorConfigInput } from '../functions/domain/config';
import { STEP_IDS, stepsWithAccess } from '../functions/steps';
import { CredentialRotator } from '../lib/credential-rotator';
import type { RotatorFunction } from '../lib/lambda-defaults';
import { RotationStack } from '../lib/rotation-stack';
import { MINIMAL_CONFIG, TEST_ENV, testApp } from './support/cdk-app';


/** A stack id as CloudFormation gives it: its last segment is the stack instance's UUID, new for each stack created. */
const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/Rotation/1c2fa620-982a-11e3-aff7-50e2416294e0';
const STACK_UUID_TOKEN = { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] };

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

function synthStack(config: Partial<RotatorConfigInput> = {}) {
  const stack = new RotationStack(testApp(), 'Rotation', { env: TEST_ENV, config: { ...MINIMAL_CONFIG, ...config } });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, CfnResource>;
  const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  return { stack, template, resources, logicalId };
}

/**
 * A CloudFormation value as the text it resolves to in the account of `STACK_ID`: joins joined, pseudo parameters and
 * the stack UUID filled in; any other token stays `<…>`.
 */
function deployedText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (JSON.stringify(value) === JSON.stringify(STACK_UUID_TOKEN)) return STACK_ID.split('/')[2] ?? '';
  const record = value as Record<string, unknown>;
  const join = record['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) return join[1].map(deployedText).join(join[0]);
  const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': TEST_ENV.region, 'AWS::AccountId': TEST_ENV.account, 'AWS::StackId': STACK_ID };
  if (typeof record.Ref === 'string' && pseudo[record.Ref]) return pseudo[record.Ref] as string;
  return `<${JSON.stringify(value)}>`;
}

/** IAM's wildcard match (`*` any run of characters, `?` one character), case-insensitive for actions only. */
function wildcardMatches(pattern: string, value: string, ignoreCase = false): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, ignoreCase ? 'i' : '').test(value);
}

interface Statement {
  Effect: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every identity-policy statement of each role in the template, by the role's logical id. */
function statementsByRole(resources: Record<string, CfnResource>): Map<string, Statement[]> {
  const byRole = new Map<string, Statement[]>();
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    // Managed policies would need their documents; the rotator attaches none.
    expect(resource.Properties?.ManagedPolicyArns, id).toBeUndefined();
    const inline = (resource.Properties?.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }> | undefined) ?? [];
    byRole.set(id, inline.flatMap((policy) => policy.PolicyDocument.Statement));
  }
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const document = resource.Properties?.PolicyDocument as { Statement: Statement[] };
    for (const role of resource.Properties?.Roles as Array<{ Ref: string }>) byRole.get(role.Ref)?.push(...document.Statement);
  }
  return byRole;
}

/** The actions among `actions` that `statements` allow on `arn`, conditions taken as met (so never fewer than IAM allows). */
function allowedActions(statements: Statement[], actions: readonly string[], arn: string): string[] {
  for (const statement of statements) expect(statement.NotAction ?? statement.NotResource, 'NotAction/NotResource').toBeUndefined();
  const allows = statements.filter((statement) => statement.Effect === 'Allow');
  return actions.filter((action) =>
    allows.some(
      (statement) =>
        [statement.Action].flat().some((pattern) => typeof pattern === 'string' && wildcardMatches(pattern, action, true)) &&
        [statement.Resource].flat().some((resource) => wildcardMatches(deployedText(resource), arn)),
    ),
  );
}

describe('redeploying after a rolled-back create or a destroy', () => {
  const { resources } = synthStack();

  /**
   * Properties that name a resource in the account or region: CloudFormation cannot create a second resource under a
   * name a first one still holds. (AWS::IAM::Policy's PolicyName is not one: an inline policy's name is scoped to its
   * role, and the roles are unnamed.)
   */
  const PHYSICAL_NAME_PROPERTIES = [
    'LogGroupName',
    'StateMachineName',
    'FunctionName',
    'RoleName',
    'ManagedPolicyName',
    'InstanceProfileName',
    'TopicName',
    'QueueName',
    'BucketName',
    'AliasName',
    'ScheduleName',
    'DashboardName',
    'AlarmName',
    'TableName',
    'SecretName',
    'RuleName',
    'EventBusName',
    'Name',
  ];

  it('names every resource so that a new stack can create it: deleted with the stack, or named per stack instance', () => {
    const named = Object.entries(resources).flatMap(([id, resource]) =>
      PHYSICAL_NAME_PROPERTIES.filter((property) => resource.Properties?.[property] !== undefined).map((property) => ({
        id,
        resource,
        property,
        name: resource.Properties?.[property],
      })),
    );
    expect(named.length).toBeGreaterThan(0);
    // Without a DeletionPolicy CloudFormation deletes the resource with the stack.
    const deletedWithStack = (resource: CfnResource) => resource.DeletionPolicy === undefined || resource.DeletionPolicy === 'Delete';
    const namedPerStackInstance = (name: unknown) => JSON.stringify(name).includes(JSON.stringify(STACK_UUID_TOKEN));
    const unsafe = named
      .filter(({ resource, name }) => !deletedWithStack(resource) && !namedPerStackInstance(name))
      .map(({ id, resource, property, name }) => `${resource.Type} ${id} ${property}=${deployedText(name)} DeletionPolicy=${resource.DeletionPolicy}`);
    expect(unsafe).toEqual([]);
  });

  it('keeps log groups on delete and replacement but not when the create that made them rolls back', () => {
    const logGroups = Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::Logs::LogGroup');
    expect(logGroups).toHaveLength(STEP_IDS.length + 2);
    for (const [id, logGroup] of logGroups) {
      expect({ id, DeletionPolicy: logGroup.DeletionPolicy, UpdateReplacePolicy: logGroup.UpdateReplacePolicy }).toEqual({
        id,
        DeletionPolicy: 'RetainExceptOnCreate',
        UpdateReplacePolicy: 'Retain',
      });
    }
  });

  it('still lets CloudWatch Logs use the key for every log group, whatever the stack instance', () => {
    const [key] = Object.values(resources).filter((resource) => resource.Type === 'AWS::KMS::Key');
    const statements = (key?.Properties?.KeyPolicy as { Statement: Statement[] }).Statement;
    const logsStatement = statements.find((statement) => JSON.stringify(statement).includes('logs.us-east-1.amazonaws.com'));
    const pattern = deployedText(logsStatement?.Condition?.ArnLike?.['kms:EncryptionContext:aws:logs:arn']);
    for (const [id, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::Logs::LogGroup') continue;
      const arn = `arn:aws:logs:us-east-1:123456789012:log-group:${deployedText(resource.Properties?.LogGroupName)}`;
      expect(wildcardMatches(pattern, arn), `${id}: ${arn} against ${pattern}`).toBe(true);
    }
  });
});

/** Every action that works on one secret (ListSecrets and BatchGetSecretValue take no secret resource). */
const SECRET_ACTIONS = [
  'secretsmanager:GetSecretValue',
  'secretsmanager:DescribeSecret',
  'secretsmanager:ListSecretVersionIds',
  'secretsmanager:CreateSecret',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecret',
  'secretsmanager:UpdateSecretVersionStage',
  'secretsmanager:RotateSecret',
  'secretsmanager:CancelRotateSecret',
  'secretsmanager:TagResource',
  'secretsmanager:UntagResource',
  'secretsmanager:GetResourcePolicy',
  'secretsmanager:PutResourcePolicy',
  'secretsmanager:DeleteResourcePolicy',
  'secretsmanager:ValidateResourcePolicy',
  'secretsmanager:DeleteSecret',
  'secretsmanager:RestoreSecret',
  'secretsmanager:ReplicateSecretToRegions',
  'secretsmanager:RemoveRegionsFromReplication',
  'secretsmanager:StopReplicationToReplica',
];
const KEY_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:CreateGrant', 'kms:DescribeKey'];
const APIC_CALLERS = stepsWithAccess('apic');

/** Each role of the stack by what it belongs to (a step's function, or its logical id), with the actions allowed on `arn`. */
function allowedByRole(synth: ReturnType<typeof synthStack>, actions: readonly string[], arn: string): Record<string, string[]> {
  const { rotator } = synth.stack;
  const functions: Record<string, RotatorFunction> = { ...rotator.functions, ...rotator.restoreFunctions };
  const stepOfRole = new Map(STEP_IDS.map((step) => [synth.logicalId(functions[step]?.role as iam.IRole), step]));
  return Object.fromEntries(
    [...statementsByRole(synth.resources)]
      .map(([roleId, statements]) => [stepOfRole.get(roleId) ?? roleId, allowedActions(statements, actions, arn)] as const)
      .filter(([, allowed]) => allowed.length > 0),
  );
}

describe('the APIC admin secret', () => {
  it.each([
    ['the default name', {}],
    ['a name of your own', { adminSecretName: 'platform/apic-admin' }],
    ['a partial ARN', { adminSecretName: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:platform/apic-admin' }],
  ])('with %s: only the steps that call APIC may touch it, and only to read it', (_case, config: Partial<RotatorConfigInput>) => {
    const synth = synthStack(config);
    const name = parseRotatorConfig({ ...MINIMAL_CONFIG, ...config }).adminSecretName;
    // Secrets Manager appends a hyphen and six random characters to the name in the ARN.
    const arn = `${name.startsWith('arn:') ? name : `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}`}-AbCdEf`;
    expect(allowedByRole(synth, SECRET_ACTIONS, arn)).toEqual(Object.fromEntries(APIC_CALLERS.map((step) => [step, ['secretsmanager:GetSecretValue']])));
  });

  it('lies outside the credential prefix by default', () => {
    const config = parseRotatorConfig(MINIMAL_CONFIG);
    expect(config.adminSecretName.startsWith(`${config.secretPrefix}/`)).toBe(false);
  });

  it('is decrypted with adminSecretKeyArn by the steps that call APIC only, through Secrets Manager only', () => {
    const keyArn = 'arn:aws:kms:us-east-1:123456789012:key/0987dcba-09fe-87dc-65ba-ab0987654321';
    const synth = synthStack({ adminSecretKeyArn: keyArn });
    expect(allowedByRole(synth, KEY_ACTIONS, keyArn)).toEqual(Object.fromEntries(APIC_CALLERS.map((step) => [step, ['kms:Decrypt']])));
    const keyStatements = [...statementsByRole(synth.resources).values()]
      .flat()
      .filter((statement) => [statement.Resource].flat().some((resource) => deployedText(resource) === keyArn));
    expect(keyStatements.length).toBeGreaterThan(0);
    for (const statement of keyStatements) expect(statement.Condition).toEqual({ StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } });
  });
});

/** The alarm actions of every alarm in the template, by logical id. */
function alarmActions(resources: Record<string, CfnResource>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(resources)
      .filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm')
      .map(([id, alarm]) => [id, alarm.Properties?.AlarmActions]),
  );
}

describe('alarms', () => {
  it('have an action each, even with no alarm config: a topic the stack creates', () => {
    const synth = synthStack();
    const actions = alarmActions(synth.resources);
    const withoutAction = Object.entries(actions).filter(([, alarmActions]) => !Array.isArray(alarmActions) || alarmActions.length === 0);
    expect(withoutAction.map(([id]) => id)).toEqual([]);
    expect(Object.keys(actions).length).toBeGreaterThanOrEqual(3);
    const topicRef = synth.stack.resolve(synth.stack.rotator.alarmTopic.topicArn);
    for (const id of Object.keys(actions)) expect(actions[id], id).toEqual([topicRef]);
  });

  it('go to a topic encrypted with the rotator key, with one e-mail subscription per alarmEmails entry', () => {
    const emails = ['platform-oncall@example.com', 'api-team@example.com'];
    const synth = synthStack({ alarmEmails: emails });
    const { rotator } = synth.stack;
    const topics = Object.entries(synth.resources).filter(([, resource]) => resource.Type === 'AWS::SNS::Topic');
    expect(topics.map(([id]) => id)).toEqual([synth.logicalId(rotator.alarmTopic as sns.Topic)]);
    expect(topics[0]?.[1].Properties?.KmsMasterKeyId).toEqual(synth.stack.resolve(rotator.encryptionKey.keyArn));
    const subscriptions = Object.values(synth.resources).filter((resource) => resource.Type === 'AWS::SNS::Subscription');
    expect(subscriptions.map((subscription) => subscription.Properties)).toEqual(
      emails.map((email) => ({ Protocol: 'email', Endpoint: email, TopicArn: synth.stack.resolve(rotator.alarmTopic.topicArn) })),
    );
  });

  it('may publish to the topic the stack creates and use its key: CloudWatch (cloudwatch.amazonaws.com) is let in by both policies', () => {
    const { resources } = synthStack();
    const isCloudWatch = (statement: Statement & { Principal?: unknown }) =>
      statement.Effect === 'Allow' && JSON.stringify(statement.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' });
    const [key] = Object.values(resources).filter((resource) => resource.Type === 'AWS::KMS::Key');
    const keyStatements = (key?.Properties?.KeyPolicy as { Statement: Statement[] }).Statement.filter(isCloudWatch);
    expect(keyStatements).toHaveLength(1);
    expect([keyStatements[0]?.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    const [topicPolicy] = Object.values(resources).filter((resource) => resource.Type === 'AWS::SNS::TopicPolicy');
    const publish = (topicPolicy?.Properties?.PolicyDocument as { Statement: Statement[] }).Statement.filter(isCloudWatch);
    expect(publish).toHaveLength(1);
    expect(publish[0]?.Action).toBe('sns:Publish');
    expect(deployedText(publish[0]?.Condition?.ArnLike?.['aws:SourceArn'])).toBe('arn:aws:cloudwatch:us-east-1:123456789012:alarm:*');
  });

  it('warn when the key is imported, since the construct cannot let CloudWatch use it for the topic it creates', () => {
    const stack = new Stack(testApp(), 'ImportedKey', { env: TEST_ENV });
    const encryptionKey = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    new CredentialRotator(stack, 'Rotator', { config: MINIMAL_CONFIG, encryptionKey });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('let cloudwatch.amazonaws.com use it'))).toHaveLength(1);
  });

  it('go to alarmTopicArn when it is given, and the stack creates no topic', () => {
    const topicArn = 'arn:aws:sns:us-east-1:123456789012:platform-alarms';
    const synth = synthStack({ alarmTopicArn: topicArn });
    expect(Object.values(synth.resources).filter((resource) => resource.Type.startsWith('AWS::SNS::'))).toEqual([]);
    for (const [id, actions] of Object.entries(alarmActions(synth.resources))) expect(actions, id).toEqual([topicArn]);
  });

  it('go to the alarmTopic prop when it is given, and the construct creates no topic', () => {
    const stack = new Stack(testApp(), 'WithTopic', { env: TEST_ENV });
    const topic = new sns.Topic(stack, 'Alarms');
    new CredentialRotator(stack, 'Rotator', { config: MINIMAL_CONFIG, alarmTopic: topic });
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, CfnResource>;
    expect(Object.values(resources).filter((resource) => resource.Type === 'AWS::SNS::Topic')).toHaveLength(1);
    for (const [id, actions] of Object.entries(alarmActions(resources))) expect(actions, id).toEqual([stack.resolve(topic.topicArn)]);
  });

  it('refuse alarmEmails or alarmTopicArn beside the alarmTopic prop, which would leave them without effect', () => {
    const stack = new Stack(testApp(), 'WithTopic', { env: TEST_ENV });
    const alarmTopic = new sns.Topic(stack, 'Alarms');
    const config = { ...MINIMAL_CONFIG, alarmEmails: ['oncall@example.com'] };
    expect(() => new CredentialRotator(stack, 'Rotator', { config, alarmTopic })).toThrow(/alarmEmails: has no effect when the construct is given an alarmTopic/);
  });

  it('include one on failed, timed-out or aborted restore runs', () => {
    const synth = synthStack();
    const restoreArn = synth.stack.resolve(synth.stack.rotator.restoreStateMachine.stateMachineArn);
    const alarm = synth.resources[synth.logicalId(synth.stack.rotator.failedRestoresAlarm)];
    expect(alarm?.Properties).toMatchObject({ Threshold: 1, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
    const metrics = (alarm?.Properties?.Metrics as Array<{ MetricStat?: { Metric: { MetricName: string; Dimensions: unknown } } }>).flatMap((metric) =>
      metric.MetricStat ? [metric.MetricStat.Metric] : [],
    );
    expect(metrics.map((metric) => metric.MetricName).sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
    for (const metric of metrics) expect(metric.Dimensions).toEqual([{ Name: 'StateMachineArn', Value: restoreArn }]);
  });
});

describe('stack outputs', () => {
  const synth = synthStack();
  const { rotator } = synth.stack;
  const outputs = synth.template.findOutputs('*') as Record<string, { Value: unknown; Description?: string }>;
  const consoleUrl = (fragment: string) => `https://us-east-1.console.aws.amazon.com/${fragment}`;

  it.each([
    ['StateMachineArn', 'StateMachineConsoleUrl', 'stateMachine'],
    ['RestoreStateMachineArn', 'RestoreStateMachineConsoleUrl', 'restoreStateMachine'],
  ] as const)('give %s and %s', (arnOutput, urlOutput, member) => {
    const arn = synth.stack.resolve(rotator[member].stateMachineArn);
    expect(outputs[arnOutput]?.Value).toEqual(arn);
    expect(deployedText(outputs[urlOutput]?.Value)).toBe(consoleUrl(`states/home?region=us-east-1#/statemachines/view/${deployedText(arn)}`));
  });

  it('give the alarm topic, the report bucket and the dashboard', () => {
    expect(outputs.AlarmTopicArn?.Value).toEqual(synth.stack.resolve(rotator.alarmTopic.topicArn));
    expect(outputs.ReportBucketName?.Value).toEqual(synth.stack.resolve(rotator.reportBucket.bucketName));
    expect(outputs.DashboardName?.Value).toEqual(synth.stack.resolve(rotator.dashboard.dashboardName));
    expect(deployedText(outputs.DashboardUrl?.Value)).toBe(
      consoleUrl(`cloudwatch/home?region=us-east-1#dashboards/dashboard/${deployedText(synth.stack.resolve(rotator.dashboard.dashboardName))}`),
    );
  });
});
