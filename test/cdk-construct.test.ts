import { readFileSync } from 'node:fs';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { ConfigError, type RotatorConfigInput } from '../functions/domain/config';
import {
  APIC_THROTTLED_ERROR,
  APIC_UNAVAILABLE_ERROR,
  EVENT_PUBLISH_ERROR,
  LAMBDA_SERVICE_ERRORS,
  LAMBDA_TIMEOUT_ERROR,
  LAMBDA_UNKNOWN_ERROR,
  MIDDY_TIMEOUT_ERROR,
  SECRET_STORE_UNAVAILABLE_ERROR,
} from '../functions/domain/error-names';
import { RESTORE_STEPS, STEP_IDS, STEPS, stepsWithAccess, type RestoreStep, type StepId } from '../functions/steps';
import { CredentialRotator, type CredentialRotatorProps } from '../lib/credential-rotator';
import { RotationStack } from '../lib/rotation-stack';
import { testApp } from './support/cdk-app';

const ENV = { account: '123456789012', region: 'us-east-1' };
const SENDER = 'rotation@example.com';
const BASE_CONFIG = {
  targets: [{ providerOrg: 'acme', catalog: 'production' }],
  apicBaseUrl: 'https://apic.example.com/api',
  notificationSender: SENDER,
} satisfies RotatorConfigInput;

// Who gets what comes from the step registry; these tests check that each access grants what it should, and no more.
type Step = StepId;
const EVERY_STEP: readonly Step[] = STEP_IDS;
const APIC_CALLERS = stepsWithAccess('apic');
const SECRET_CREATORS = stepsWithAccess('credential-writes');
const SECRET_REPAIRERS = stepsWithAccess('credential-repairs');
const SECRET_PROMOTERS = stepsWithAccess('credential-promotion');
/** The steps that write secret values: they encrypt with the key and share what they write with consumers. */
const SECRET_VALUE_WRITERS = [...SECRET_CREATORS, ...SECRET_REPAIRERS];
const SECRET_WRITERS = [...SECRET_VALUE_WRITERS, ...SECRET_PROMOTERS];
const NOTICE_QUEUERS = stepsWithAccess('notice-ledger');
const NOTICE_SENDERS = stepsWithAccess('notice-delivery');
const EVENT_PUBLISHERS = stepsWithAccess('rotation-events');
const REPORT_READERS = stepsWithAccess('report-build');
const REPORT_WRITERS = [...stepsWithAccess('report-parts'), ...REPORT_READERS];
const LEASE_TAKERS = stepsWithAccess('run-lease');
const LEASE_RENEWERS = stepsWithAccess('run-lease-renewal');
const LEASE_RELEASERS = stepsWithAccess('run-lease-release');
const LEASE_HOLDERS = [...LEASE_TAKERS, ...LEASE_RENEWERS, ...LEASE_RELEASERS];
/** What each lease step does with the lease objects. */
const leaseObjectActions = (step: StepId): string[] =>
  LEASE_TAKERS.includes(step)
    ? ['s3:DeleteObject', 's3:GetObject', 's3:PutObject']
    : LEASE_RENEWERS.includes(step)
      ? ['s3:GetObject', 's3:PutObject']
      : LEASE_RELEASERS.includes(step)
        ? ['s3:DeleteObject', 's3:GetObject']
        : [];
const ROTATOR_METRIC_DIMENSIONS = [{ Name: 'service', Value: 'apic-credential-rotator' }];
const SECRET_WRITE_ACTIONS = [
  'secretsmanager:CreateSecret',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
  'secretsmanager:TagResource',
  'secretsmanager:UntagResource',
  'secretsmanager:PutResourcePolicy',
  'secretsmanager:DeleteSecret',
  'secretsmanager:UpdateSecret',
  'secretsmanager:RestoreSecret',
];

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

function synthRotator(config: Partial<RotatorConfigInput> = {}, props: Omit<CredentialRotatorProps, 'config'> = {}) {
  const app = testApp();
  const stack = new Stack(app, 'Test', { env: ENV });
  const rotator = new CredentialRotator(stack, 'Rotator', { ...props, config: { ...BASE_CONFIG, ...config } });
  const template = Template.fromStack(stack);

  const functionOf = (step: Step) => (isRestoreStep(step) ? rotator.restoreFunctions[step] : rotator.functions[step]);
  const functionProperties = (step: Step) => {
    const logicalId = stack.getLogicalId(functionOf(step).node.defaultChild as CfnFunction);
    return template.toJSON().Resources[logicalId].Properties as {
      Environment: { Variables: Record<string, unknown> };
    };
  };
  const statementsOfRole = (role: IConstruct | undefined): Statement[] => {
    if (!role) throw new Error('no role');
    const roleId = stack.getLogicalId(role.node.defaultChild as CfnRole);
    return Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => (policy.Properties.Roles as unknown[]).some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId })))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
  };
  const statementsOf = (step: Step): Statement[] => statementsOfRole(functionOf(step).role);
  const resourceProperties = (construct: IConstruct) =>
    template.toJSON().Resources[stack.getLogicalId(construct.node.defaultChild as CfnElement)].Properties as Record<string, unknown>;
  const definition = (stateMachine: StateMachine) => parseDefinition(resourceProperties(stateMachine).DefinitionString);
  const alarmProperties = (alarm: 'failedExecutionsAlarm' | 'failedAppsAlarm' | 'failedSegmentsAlarm') =>
    template.toJSON().Resources[stack.getLogicalId(rotator[alarm].node.defaultChild as CfnAlarm)].Properties as Record<string, unknown>;
  return {
    stack,
    rotator,
    template,
    functionProperties,
    statementsOf,
    statementsOfRole,
    resourceProperties,
    definition,
    alarmProperties,
    everyStatement: () =>
      Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]),
    resolve: (value: unknown) => stack.resolve(value),
  };
}

const BLOCK_ALL_PUBLIC_ACCESS = { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true };

/** The bucket the report bucket's server access logs go to, found through its logging configuration. */
function accessLogsBucketOf(synth: ReturnType<typeof synthRotator>): { id: string; Properties: Record<string, unknown> } {
  const logging = synth.resourceProperties(synth.rotator.reportBucket).LoggingConfiguration as { DestinationBucketName: { Ref: string } };
  const id = logging.DestinationBucketName.Ref;
  const resource = synth.template.toJSON().Resources[id] as { Type: string; Properties: Record<string, unknown> };
  expect(resource.Type).toBe('AWS::S3::Bucket');
  return { id, Properties: resource.Properties };
}

interface AslState {
  Type: string;
  Retry?: Array<{ ErrorEquals: string[]; MaxAttempts?: number }>;
  ItemProcessor?: { States: AslStates };
  Iterator?: { States: AslStates };
}
type AslStates = Record<string, AslState>;

/** Every Task state of a definition, Map item processors included. */
function taskStates(states: AslStates): Array<[name: string, state: AslState]> {
  return Object.entries(states).flatMap(([name, state]) => [
    ...(state.Type === 'Task' ? [[name, state] as [string, AslState]] : []),
    ...taskStates(state.ItemProcessor?.States ?? state.Iterator?.States ?? {}),
  ]);
}

function taskStateNames(states: AslStates): string[] {
  return taskStates(states).map(([name]) => name);
}

function isRestoreStep(step: Step): step is RestoreStep {
  return (RESTORE_STEPS as readonly string[]).includes(step);
}

const actionsOf = (statement: Statement) => [statement.Action].flat();
const resourcesOf = (statement: Statement) => [statement.Resource].flat();
/** Turns `Fn::Join` ARNs into plain text (tokens as `<…>`), for readable assertions. */
const arnText = (value: unknown): string => {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(arnText).join(join[0]);
  // Without the partition-literals feature flag, ARNs join in the partition; the tests deploy to `aws`.
  if ((value as { Ref?: string }).Ref === 'AWS::Partition') return 'aws';
  return `<${JSON.stringify(value)}>`;
};

interface Grant {
  action: string;
  resource: string;
  condition?: Statement['Condition'];
}
/**
 * Each action on each resource that statements allow, with its condition: the same however IAM policy minimization
 * (a feature flag) merges the statements.
 */
const grantsOf = (statements: Statement[]): Grant[] =>
  statements.flatMap((statement) =>
    actionsOf(statement).flatMap((action) =>
      resourcesOf(statement).map((resource) => ({ action, resource: arnText(resource), ...(statement.Condition && { condition: statement.Condition }) })),
    ),
  );

describe('CredentialRotator with a minimal config', () => {
  const synth = synthRotator();

  it('runs every step of both workflows on arm64 Node.js 24 with active tracing, with its memory and timeout', () => {
    for (const step of EVERY_STEP) {
      const props = synth.functionProperties(step) as unknown as Record<string, unknown>;
      expect(props, step).toMatchObject({
        Architectures: ['arm64'],
        Runtime: 'nodejs24.x',
        TracingConfig: { Mode: 'Active' },
        MemorySize: STEPS[step].memoryMb,
        Timeout: STEPS[step].timeoutSeconds,
      });
    }
  });

  it('sizes the steps as agreed: 512 MB each, 15 minutes for the report build, 5 for those that page or send a whole run, 60 s for the others', () => {
    const long = EVERY_STEP.filter((step) => STEPS[step].timeoutSeconds === 300);
    expect(long.sort()).toEqual(['finish-run', 'restore-list-page', 'scan-page']);
    expect(STEPS['build-report'].timeoutSeconds).toBe(900);
    for (const step of EVERY_STEP) {
      expect(STEPS[step].memoryMb, step).toBe(512);
      if (!long.includes(step) && step !== 'build-report') expect(STEPS[step].timeoutSeconds, step).toBe(60);
    }
  });

  it('names each task state after its step, and has a task state for every step of the workflow', () => {
    const statesOf = (workflow: 'rotation' | 'restore') =>
      EVERY_STEP.filter((step) => STEPS[step].workflow === workflow).map((step) => STEPS[step].state).sort();
    expect(taskStateNames(synth.definition(synth.rotator.stateMachine).States as AslStates).sort()).toEqual(statesOf('rotation'));
    expect(taskStateNames(synth.definition(synth.rotator.restoreStateMachine).States as AslStates).sort()).toEqual(statesOf('restore'));
  });

  it('retries every task, with one retrier, on transient errors and on a step cut short (every step is idempotent)', () => {
    const retried = [
      ...LAMBDA_SERVICE_ERRORS,
      APIC_UNAVAILABLE_ERROR,
      APIC_THROTTLED_ERROR,
      SECRET_STORE_UNAVAILABLE_ERROR,
      EVENT_PUBLISH_ERROR,
      LAMBDA_UNKNOWN_ERROR,
      LAMBDA_TIMEOUT_ERROR,
      MIDDY_TIMEOUT_ERROR,
    ];
    for (const machine of [synth.rotator.stateMachine, synth.rotator.restoreStateMachine]) {
      for (const [name, state] of taskStates(synth.definition(machine).States as AslStates)) {
        expect(state.Retry, name).toEqual([expect.objectContaining({ ErrorEquals: retried, MaxAttempts: 4 })]);
      }
    }
  });

  it('gives each function only non-secret environment variables, and only those it reads', () => {
    const allowed = new Set([
      'POWERTOOLS_SERVICE_NAME',
      'POWERTOOLS_METRICS_NAMESPACE',
      'NODE_OPTIONS',
      'ROTATOR_CONFIG_FILE',
      'ADMIN_SECRET_ID',
      'SECRET_PREFIX',
      'SECRET_KMS_KEY_ID',
      'NOTIFICATION_SENDER',
      'EVENT_BUS_NAME',
      'REPORT_BUCKET',
    ]);
    const bucketName = synth.resolve(synth.rotator.reportBucket.bucketName);
    for (const step of EVERY_STEP) {
      const variables = synth.functionProperties(step).Environment.Variables;
      for (const name of Object.keys(variables)) expect(allowed, `${step}: ${name}`).toContain(name);
      expect('ADMIN_SECRET_ID' in variables, step).toBe(APIC_CALLERS.includes(step));
      expect(variables.ROTATOR_CONFIG_FILE, step).toBe('rotator-config.json');
      expect('NOTIFICATION_SENDER' in variables, step).toBe(NOTICE_SENDERS.includes(step));
      expect(variables.EVENT_BUS_NAME, step).toBe(EVENT_PUBLISHERS.includes(step) ? 'default' : undefined);
      expect(variables.REPORT_BUCKET, step).toEqual(REPORT_WRITERS.includes(step) || LEASE_HOLDERS.includes(step) ? bucketName : undefined);
    }
    expect(JSON.parse(readFileSync(synth.rotator.configFile, 'utf8'))).toEqual(synth.rotator.config);
    expect(synth.functionProperties('restore-list-page').Environment.Variables.SECRET_PREFIX).toBe('apic-rotator');
    expect(synth.functionProperties('scan-page').Environment.Variables).toMatchObject({
      ADMIN_SECRET_ID: 'apic-rotator-admin',
      POWERTOOLS_SERVICE_NAME: 'apic-credential-rotator',
      POWERTOOLS_METRICS_NAMESPACE: 'ApicCredentialRotator',
    });
  });

  it('scopes secret writes to the credential prefix and lets no statement write secrets on *', () => {
    const prefixArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:apic-rotator/*';
    // Pinned: a step that gets to write credential secrets is a change to review, not just a registry entry.
    expect(SECRET_CREATORS).toEqual(['create-replacement']);
    expect(SECRET_REPAIRERS).toEqual(['repair-replacement']);
    expect(SECRET_PROMOTERS).toEqual(['finish-replacement']);
    const expectedWrites: Record<string, string[]> = {
      'create-replacement': ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource', 'secretsmanager:UpdateSecretVersionStage'],
      'repair-replacement': ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
      'finish-replacement': ['secretsmanager:UpdateSecretVersionStage'],
    };
    const reads = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
    for (const step of SECRET_WRITERS) {
      const writes = synth.statementsOf(step).filter((s) => actionsOf(s).includes('secretsmanager:UpdateSecretVersionStage'));
      expect(writes, step).toHaveLength(1);
      expect(resourcesOf(writes[0] as Statement).map(arnText)).toEqual([prefixArn]);
      const onPrefix = synth.statementsOf(step).filter((s) => resourcesOf(s).map(arnText).includes(prefixArn));
      expect([...new Set(onPrefix.flatMap(actionsOf))].sort(), step).toEqual([...reads, ...(expectedWrites[step] ?? [])].sort());
    }
    const wildcardStatements = synth.everyStatement().filter((s) => resourcesOf(s).includes('*'));
    expect(wildcardStatements.flatMap(actionsOf)).toContain('secretsmanager:ListSecrets');
    for (const statement of wildcardStatements) {
      expect(actionsOf(statement).filter((action) => SECRET_WRITE_ACTIONS.includes(action))).toEqual([]);
    }
  });

  it('lets APIC callers read the admin secret only, and nothing else outside the prefix', () => {
    const adminArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:apic-rotator-admin-??????';
    const scanPageSecretStatements = synth.statementsOf('scan-page').filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(scanPageSecretStatements).toHaveLength(1);
    expect(actionsOf(scanPageSecretStatements[0] as Statement)).toEqual(['secretsmanager:GetSecretValue']);
    expect(resourcesOf(scanPageSecretStatements[0] as Statement).map(arnText)).toEqual([adminArn]);
    expect(synth.statementsOf('restore-prepare').flatMap(actionsOf).filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
  });

  it('conditions SES sending on the configured sender and grants it to finish-run only', () => {
    const sesStatements = (step: Step) => synth.statementsOf(step).filter((s) => actionsOf(s).some((a) => a.startsWith('ses:')));
    const [send] = sesStatements('finish-run');
    expect(send).toMatchObject({
      Action: 'ses:SendEmail',
      Condition: { StringEquals: { 'ses:FromAddress': SENDER } },
    });
    expect(resourcesOf(send as Statement).map(arnText)).toEqual(['arn:aws:ses:us-east-1:123456789012:identity/*']);
    expect(NOTICE_SENDERS).toEqual(['finish-run']);
    for (const step of EVERY_STEP.filter((s) => !NOTICE_SENDERS.includes(s))) expect(sesStatements(step), step).toEqual([]);
  });

  it('uses the key only through Secrets Manager or S3, encrypting only where secrets or reports are written', () => {
    const keyArn = synth.resolve(synth.rotator.encryptionKey.keyArn);
    const viaService = (service: string) => ({ StringEquals: { 'kms:ViaService': `${service}.us-east-1.amazonaws.com` } });
    for (const step of EVERY_STEP) {
      const keyStatements = synth.statementsOf(step).filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));
      for (const statement of keyStatements) {
        expect(statement.Resource).toEqual(keyArn);
        expect([viaService('secretsmanager'), viaService('s3')]).toContainEqual(statement.Condition);
      }
      const actionsThrough = (service: string) =>
        keyStatements.filter((s) => JSON.stringify(s.Condition) === JSON.stringify(viaService(service))).flatMap(actionsOf);
      expect(actionsThrough('secretsmanager').includes('kms:GenerateDataKey'), step).toBe(SECRET_VALUE_WRITERS.includes(step) || NOTICE_QUEUERS.includes(step));
      expect(actionsThrough('secretsmanager'), step).not.toContain('kms:Encrypt');
      const leaseWrites = leaseObjectActions(step).includes('s3:PutObject');
      expect([...new Set(actionsThrough('s3'))].sort(), step).toEqual(
        [
          ...(REPORT_READERS.includes(step) || LEASE_HOLDERS.includes(step) ? ['kms:Decrypt'] : []),
          ...(REPORT_WRITERS.includes(step) || leaseWrites ? ['kms:GenerateDataKey'] : []),
        ],
      );
    }
  });

  it('creates a rotating key that only the account, CloudWatch Logs (for the rotator log groups) and CloudWatch alarms (for the alarm topic) may use', () => {
    synth.template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: [
          Match.objectLike({ Action: 'kms:*', Principal: { AWS: Match.anyValue() } }),
          Match.objectLike({
            Principal: { Service: 'logs.us-east-1.amazonaws.com' },
            Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } },
          }),
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
        ],
      },
    });
  });

  it('encrypts every log group of both workflows with the key and keeps logs one year', () => {
    const keyArn = synth.resolve(synth.rotator.encryptionKey.keyArn);
    const logGroups = Object.values(synth.template.findResources('AWS::Logs::LogGroup'));
    expect(logGroups).toHaveLength(EVERY_STEP.length + 2);
    for (const logGroup of logGroups) {
      expect(logGroup.Properties).toMatchObject({ KmsKeyId: keyArn, RetentionInDays: 365 });
      expect(arnText(logGroup.Properties.LogGroupName)).toMatch(/^\/aws\/vendedlogs\/apic-credential-rotator\//);
    }
  });

  it.each([
    ['rotation', 'stateMachine', 'state-machine', 12],
    ['restore', 'restoreStateMachine', 'restore-state-machine', 48],
  ] as const)('logs the %s state machine to its own log group at ERROR without execution data, traced, with its timeout', (_kind, member, logName, hours) => {
    const properties = synth.resourceProperties(synth.rotator[member]);
    expect(properties).toMatchObject({
      StateMachineType: 'STANDARD',
      LoggingConfiguration: { Level: 'ERROR', IncludeExecutionData: false },
      TracingConfiguration: { Enabled: true },
    });
    const [destination] = (properties.LoggingConfiguration as { Destinations: Array<{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [string] } } }> })
      .Destinations;
    const logGroup = synth.template.toJSON().Resources[destination?.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0] ?? ''];
    // Below the rotator's prefix, the stack instance's id (a token until deployed), then the log's own name.
    expect(arnText(logGroup?.Properties.LogGroupName)).toMatch(new RegExp(`^/aws/vendedlogs/apic-credential-rotator/[^/]+/<.+>/${logName}$`));
    expect(synth.definition(synth.rotator[member]).TimeoutSeconds).toBe(hours * 3600);
  });

  it('starts a restore only by hand: no schedule or rule targets it, and only its own role may start its executions', () => {
    const restoreId = synth.stack.getLogicalId(synth.rotator.restoreStateMachine.node.defaultChild as CfnElement);
    const triggers = { ...synth.template.findResources('AWS::Scheduler::Schedule'), ...synth.template.findResources('AWS::Events::Rule') };
    expect(Object.keys(triggers).length).toBeGreaterThan(0);
    expect(JSON.stringify(triggers)).not.toContain(restoreId);
    const starts = synth
      .everyStatement()
      .filter((s) => actionsOf(s).includes('states:StartExecution') && JSON.stringify(s.Resource).includes(restoreId));
    expect(starts.length).toBeGreaterThan(0);
    const ownStatements = synth.statementsOfRole(synth.rotator.restoreStateMachine.role);
    for (const statement of starts) expect(ownStatements).toContainEqual(statement);
  });

  it('lets restore-list-page only list secrets, restore-credential only read them, and the other restore steps nothing', () => {
    // The run lease's grants (s3 under leases/, the key through S3, DescribeExecution) are checked on their own below.
    const permissions = (step: Step) =>
      grantsOf(synth.statementsOf(step)).filter(
        (grant) => !/^(logs|xray|s3|states):/.test(grant.action) && !(LEASE_HOLDERS.includes(step) && grant.action.startsWith('kms:')),
      );
    expect(permissions('restore-list-page')).toEqual([{ action: 'secretsmanager:ListSecrets', resource: '*' }]);
    expect(permissions('restore-prepare')).toEqual([]);
    expect(permissions('restore-finish')).toEqual([]);
    expect(permissions('restore-release-lease')).toEqual([]);
    const restoreCredential = permissions('restore-credential');
    expect([...new Set(restoreCredential.map((grant) => grant.action))].sort()).toEqual([
      'kms:Decrypt',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    const secretArns = restoreCredential.filter((grant) => grant.action.startsWith('secretsmanager:')).map((grant) => grant.resource);
    expect([...new Set(secretArns)].sort()).toEqual([
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:apic-rotator-admin-??????',
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:apic-rotator/*',
    ]);
  });

  it('keeps reports in a private bucket encrypted with the key (bucket key on), expiring after reportRetentionDays', () => {
    const bucket = synth.resourceProperties(synth.rotator.reportBucket);
    expect(bucket.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: synth.resolve(synth.rotator.encryptionKey.keyArn) },
        },
      ],
    });
    expect(bucket.PublicAccessBlockConfiguration).toEqual(BLOCK_ALL_PUBLIC_ACCESS);
    expect(bucket.LifecycleConfiguration).toEqual({
      Rules: [{ Prefix: 'reports/', ExpirationInDays: 400, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }],
    });
  });

  it('logs access to the report bucket into a private, S3-encrypted bucket of its own, kept as long as the reports', () => {
    const accessLogs = accessLogsBucketOf(synth);
    expect(accessLogs.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: BLOCK_ALL_PUBLIC_ACCESS,
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 400, Status: 'Enabled' }] },
    });
  });

  it('refuses requests without TLS to the report bucket and to its access-log bucket', () => {
    const reportsId = synth.stack.getLogicalId(synth.rotator.reportBucket.node.defaultChild as CfnElement);
    for (const bucketId of [reportsId, accessLogsBucketOf(synth).id]) {
      const [policy] = Object.values(synth.template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: bucketId } } }));
      const bucketArn = { 'Fn::GetAtt': [bucketId, 'Arn'] };
      expect(policy?.Properties.PolicyDocument.Statement, bucketId).toContainEqual({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Resource: [bucketArn, { 'Fn::Join': ['', [bucketArn, '/*']] }],
      });
    }
  });

  it('lets only scan-page, assess-app and build-report write reports (under reports/ only), and only build-report read them', () => {
    const bucketArn = arnText(synth.resolve(synth.rotator.reportBucket.bucketArn));
    const reportObjects = arnText(synth.resolve(synth.rotator.reportBucket.arnForObjects('reports/*')));
    const leaseObjects = arnText(synth.resolve(synth.rotator.reportBucket.arnForObjects('leases/*')));
    const s3Grants = (statements: Statement[]) => grantsOf(statements).filter((grant) => grant.action.startsWith('s3:'));
    let granted = 0;
    for (const step of EVERY_STEP) {
      const grants = s3Grants(synth.statementsOf(step));
      granted += grants.length;
      const expected: Grant[] = [
        ...(REPORT_WRITERS.includes(step) ? [{ action: 's3:PutObject', resource: reportObjects }] : []),
        ...(REPORT_READERS.includes(step)
          ? [
              { action: 's3:GetObject', resource: reportObjects },
              { action: 's3:AbortMultipartUpload', resource: reportObjects },
              { action: 's3:ListBucket', resource: bucketArn, condition: { StringLike: { 's3:prefix': 'reports/*' } } },
            ]
          : []),
        ...(LEASE_HOLDERS.includes(step)
          ? [
              ...leaseObjectActions(step).map((action) => ({ action, resource: leaseObjects })),
              { action: 's3:ListBucket', resource: bucketArn, condition: { StringLike: { 's3:prefix': 'leases/*' } } },
            ]
          : []),
      ];
      expect(grants, step).toHaveLength(expected.length);
      expect(grants, step).toEqual(expect.arrayContaining(expected));
    }
    // No other role of the stack (state machines, schedule) touches S3.
    expect(s3Grants(synth.everyStatement())).toHaveLength(granted);
  });

  it('lets only the lease steps touch leases/ and describe executions, of the rotator\'s own state machines only', () => {
    expect([...LEASE_HOLDERS].sort()).toEqual(['finish-run', 'prepare-run', 'release-lease', 'restore-list-page', 'restore-prepare', 'restore-release-lease', 'scan-page']);
    const names = synth.rotator.stateMachineNames;
    const executions = [names.rotation, names.restore].map((name) => `arn:aws:states:us-east-1:123456789012:execution:${name}:*`);
    const leaseObjects = arnText(synth.resolve(synth.rotator.reportBucket.arnForObjects('leases/*')));
    for (const step of EVERY_STEP) {
      const grants = grantsOf(synth.statementsOf(step));
      const describe = grants.filter((grant) => grant.action.startsWith('states:'));
      const onLeases = grants.filter((grant) => grant.resource === leaseObjects);
      if (LEASE_HOLDERS.includes(step)) {
        // Only taking a lease asks whether its holder still runs; renewing and releasing concern the run's own lease.
        expect(describe.map((grant) => grant.action), step).toEqual(LEASE_TAKERS.includes(step) ? ['states:DescribeExecution', 'states:DescribeExecution'] : []);
        if (LEASE_TAKERS.includes(step)) expect(describe.map((grant) => grant.resource).sort(), step).toEqual([...executions].sort());
        expect(onLeases.map((grant) => grant.action).sort(), step).toEqual(leaseObjectActions(step));
      } else {
        expect(describe, step).toEqual([]);
        expect(onLeases, step).toEqual([]);
      }
    }
    // The names the grants use are the state machines' own.
    const stateMachines = synth.template.findResources('AWS::StepFunctions::StateMachine');
    expect(Object.values(stateMachines).map((resource) => (resource as { Properties: { StateMachineName: string } }).Properties.StateMachineName).sort()).toEqual(
      [names.restore, names.rotation].sort(),
    );
  });

  it('schedules the run daily at 03:00 UTC with the schedule trigger and two retries', () => {
    synth.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      Target: {
        Arn: synth.resolve(synth.rotator.stateMachine.stateMachineArn),
        Input: JSON.stringify({ trigger: 'schedule' }),
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }),
      },
    });
  });

  it('lets exactly the steps that complete a rotation step publish events, to the default bus only', () => {
    const defaultBusArn = 'arn:aws:events:us-east-1:123456789012:event-bus/default';
    for (const step of EVERY_STEP) {
      const puts = synth.statementsOf(step).filter((s) => actionsOf(s).some((a) => a.startsWith('events:')));
      if (!EVENT_PUBLISHERS.includes(step)) {
        expect(puts, step).toEqual([]);
        continue;
      }
      expect(puts, step).toHaveLength(1);
      expect(actionsOf(puts[0] as Statement)).toEqual(['events:PutEvents']);
      expect(resourcesOf(puts[0] as Statement).map(arnText)).toEqual([defaultBusArn]);
    }
  });

  it.each([
    ['any failed app', 'failedAppsAlarm', 'AppsFailed'],
    ['any segment it could not scan', 'failedSegmentsAlarm', 'SegmentsFailed'],
  ] as const)('alarms when a run reports %s: %s on the summed %s of the rotator service, at least 1, to the alarm topic', (_what, alarm, metricName) => {
    expect(synth.alarmProperties(alarm)).toMatchObject({
      Namespace: 'ApicCredentialRotator',
      MetricName: metricName,
      Dimensions: ROTATOR_METRIC_DIMENSIONS,
      Statistic: 'Sum',
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(synth.alarmProperties(alarm).AlarmActions).toEqual([synth.resolve(synth.rotator.alarmTopic.topicArn)]);
  });

  it('draws a dashboard with every alarm, the runs and every rotator count', () => {
    const [dashboard] = Object.values(synth.template.findResources('AWS::CloudWatch::Dashboard'));
    // The body is JSON text joined with tokens (alarm and state machine ARNs); a bare placeholder keeps it parseable.
    const join = (dashboard?.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    const text = join[1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(join[0]);
    const body = JSON.parse(text) as {
      widgets: Array<{ properties: { title: string; metrics?: unknown[][]; alarms?: unknown[] } }>;
    };
    const widget = (title: string) => body.widgets.find((w) => w.properties.title === title)?.properties;
    expect(widget('Rotator alarms')?.alarms).toHaveLength(4);
    const runMetrics = (widget('Rotation runs per day')?.metrics ?? []).map((metric) => metric.slice(0, 2));
    expect(runMetrics).toEqual([
      ['AWS/States', 'ExecutionsSucceeded'],
      ['AWS/States', 'ExecutionsFailed'],
      ['AWS/States', 'ExecutionsTimedOut'],
    ]);
    const counts = widget('Credentials per day')?.metrics ?? [];
    expect(counts.map((metric) => metric.slice(0, 4))).toEqual(
      ['CredentialsScanned', 'ReplacementsCreated', 'OriginalsDeleted', 'AppsFailed', 'NoticesSent', 'NoticesFailed', 'RunsSkipped'].map((name) => [
        'ApicCredentialRotator',
        name,
        'service',
        'apic-credential-rotator',
      ]),
    );
  });

  it('alarms on any failed, timed-out or aborted execution, notifying the alarm topic', () => {
    const properties = synth.alarmProperties('failedExecutionsAlarm');
    expect(properties).toMatchObject({ Threshold: 1, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(properties.AlarmActions).toEqual([synth.resolve(synth.rotator.alarmTopic.topicArn)]);
    const metricNames = (properties.Metrics as Array<{ MetricStat?: { Metric: { MetricName: string; Dimensions: unknown } } }>)
      .flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : []));
    expect(metricNames.map((m) => m.MetricName).sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
    for (const metric of metricNames) {
      expect(metric.Dimensions).toEqual([{ Name: 'StateMachineArn', Value: synth.resolve(synth.rotator.stateMachine.stateMachineArn) }]);
    }
  });
});

describe('CredentialRotator with a customised config', () => {
  const topicApp = testApp();
  const shared = new Stack(topicApp, 'Shared', { env: ENV });
  const synth = synthRotator(
    {
      maxConcurrentApps: 7,
      reportRetentionDays: 30,
      schedule: { enabled: false, cron: 'cron(30 2 ? * MON *)', timeZone: 'Europe/Paris' },
      adminSecretName: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:apic/admin',
      consumerAccess: { 'partner-org': ['arn:aws:iam::210987654321:role/partner-app'] },
      apicCaBundle: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    },
    { encryptionKey: kms.Key.fromKeyArn(shared, 'Imported', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab') },
  );

  it('runs segments one at a time and apps in a Distributed Map bounded by maxConcurrentApps, catching failures into AppFailed', () => {
    type MapState = {
      Type: string;
      MaxConcurrency: number;
      ItemProcessor: { ProcessorConfig: { Mode: string }; States: Record<string, { Catch?: Array<{ ErrorEquals: string[]; Next: string }> }> };
    };
    const forEachSegment = synth.definition(synth.rotator.stateMachine).States.ForEachSegment as MapState;
    expect(forEachSegment).toMatchObject({ Type: 'Map', MaxConcurrency: 1, ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' } } });
    const forEachApp = forEachSegment.ItemProcessor.States.ForEachApp as unknown as MapState;
    expect(forEachApp).toMatchObject({ Type: 'Map', MaxConcurrency: 7, ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' } } });
    for (const state of ['AssessApp', 'ExecuteActions']) {
      expect(forEachApp.ItemProcessor.States[state]?.Catch).toEqual([
        expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'AppFailed' }),
      ]);
    }
  });

  it('catches every failure of a segment into SegmentFailed, tolerates failed segment executions, and catches every run-level step', () => {
    type State = { Type: string; ToleratedFailurePercentage?: number; Catch?: Array<{ ErrorEquals: string[]; Next: string }>; ItemProcessor?: { States: Record<string, State> } };
    const states = synth.definition(synth.rotator.stateMachine).States as Record<string, State>;
    const catchesInto = (state: State | undefined) => (state?.Catch ?? []).filter((c) => c.ErrorEquals.includes('States.ALL')).map((c) => c.Next);
    const segment = states.ForEachSegment?.ItemProcessor?.States ?? {};
    expect(states.ForEachSegment?.ToleratedFailurePercentage).toBe(100);
    expect(catchesInto(segment.ScanPage)).toEqual(['SegmentFailed']);
    expect(catchesInto(segment.ForEachApp)).toEqual(['SegmentFailed']);
    expect(catchesInto(states.PrepareRun)).toEqual(['RunFailed']);
    expect(catchesInto(states.ForEachSegment)).toEqual(['BuildReport']);
    expect(catchesInto(states.FinishRun)).toEqual(['BuildReport']);
    expect(catchesInto(states.BuildReport)).toEqual(['ReleaseLease']);
  });

  it('restores secrets in a Distributed Map bounded by maxConcurrentApps inside each segment, catching failures into SecretFailed', () => {
    type MapState = { ItemProcessor: { States: Record<string, { Catch?: unknown[] }> } };
    const runSegment = synth.definition(synth.rotator.restoreStateMachine).States.RunSegment as unknown as MapState;
    // Segments follow one another (each goes on from the previous one's cursor).
    expect(runSegment).toMatchObject({ Type: 'Map', MaxConcurrency: 1, ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' } } });
    const forEachSecret = runSegment.ItemProcessor.States.ForEachSecret as unknown as MapState;
    expect(forEachSecret).toMatchObject({ Type: 'Map', MaxConcurrency: 7, ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' } } });
    expect(forEachSecret.ItemProcessor.States.RestoreCredential?.Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'SecretFailed' }),
    ]);
  });

  it('expires reports and their access logs after the configured reportRetentionDays', () => {
    expect(synth.resourceProperties(synth.rotator.reportBucket).LifecycleConfiguration).toEqual({
      Rules: [{ Prefix: 'reports/', ExpirationInDays: 30, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }],
    });
    expect(accessLogsBucketOf(synth).Properties.LifecycleConfiguration).toEqual({ Rules: [{ ExpirationInDays: 30, Status: 'Enabled' }] });
  });

  it('keeps a disabled schedule with the configured cron and time zone', () => {
    synth.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 2 ? * MON *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      State: 'DISABLED',
    });
  });

  it('uses the given key and creates none', () => {
    synth.template.resourceCountIs('AWS::KMS::Key', 0);
    expect(synth.resourceProperties(synth.rotator.reportBucket).BucketEncryption).toMatchObject({
      ServerSideEncryptionConfiguration: [
        { ServerSideEncryptionByDefault: { KMSMasterKeyID: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' } },
      ],
    });
    synth.template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' });
    expect(synth.functionProperties('create-replacement').Environment.Variables.SECRET_KMS_KEY_ID).toBe(
      'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    );
  });

  it('grants the admin secret by its ARN, complete or partial', () => {
    const [read] = synth.statementsOf('scan-page').filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
    expect(read?.Resource).toEqual([
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:apic/admin',
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:apic/admin-??????',
    ]);
  });

  it('lets secret writers share secrets with consumers, and puts the access map and CA bundle in the config file, not the environment', () => {
    for (const step of SECRET_VALUE_WRITERS) {
      expect(synth.statementsOf(step).flatMap(actionsOf), step).toContain('secretsmanager:PutResourcePolicy');
    }
    for (const step of EVERY_STEP) {
      const environment = JSON.stringify(synth.functionProperties(step).Environment.Variables);
      expect(environment, step).not.toContain('BEGIN CERTIFICATE');
      expect(environment, step).not.toContain('partner-app');
    }
    expect(JSON.parse(readFileSync(synth.rotator.configFile, 'utf8'))).toMatchObject({
      consumerAccess: { 'partner-org': ['arn:aws:iam::210987654321:role/partner-app'] },
      apicCaBundle: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    });
  });

  it('sends every alarm to the topic when one is given', () => {
    const app = testApp();
    const stack = new Stack(app, 'WithTopic', { env: ENV });
    const topic = new sns.Topic(stack, 'Alarms');
    new CredentialRotator(stack, 'Rotator', { config: BASE_CONFIG, alarmTopic: topic });
    const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(4);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([stack.resolve(topic.topicArn)]);
  });

  it('warns that an imported key needs the consumer decrypt statements added by hand', () => {
    const warnings = Annotations.fromStack(synth.stack).findWarning('*', Match.stringLikeRegexp('consumerAccess is set but the encryption key is imported'));
    expect(warnings).toHaveLength(1);
  });

  it('publishes events to the bus it is given', () => {
    const app = testApp();
    const stack = new Stack(app, 'WithBus', { env: ENV });
    const bus = new events.EventBus(stack, 'Bus');
    const rotator = new CredentialRotator(stack, 'Rotator', { config: BASE_CONFIG, eventBus: bus });
    const template = Template.fromStack(stack);
    const variables = template.toJSON().Resources[stack.getLogicalId(rotator.functions['delete-original'].node.defaultChild as CfnFunction)]
      .Properties.Environment.Variables as Record<string, unknown>;
    expect(variables.EVENT_BUS_NAME).toEqual(stack.resolve(bus.eventBusName));
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'events:PutEvents', Resource: stack.resolve(bus.eventBusArn) })]) },
    });
  });
});

describe('invalid config', () => {
  const build = (config: unknown) => () =>
    new RotationStack(testApp(), 'Bad', { env: ENV, config });

  it.each([
    ['deletionDays below expiryDays', { ...BASE_CONFIG, policy: { deletionDays: 80 } }, 'policy.deletionDays'],
    ['an unknown key', { ...BASE_CONFIG, rotateEverything: true }, 'rotateEverything'],
    ['plain http to a remote host', { ...BASE_CONFIG, apicBaseUrl: 'http://apic.example.com/api' }, 'apicBaseUrl'],
  ])('fails the synth on %s, naming the field', (_case, config, field) => {
    expect(build(config)).toThrow(new RegExp(`${field.replace('.', '\\.')}: `));
  });

  it('reports every problem at once', () => {
    const config = { ...BASE_CONFIG, policy: { deletionDays: 80 }, rotateEverything: true, apicBaseUrl: 'http://apic.example.com' };
    const error = captureError(build(config));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.path).sort()).toEqual(['apicBaseUrl', 'policy.deletionDays', 'rotateEverything']);
  });

  it('is validated again by the construct itself', () => {
    const stack = new Stack(testApp(), 'Direct', { env: ENV });
    const config = { ...BASE_CONFIG, maxConcurrentApps: 0 };
    expect(() => new CredentialRotator(stack, 'Rotator', { config })).toThrow(/maxConcurrentApps: /);
  });
});

describe('RotationStack', () => {
  it('outputs the state machine ARN, the key ARN, console links and the event bus', () => {
    const stack = new RotationStack(testApp(), 'Rotation', { env: ENV, config: BASE_CONFIG });
    const outputs = Template.fromStack(stack).findOutputs('*');
    expect(outputs.StateMachineArn?.Value).toEqual(stack.resolve(stack.rotator.stateMachine.stateMachineArn));
    expect(outputs.EncryptionKeyArn?.Value).toEqual(stack.resolve(stack.rotator.encryptionKey.keyArn));
    expect(arnText(outputs.StateMachineConsoleUrl?.Value)).toMatch(
      /^https:\/\/us-east-1\.console\.aws\.amazon\.com\/states\/home\?region=us-east-1#\/statemachines\/view\//,
    );
    expect(arnText(outputs.DashboardUrl?.Value)).toBe(
      `https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/${arnText(stack.resolve(stack.rotator.dashboard.dashboardName))}`,
    );
    expect(outputs.EventBusName?.Value).toBe('default');
  });
});

function captureError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

/** A state machine definition as JSON, with every CloudFormation token replaced by a placeholder string. */
function parseDefinition(definitionString: unknown): { TimeoutSeconds?: number; States: Record<string, unknown> } {
  const definition = definitionString as string | { 'Fn::Join': [string, unknown[]] };
  const text = typeof definition === 'string' ? definition : definition['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  return JSON.parse(text);
}
