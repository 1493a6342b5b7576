import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { ConfigError, type RotatorConfigInput } from '../functions/core/config';
import { CredentialRotator, EnvironmentTooLargeError, type CredentialRotatorProps } from '../lib/credential-rotator';
import { RotationStack } from '../lib/rotation-stack';
import { ROTATION_STEPS, type RotationStep } from '../lib/rotation-workflow';

const ENV = { account: '123456789012', region: 'us-east-1' };
const SENDER = 'rotation@example.com';
const BASE_CONFIG = {
  targets: [{ providerOrg: 'acme', catalog: 'production' }],
  apicBaseUrl: 'https://apic.example.com/api',
  notificationSender: SENDER,
} satisfies RotatorConfigInput;

const APIC_CALLERS: RotationStep[] = [
  'scan-page',
  'assess-app',
  'create-replacement',
  'finish-replacement',
  'repair-replacement',
  'delete-original',
  'rename-replacement',
];
const SECRET_WRITERS: RotationStep[] = ['create-replacement', 'finish-replacement', 'repair-replacement'];
const EVENT_PUBLISHERS: RotationStep[] = [...SECRET_WRITERS, 'delete-original'];
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
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test', { env: ENV });
  const rotator = new CredentialRotator(stack, 'Rotator', { ...props, config: { ...BASE_CONFIG, ...config } });
  const template = Template.fromStack(stack);

  const functionProperties = (step: RotationStep) => {
    const logicalId = stack.getLogicalId(rotator.functions[step].node.defaultChild as CfnFunction);
    return template.toJSON().Resources[logicalId].Properties as {
      Environment: { Variables: Record<string, unknown> };
    };
  };
  const statementsOf = (step: RotationStep): Statement[] => {
    const role = rotator.functions[step].role;
    if (!role) throw new Error(`${step} has no role`);
    const roleId = stack.getLogicalId(role.node.defaultChild as CfnRole);
    return Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => (policy.Properties.Roles as unknown[]).some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId })))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
  };
  const alarmProperties = (alarm: 'failedExecutionsAlarm' | 'failedAppsAlarm') =>
    template.toJSON().Resources[stack.getLogicalId(rotator[alarm].node.defaultChild as CfnAlarm)].Properties as Record<string, unknown>;
  return { stack, rotator, template, functionProperties, statementsOf, alarmProperties, resolve: (value: unknown) => stack.resolve(value) };
}

const actionsOf = (statement: Statement) => [statement.Action].flat();
const resourcesOf = (statement: Statement) => [statement.Resource].flat();
/** Turns `Fn::Join` ARNs into plain text (tokens as `<…>`), for readable assertions. */
const arnText = (value: unknown): string => {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(arnText).join(join[0]);
  return `<${JSON.stringify(value)}>`;
};

describe('CredentialRotator with a minimal config', () => {
  const synth = synthRotator();

  it('runs every step on arm64 Node.js 24 with active tracing, 512 MB and the step timeouts', () => {
    for (const step of ROTATION_STEPS) {
      const props = synth.functionProperties(step) as unknown as Record<string, unknown>;
      expect(props).toMatchObject({
        Architectures: ['arm64'],
        Runtime: 'nodejs24.x',
        TracingConfig: { Mode: 'Active' },
        MemorySize: 512,
        Timeout: step === 'scan-page' || step === 'finish-run' ? 300 : 60,
      });
    }
  });

  it('gives each function only non-secret environment variables, and only those it reads', () => {
    const allowed = new Set([
      'POWERTOOLS_SERVICE_NAME',
      'POWERTOOLS_METRICS_NAMESPACE',
      'NODE_OPTIONS',
      'ROTATOR_CONFIG',
      'ADMIN_SECRET_ID',
      'SECRET_PREFIX',
      'SECRET_KMS_KEY_ID',
      'NOTIFICATION_SENDER',
      'EVENT_BUS_NAME',
    ]);
    for (const step of ROTATION_STEPS) {
      const variables = synth.functionProperties(step).Environment.Variables;
      for (const name of Object.keys(variables)) expect(allowed, `${step}: ${name}`).toContain(name);
      expect('ADMIN_SECRET_ID' in variables, step).toBe(APIC_CALLERS.includes(step));
      expect(JSON.parse(String(variables.ROTATOR_CONFIG)), step).toMatchObject({ ...BASE_CONFIG, policy: { expiryDays: 90 } });
      expect('NOTIFICATION_SENDER' in variables, step).toBe(step === 'finish-run');
      expect(variables.EVENT_BUS_NAME, step).toBe(EVENT_PUBLISHERS.includes(step) ? 'default' : undefined);
    }
    expect(synth.functionProperties('scan-page').Environment.Variables).toMatchObject({
      ADMIN_SECRET_ID: 'apic-rotator/admin',
      POWERTOOLS_SERVICE_NAME: 'apic-credential-rotator',
      POWERTOOLS_METRICS_NAMESPACE: 'ApicCredentialRotator',
    });
  });

  it('scopes secret writes to the credential prefix and lets no statement write secrets on *', () => {
    const prefixArn = 'arn:<{"Ref":"AWS::Partition"}>:secretsmanager:us-east-1:123456789012:secret:apic-rotator/*';
    for (const step of SECRET_WRITERS) {
      const writes = synth.statementsOf(step).filter((s) => actionsOf(s).includes('secretsmanager:PutSecretValue'));
      expect(writes, step).toHaveLength(1);
      expect(actionsOf(writes[0] as Statement)).toEqual(
        expect.arrayContaining(['secretsmanager:CreateSecret', 'secretsmanager:UpdateSecretVersionStage', 'secretsmanager:TagResource']),
      );
      expect(actionsOf(writes[0] as Statement)).not.toContain('secretsmanager:PutResourcePolicy');
      expect(resourcesOf(writes[0] as Statement).map(arnText)).toEqual([prefixArn]);
    }
    const everyStatement = Object.values(synth.template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
    );
    for (const statement of everyStatement.filter((s) => resourcesOf(s).includes('*'))) {
      expect(actionsOf(statement).filter((action) => SECRET_WRITE_ACTIONS.includes(action))).toEqual([]);
    }
  });

  it('lets APIC callers read the admin secret only, and nothing else outside the prefix', () => {
    const adminArn = 'arn:<{"Ref":"AWS::Partition"}>:secretsmanager:us-east-1:123456789012:secret:apic-rotator/admin-??????';
    const scanPageSecretStatements = synth.statementsOf('scan-page').filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(scanPageSecretStatements).toHaveLength(1);
    expect(actionsOf(scanPageSecretStatements[0] as Statement)).toEqual(['secretsmanager:GetSecretValue']);
    expect(resourcesOf(scanPageSecretStatements[0] as Statement).map(arnText)).toEqual([adminArn]);
    expect(synth.statementsOf('prepare-run').flatMap(actionsOf).filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
  });

  it('conditions SES sending on the configured sender and grants it to finish-run only', () => {
    const sesStatements = (step: RotationStep) => synth.statementsOf(step).filter((s) => actionsOf(s).some((a) => a.startsWith('ses:')));
    const [send] = sesStatements('finish-run');
    expect(send).toMatchObject({
      Action: ['ses:SendEmail', 'ses:SendRawEmail'],
      Condition: { StringEquals: { 'ses:FromAddress': SENDER } },
    });
    expect(resourcesOf(send as Statement).map(arnText)).toEqual(['arn:<{"Ref":"AWS::Partition"}>:ses:us-east-1:123456789012:identity/*']);
    for (const step of ROTATION_STEPS.filter((s) => s !== 'finish-run')) expect(sesStatements(step), step).toEqual([]);
  });

  it('uses the key only through Secrets Manager, encrypting only in functions that write secrets', () => {
    const keyArn = synth.resolve(synth.rotator.encryptionKey.keyArn);
    for (const step of ROTATION_STEPS) {
      const keyStatements = synth.statementsOf(step).filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));
      for (const statement of keyStatements) {
        expect(statement.Resource).toEqual(keyArn);
        expect(statement.Condition).toEqual({ StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } });
      }
      const encrypts = keyStatements.flatMap(actionsOf).includes('kms:GenerateDataKey');
      expect(encrypts, step).toBe(SECRET_WRITERS.includes(step) || step === 'queue-notice');
    }
  });

  it('creates a rotating key that only the account and CloudWatch Logs (for the rotator log groups) may use', () => {
    synth.template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: [
          Match.objectLike({ Action: 'kms:*', Principal: { AWS: Match.anyValue() } }),
          Match.objectLike({
            Principal: { Service: 'logs.us-east-1.amazonaws.com' },
            Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } },
          }),
        ],
      },
    });
  });

  it('encrypts every log group with the key and keeps logs one year', () => {
    const keyArn = synth.resolve(synth.rotator.encryptionKey.keyArn);
    const logGroups = Object.values(synth.template.findResources('AWS::Logs::LogGroup'));
    expect(logGroups).toHaveLength(ROTATION_STEPS.length + 1);
    for (const logGroup of logGroups) {
      expect(logGroup.Properties).toMatchObject({ KmsKeyId: keyArn, RetentionInDays: 365 });
      expect(logGroup.Properties.LogGroupName).toMatch(/^\/aws\/vendedlogs\/apic-credential-rotator\//);
    }
  });

  it('logs the state machine at ERROR without execution data, traced, with a 12 hour timeout', () => {
    synth.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      LoggingConfiguration: { Level: 'ERROR', IncludeExecutionData: false },
      TracingConfiguration: { Enabled: true },
    });
    expect(definitionOf(synth.template).TimeoutSeconds).toBe(12 * 3600);
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
    const defaultBusArn = 'arn:<{"Ref":"AWS::Partition"}>:events:us-east-1:123456789012:event-bus/default';
    for (const step of ROTATION_STEPS) {
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

  it('alarms when a run reports any failed app: AppsFailed of the rotator service, summed, at least 1', () => {
    expect(synth.alarmProperties('failedAppsAlarm')).toMatchObject({
      Namespace: 'ApicCredentialRotator',
      MetricName: 'AppsFailed',
      Dimensions: ROTATOR_METRIC_DIMENSIONS,
      Statistic: 'Sum',
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(synth.alarmProperties('failedAppsAlarm').AlarmActions).toBeUndefined();
  });

  it('draws a dashboard with both alarms, the runs and every rotator count', () => {
    const [dashboard] = Object.values(synth.template.findResources('AWS::CloudWatch::Dashboard'));
    // The body is JSON text joined with tokens (alarm and state machine ARNs); a bare placeholder keeps it parseable.
    const join = (dashboard?.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    const text = join[1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(join[0]);
    const body = JSON.parse(text) as {
      widgets: Array<{ properties: { title: string; metrics?: unknown[][]; alarms?: unknown[] } }>;
    };
    const widget = (title: string) => body.widgets.find((w) => w.properties.title === title)?.properties;
    expect(widget('Rotator alarms')?.alarms).toHaveLength(2);
    const runMetrics = (widget('Rotation runs per day')?.metrics ?? []).map((metric) => metric.slice(0, 2));
    expect(runMetrics).toEqual([
      ['AWS/States', 'ExecutionsSucceeded'],
      ['AWS/States', 'ExecutionsFailed'],
      ['AWS/States', 'ExecutionsTimedOut'],
    ]);
    const counts = widget('Credentials per day')?.metrics ?? [];
    expect(counts.map((metric) => metric.slice(0, 4))).toEqual(
      ['CredentialsScanned', 'ReplacementsCreated', 'OriginalsDeleted', 'AppsFailed', 'NoticesSent', 'NoticesFailed'].map((name) => [
        'ApicCredentialRotator',
        name,
        'service',
        'apic-credential-rotator',
      ]),
    );
  });

  it('alarms on any failed, timed-out or aborted execution, without an action when no topic is given', () => {
    const properties = synth.alarmProperties('failedExecutionsAlarm');
    expect(properties).toMatchObject({ Threshold: 1, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(properties.AlarmActions).toBeUndefined();
    const metricNames = (properties.Metrics as Array<{ MetricStat?: { Metric: { MetricName: string; Dimensions: unknown } } }>)
      .flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : []));
    expect(metricNames.map((m) => m.MetricName).sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
    for (const metric of metricNames) {
      expect(metric.Dimensions).toEqual([{ Name: 'StateMachineArn', Value: synth.resolve(synth.rotator.stateMachine.stateMachineArn) }]);
    }
  });
});

describe('CredentialRotator with a customised config', () => {
  const topicApp = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const shared = new Stack(topicApp, 'Shared', { env: ENV });
  const synth = synthRotator(
    {
      maxConcurrentApps: 7,
      schedule: { enabled: false, cron: 'cron(30 2 ? * MON *)', timeZone: 'Europe/Paris' },
      adminSecretName: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:apic/admin',
      consumerAccess: { 'partner-org': ['arn:aws:iam::210987654321:role/partner-app'] },
      apicCaBundle: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    },
    { encryptionKey: kms.Key.fromKeyArn(shared, 'Imported', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab') },
  );

  it('runs apps in a Distributed Map bounded by maxConcurrentApps, catching failures into AppFailed', () => {
    const forEachApp = definitionOf(synth.template).States.ForEachApp as {
      Type: string;
      MaxConcurrency: number;
      ItemProcessor: { ProcessorConfig: { Mode: string }; States: Record<string, { Catch?: Array<{ ErrorEquals: string[]; Next: string }> }> };
    };
    expect(forEachApp).toMatchObject({ Type: 'Map', MaxConcurrency: 7, ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' } } });
    for (const state of ['AssessApp', 'ExecuteActions']) {
      expect(forEachApp.ItemProcessor.States[state]?.Catch).toEqual([
        expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'AppFailed' }),
      ]);
    }
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

  it('lets secret writers share secrets with consumers, passing the access map and CA bundle only where read', () => {
    for (const step of SECRET_WRITERS) {
      expect(synth.statementsOf(step).flatMap(actionsOf), step).toContain('secretsmanager:PutResourcePolicy');
      expect(JSON.parse(String(synth.functionProperties(step).Environment.Variables.CONSUMER_ACCESS))).toEqual({
        'partner-org': ['arn:aws:iam::210987654321:role/partner-app'],
      });
    }
    for (const step of ROTATION_STEPS) {
      const variables = synth.functionProperties(step).Environment.Variables;
      expect('APIC_CA_BUNDLE' in variables, step).toBe(APIC_CALLERS.includes(step));
      expect('CONSUMER_ACCESS' in variables, step).toBe(SECRET_WRITERS.includes(step));
    }
    const runConfig = JSON.parse(String(synth.functionProperties('prepare-run').Environment.Variables.ROTATOR_CONFIG));
    expect(runConfig).not.toHaveProperty('consumerAccess');
    expect(runConfig).not.toHaveProperty('apicCaBundle');
  });

  it('sends both alarms to the topic when one is given', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'WithTopic', { env: ENV });
    const topic = new sns.Topic(stack, 'Alarms');
    new CredentialRotator(stack, 'Rotator', { config: BASE_CONFIG, alarmTopic: topic });
    const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(2);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([stack.resolve(topic.topicArn)]);
  });

  it('warns that an imported key needs the consumer decrypt statements added by hand', () => {
    const warnings = Annotations.fromStack(synth.stack).findWarning('*', Match.stringLikeRegexp('consumerAccess is set but the encryption key is imported'));
    expect(warnings).toHaveLength(1);
  });

  it('publishes events to the bus it is given', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
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
    new RotationStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Bad', { env: ENV, config });

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
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Direct', { env: ENV });
    const config = { ...BASE_CONFIG, maxConcurrentApps: 0 };
    expect(() => new CredentialRotator(stack, 'Rotator', { config })).toThrow(/maxConcurrentApps: /);
  });

  it('fails the synth when a CA bundle would overflow the Lambda environment', () => {
    const certificate = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(4200)}\n-----END CERTIFICATE-----\n`;
    const error = captureError(build({ ...BASE_CONFIG, apicCaBundle: certificate }));
    expect(error).toBeInstanceOf(EnvironmentTooLargeError);
    expect((error as Error).message).toMatch(/APIC_CA_BUNDLE/);
  });
});

describe('RotationStack', () => {
  it('outputs the state machine ARN, the key ARN, console links and the event bus', () => {
    const stack = new RotationStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Rotation', { env: ENV, config: BASE_CONFIG });
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

/** The state machine definition as JSON, with every CloudFormation token replaced by a placeholder string. */
function definitionOf(template: Template): { TimeoutSeconds?: number; States: Record<string, unknown> } {
  const [stateMachine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const definition = stateMachine?.Properties.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  const text = typeof definition === 'string' ? definition : definition['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  return JSON.parse(text);
}
