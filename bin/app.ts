import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { App, Errors } from 'aws-cdk-lib';
import { ConfigError } from '../functions/domain/config';
import { RotationStack } from '../lib/rotation-stack';

/** No config was given, or the file named by `-c configFile=…` could not be read as JSON. */
class ConfigFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigFileError';
  }
}

/** `-c configFile=path.json` wins over the `rotator` object in `cdk.json`. */
function readRawConfig(app: App): unknown {
  const configFile: unknown = app.node.tryGetContext('configFile');
  if (typeof configFile !== 'string' || configFile === '') {
    const contextConfig: unknown = app.node.tryGetContext('rotator');
    if (contextConfig === undefined) {
      throw new ConfigFileError('No rotator config: add a "rotator" object to the context in cdk.json, or pass -c configFile=path/to/config.json');
    }
    return contextConfig;
  }
  const path = resolve(configFile);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigFileError(`configFile: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigFileError(`configFile: ${path} is not valid JSON (${(error as Error).message})`, { cause: error });
  }
}

const app = new App();
try {
  new RotationStack(app, 'ApicCredentialRotator', {
    description: 'Rotates IBM API Connect client credentials (Step Functions, Lambda, Secrets Manager, SES)',
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    config: readRawConfig(app),
  });
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write('Invalid rotator config (cdk.json context "rotator", or -c configFile=…):\n');
    for (const problem of error.problems) process.stderr.write(`  ${problem.path}: ${problem.message}\n`);
    process.exit(1);
  }
  if (error instanceof ConfigFileError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
try {
  app.synth();
} catch (error) {
  // Failed validations, the rotator's size limits among them (lib/size-limits.ts), each naming the limit, the size
  // measured and the config field to change. They run at synth, after the CDK has split large role policies.
  if (Errors.isConstructError(error)) {
    process.stderr.write(`The rotator would not deploy:\n${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
