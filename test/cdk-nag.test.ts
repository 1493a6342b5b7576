import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import cdkNag from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { CredentialRotator } from '../lib/credential-rotator';
import { RotationStack } from '../lib/rotation-stack';
import { MINIMAL_CONFIG, TEST_ENV, testApp } from './support/cdk-app';

const { AwsSolutionsChecks } = cdkNag;


const outdirs: string[] = [];
afterAll(() => {
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

/** An app with the AwsSolutions pack active, writing its validation report to a temporary directory. */
function appWithNag(): { app: ReturnType<typeof testApp>; outdir: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'rotator-nag-'));
  outdirs.push(outdir);
  const app = testApp({ outdir });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, outdir };
}

function violationsIn(outdir: string): Array<{ ruleName: string; constructPaths: string[] }> {
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: Array<{ violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }> }>;
  };
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.map((violation) => ({
      ruleName: violation.ruleName,
      constructPaths: violation.violatingConstructs.map((construct) => construct.constructPath),
    })),
  );
}

describe('AwsSolutions checks', () => {
  it('pass for the deployable stack, with its alarm topic and subscriptions, with the acknowledgements the construct carries', () => {
    const { app } = appWithNag();
    new RotationStack(app, 'Rotation', { env: TEST_ENV, config: { ...MINIMAL_CONFIG, alarmEmails: ['oncall@example.com'], adminSecretKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/0987dcba-09fe-87dc-65ba-ab0987654321' } });
    expect(() => app.synth()).not.toThrow();
  });

  it('pass with consumer access, an alarm topic and a key of your own', () => {
    const { app } = appWithNag();
    const stack = new Stack(app, 'Custom', { env: TEST_ENV });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const alarmTopic = new sns.Topic(stack, 'Alarms', { enforceSSL: true, masterKey: key });
    new CredentialRotator(stack, 'Rotator', {
      config: { ...MINIMAL_CONFIG, consumerAccess: { partner: ['arn:aws:iam::210987654321:role/partner-app'] } },
      encryptionKey: key,
      alarmTopic,
    });
    expect(() => app.synth()).not.toThrow();
  });

  it('fail the synth on a non-compliant resource next to the rotator, reporting only that resource', () => {
    const { app, outdir } = appWithNag();
    const stack = new RotationStack(app, 'Rotation', { env: TEST_ENV, config: MINIMAL_CONFIG });
    const admin = new iam.Role(stack, 'TooPowerful', { assumedBy: new iam.AccountRootPrincipal() });
    admin.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:*'], resources: ['*'] }));

    expect(() => app.synth()).toThrow(/AwsSolutions[\s\S]*Rotation\/TooPowerful/);
    const violations = violationsIn(outdir);
    expect(violations.map((violation) => violation.ruleName).sort()).toEqual([
      'AwsSolutions-IAM5[Action::secretsmanager:*]',
      'AwsSolutions-IAM5[Resource::*]',
    ]);
    for (const violation of violations) expect(violation.constructPaths).toEqual(['Rotation/TooPowerful/DefaultPolicy/Resource']);
  });

  it('still fail the synth on a rotator function given the whole report bucket, though reports/ is acknowledged', () => {
    const { app, outdir } = appWithNag();
    const stack = new RotationStack(app, 'Rotation', { env: TEST_ENV, config: MINIMAL_CONFIG });
    stack.rotator.reportBucket.grantRead(stack.rotator.restoreFunctions['restore-finish']);

    expect(() => app.synth()).toThrow(/AwsSolutions/);
    const violations = violationsIn(outdir);
    const bucketId = stack.getLogicalId(stack.rotator.reportBucket.node.defaultChild as CfnElement);
    expect(violations.map((violation) => violation.ruleName)).toContain(`AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`);
    for (const violation of violations) expect(violation.constructPaths).toEqual(['Rotation/Rotator/RestoreFinishRole/DefaultPolicy/Resource']);
  });
});
