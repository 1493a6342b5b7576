/**
 * The committed diagram (docs/architecture.dot, rendered to docs/architecture.svg by `npm run diagram`) is the one
 * the current stack synthesizes to, and it shows the workflow's key resources and how they connect. DOT only: no
 * Graphviz needed.
 */
import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { RotationStack } from '../lib/rotation-stack';
import { buildDot, type CfnTemplate } from '../tools/diagram/graph';
import { testApp } from './support/cdk-app';

const ROOT = new URL('..', import.meta.url);

/** The stack as bin/app.ts builds it from the shipped cdk.json, synthesized in-process. */
function synthesizeShippedStack(): CfnTemplate {
  const cdkJson = JSON.parse(readFileSync(new URL('cdk.json', ROOT), 'utf8')) as { context: { rotator: unknown } };
  const stack = new RotationStack(testApp(), 'ApicCredentialRotator', {
    env: { account: '123456789012', region: 'eu-west-1' },
    config: cdkJson.context.rotator,
  });
  return Template.fromStack(stack).toJSON() as CfnTemplate;
}

describe('architecture diagram', () => {
  let template: CfnTemplate;
  let dot: string;
  beforeAll(() => {
    template = synthesizeShippedStack();
    dot = buildDot(template);
  });

  it('docs/architecture.dot is what the current stack synthesizes to (run `npm run diagram` if not)', () => {
    expect(readFileSync(new URL('docs/architecture.dot', ROOT), 'utf8')).toBe(dot);
  });

  it('does not depend on the account or region', () => {
    expect(dot).not.toMatch(/123456789012|eu-west-1|us-east-1/);
  });

  it('shows the schedule starting the rotation, and each workflow invoking its functions', () => {
    expect(dot).toContain('scheduler_schedule -> sfn_rotation');
    expect(dot).toMatch(/scheduler_schedule \[label="EventBridge Scheduler\\ncron\(0 3 \* \* \? \*\) UTC\\nstate: DISABLED"/);
    for (const fn of ['prepare_run', 'scan_page', 'assess_app', 'create_replacement', 'delete_original', 'finish_run', 'build_report']) {
      expect(dot).toContain(`sfn_rotation -> fn_${fn} `);
    }
    for (const fn of ['restore_prepare', 'restore_list_page', 'restore_credential']) expect(dot).toContain(`sfn_restore -> fn_${fn} `);
    expect(dot).not.toMatch(/sfn_rotation -> fn_restore_/);
    expect(dot.match(/\[label="[a-z-]+", shape=component\]/g)).toHaveLength(17);
  });

  it('shows what the functions reach: credential secrets, the admin secret, the bucket, the key, SES and the bus', () => {
    expect(dot).toMatch(/secrets_apic_rotator \[label="Secrets Manager\\ncredential secrets\\napic-rotator\/\*"/);
    expect(dot).toMatch(/secret_apic_rotator_admin \[label="Secrets Manager\\nadmin secret\\napic-rotator-admin/);
    for (const fn of ['assess_app', 'create_replacement', 'finish_replacement', 'delete_original', 'restore_credential']) {
      expect(dot).toContain(`fn_${fn} -> secrets_apic_rotator;`);
    }
    expect(dot).toContain('fn_prepare_run -> secret_apic_rotator_admin;');
    expect(dot).toContain('fn_build_report -> s3_reports;');
    expect(dot).toContain('fn_create_replacement -> kms_key ');
    expect(dot).toContain('fn_finish_run -> ses;');
    expect(dot).toContain('fn_create_replacement -> event_bus_default;');
    expect(dot).toContain('s3_reports -> s3_reportaccesslogs;');
    expect(dot).toContain('cloudwatch_failedexecutionsalarm -> sfn_rotation;');
    expect(dot).toMatch(/log_groups \[label="CloudWatch Logs\\n19 log groups/);
  });

  it('is deterministic: the same template in any key order gives the same text', () => {
    const reversed = { Resources: Object.fromEntries(Object.entries(template.Resources ?? {}).reverse()) };
    expect(buildDot(reversed)).toBe(dot);
  });
});

describe('README deploy section', () => {
  const readme = readFileSync(new URL('README.md', ROOT), 'utf8');
  const deploy = readme.slice(readme.indexOf('### Deploy\n'), readme.indexOf('### First run: a dry run'));

  it('shows the committed diagram', () => {
    expect(deploy).toContain('![Deployed resources](docs/architecture.svg)');
    const svg = readFileSync(new URL('docs/architecture.svg', ROOT), 'utf8');
    expect(svg).toMatch(/<svg[\s\S]*rotation state machine[\s\S]*<\/svg>/);
  });

  it('covers the prerequisites, the deployer IAM, enabling the schedule, rollback and destroy', () => {
    for (const text of [
      'cdk bootstrap aws://ACCOUNT/REGION',
      'cdk-hnb659fds-deploy-role-ACCOUNT-REGION',
      'cdk-hnb659fds-file-publishing-role-ACCOUNT-REGION',
      'sts:AssumeRole',
      'iam:PassRole',
      'Node.js 20.19',
      'adminSecretName',
      'SES out of the sandbox',
      '"schedule": { "enabled": true }',
      'cdk destroy',
      'https://docs.aws.amazon.com/cdk/v2/guide/bootstrapping.html',
    ]) {
      expect(deploy).toContain(text);
    }
  });

  it('names the npm script that regenerates the diagram', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.diagram).toContain('tools/diagram/main.ts');
    expect(deploy).toContain('npm run diagram');
  });
});
