import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRotatorConfig } from '../functions/domain/config';
import { ConfigFileError, readRotatorConfigFile, writeRotatorConfigFile } from '../functions/runtime/config-file';
import { RotatorFunction } from '../lib/lambda-defaults';
import { testApp } from './support/cdk-app';

const CONFIG = parseRotatorConfig({
  targets: [{ providerOrg: 'acme', catalog: 'production' }],
  apicBaseUrl: 'https://apic.example.com/api',
  notificationSender: 'rotation@example.com',
  apicCaBundle: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  consumerAccess: { partner: ['arn:aws:iam::210987654321:role/partner-app'] },
});

const directory = mkdtempSync(join(tmpdir(), 'rotator-config-file-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function readError(environment: NodeJS.ProcessEnv): Error {
  try {
    readRotatorConfigFile(environment);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the config file to be refused');
}

describe('the rotator config file', () => {
  it('is read back as the config it was written from, from a path relative to the function code', () => {
    const path = writeRotatorConfigFile(directory, CONFIG);
    expect(readRotatorConfigFile({ ROTATOR_CONFIG_FILE: path })).toEqual(CONFIG);
    expect(readRotatorConfigFile({ ROTATOR_CONFIG_FILE: path.slice(directory.length + 1), LAMBDA_TASK_ROOT: directory })).toEqual(CONFIG);
  });

  it('gets a new name when the config changes, and keeps it when it does not', () => {
    const first = writeRotatorConfigFile(directory, CONFIG);
    expect(writeRotatorConfigFile(directory, { ...CONFIG })).toBe(first);
    expect(writeRotatorConfigFile(directory, { ...CONFIG, pageSize: 50 })).not.toBe(first);
  });

  it('fails with a clear message when unset, missing, not JSON or not a valid config', () => {
    const notJson = join(directory, 'not-json.json');
    writeFileSync(notJson, '{"targets": [');
    const invalid = join(directory, 'invalid.json');
    writeFileSync(invalid, JSON.stringify({ ...CONFIG, pageSize: 0 }));
    const cases: Array<[NodeJS.ProcessEnv, RegExp]> = [
      [{}, /environment variable ROTATOR_CONFIG_FILE is not set/],
      [{ ROTATOR_CONFIG_FILE: join(directory, 'absent.json') }, /rotator config file .*absent\.json cannot be read \(ENOENT\)/],
      [{ ROTATOR_CONFIG_FILE: notJson }, /rotator config file .*not-json\.json is not valid JSON/],
      [{ ROTATOR_CONFIG_FILE: invalid }, /rotator config file .*invalid\.json is invalid:\n- pageSize: must be at least 1/],
    ];
    for (const [environment, message] of cases) {
      const error = readError(environment);
      expect(error).toBeInstanceOf(ConfigFileError);
      expect(error.message).toMatch(message);
    }
  });
});

describe("a function's bundled asset", () => {
  const outdir = mkdtempSync(join(tmpdir(), 'rotator-bundle-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('holds the config file the construct wrote, where the runtime looks for it', () => {
    // Bundles one function for real (the other CDK tests skip bundling): esbuild, then the copy hook.
    const app = testApp({ outdir, context: { 'aws:cdk:bundling-stacks': ['**'] } });
    const stack = new Stack(app, 'Bundled', { env: { account: '123456789012', region: 'us-east-1' } });
    const configFile = writeRotatorConfigFile(join(outdir, 'rotator-config'), CONFIG);
    const fn = new RotatorFunction(stack, 'PrepareRun', {
      handlerName: 'prepare-run',
      logGroupName: '/aws/vendedlogs/apic-credential-rotator/test/prepare-run',
      logRetention: logs.RetentionDays.ONE_DAY,
      encryptionKey: new kms.Key(stack, 'Key'),
      configFile,
    });
    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    const assetDirectory = join(outdir, assets[0] as string);
    expect(existsSync(join(assetDirectory, 'index.mjs'))).toBe(true);
    const environment = stack.resolve((fn.node.defaultChild as { environment?: unknown }).environment) as { variables: Record<string, string> };
    expect(readRotatorConfigFile({ ROTATOR_CONFIG_FILE: environment.variables.ROTATOR_CONFIG_FILE, LAMBDA_TASK_ROOT: assetDirectory })).toEqual(CONFIG);
  });
});
