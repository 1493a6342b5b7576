import { posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Architecture, LoggingFormat, Runtime, Tracing, type EnvironmentOptions } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { BUNDLED_CONFIG_FILE_NAME, ROTATOR_CONFIG_FILE_VARIABLE } from '../functions/runtime/config-file';

/** The repository root: handlers, `package-lock.json` and `node_modules` (esbuild) all live there. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The handler file of a step (`StepSpec.handler`): the entry of its bundle, also imported by the local runner. */
export function handlerEntry(handler: string): string {
  return fileURLToPath(new URL(`../functions/handlers/${handler}.ts`, import.meta.url));
}

/**
 * Lambda rejects a function whose environment variables (names plus values) exceed 4 KB in total: "Function
 * environment variables: 4 KB, for all environment variables associated with the function, in aggregate"
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

/**
 * Logs outlive a deleted stack (an audit trail of the rotations), but not a create that rolled back: CloudFormation's
 * `RetainExceptOnCreate` deletes a resource when the stack operation that created it is rolled back and retains it
 * on every other operation (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html).
 * A retained group keeps its name, so the names carry the stack instance's id (see CredentialRotator).
 */
export const ROTATOR_LOG_GROUP_REMOVAL = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;

/** Powertools service name: the `service` dimension of every rotator metric. */
export const ROTATOR_SERVICE_NAME = 'apic-credential-rotator';
/** CloudWatch namespace of the metrics the step handlers publish. */
export const ROTATOR_METRICS_NAMESPACE = 'ApicCredentialRotator';

/** The esbuild settings every Lambda bundle is built with. */
export interface LambdaBundling {
  readonly format: 'esm';
  readonly target: string;
  readonly minify: boolean;
  /** A linked source map beside the bundle. */
  readonly sourcemap: boolean;
  readonly keepNames: boolean;
  readonly external: readonly string[];
  /** JavaScript put before the bundle. */
  readonly banner: string;
  readonly mainFields: readonly string[];
  /** Module name → the module bundled in its place. */
  readonly alias: Readonly<Record<string, string>>;
}

/**
 * How every rotator Lambda is bundled. `RotatorFunction` hands it to the CDK and `npm run bench` to esbuild itself,
 * so the bench measures the bundles that are deployed.
 */
export const LAMBDA_BUNDLING: LambdaBundling = {
  format: 'esm',
  target: 'node22',
  minify: true,
  sourcemap: true,
  // keepNames would wrap every function and class of every dependency to pin its name: about 19 KB per bundle
  // for nothing, since error names are set explicitly (see RotatorFunction).
  keepNames: false,
  external: ['@aws-sdk/*'],
  banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
  mainFields: ['module', 'main'],
  alias: {
    // The X-Ray SDK (under the Powertools Tracer) requires semver for one `semver.gte` call that only its AWS SDK v2
    // patcher makes. The rotator uses SDK v3 (`captureAWSv3Client`) and never that patcher, so semver is swapped for
    // a stub that throws (relative to the project root, where esbuild runs); calling `captureAWS` would now throw.
    semver: './lib/bundling/semver-v2-patcher-only.cjs',
  },
};

/**
 * The CDK bundling options for `bundling`, plus a copy of `configFile` into the asset as `rotator-config.json`.
 * The copy runs as a shell command after esbuild, on this machine or in the bundling container. It names the file
 * relative to the project root, which the container mounts as `inputDir`, so the file must lie under the project
 * root in container builds (the default `cdk.out` does); local builds, the usual case with esbuild installed, take
 * any path.
 */
function cdkBundlingOptions(bundling: LambdaBundling, configFile: string): BundlingOptions {
  const configFromRoot = relative(PROJECT_ROOT, configFile).split('\\').join('/');
  return {
    format: OutputFormat.ESM,
    target: bundling.target,
    minify: bundling.minify,
    sourceMap: bundling.sourcemap,
    keepNames: bundling.keepNames,
    externalModules: [...bundling.external],
    banner: bundling.banner,
    mainFields: [...bundling.mainFields],
    esbuildArgs: { '--alias': Object.entries(bundling.alias).map(([from, to]) => `${from}=${to}`) },
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (inputDir, outputDir) => [`cp ${shellQuoted(posix.join(inputDir, configFromRoot))} ${shellQuoted(posix.join(outputDir, BUNDLED_CONFIG_FILE_NAME))}`],
    },
  };
}

function shellQuoted(path: string): string {
  return `'${path.replaceAll("'", `'\\''`)}'`;
}

/** Upper bound for a value only known at deploy time (ARNs and key ids resolve to well under this). */
const UNRESOLVED_VALUE_BYTES = 128;

/** Bytes per variable name, per function. Kept outside the class: the base constructor may add variables before
 * subclass fields exist. */
const environmentSizes = new WeakMap<RotatorFunction, Map<string, number>>();

export interface RotatorFunctionProps {
  /** Handler file name in `functions/handlers/`, without extension. */
  readonly handlerName: string;
  /**
   * Log group name; the key policy only lets CloudWatch Logs use the key under the rotator's log prefix. The group is
   * kept when the stack is deleted (`ROTATOR_LOG_GROUP_REMOVAL`), so the name must be unique per stack instance.
   */
  readonly logGroupName: string;
  readonly logRetention: logs.RetentionDays;
  readonly encryptionKey: kms.IKey;
  /** @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /**
   * The rotator config file written at synth (`writeRotatorConfigFile`): bundled into the asset as
   * `rotator-config.json` and named by `ROTATOR_CONFIG_FILE`, where the runtime reads it at cold start.
   */
  readonly configFile: string;
}

/**
 * A `NodejsFunction` with the house defaults: latest Node.js runtime on arm64, active tracing, an encrypted log group
 * with retention, a role that may write to that log group only (not AWSLambdaBasicExecutionRole's `logs:*` on every
 * group), and a minified ESM bundle. Step Functions matches Retry/Catch on the `errorType` Lambda reports, which is the
 * error's `name` property; every rotator error sets it explicitly (a literal, or a constant of
 * functions/domain/error-names.ts), so minified class names do not change it.
 * It also keeps account of its environment so an oversized one fails at synth rather than at deploy.
 */
export class RotatorFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: RotatorFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      logGroupName: props.logGroupName,
      retention: props.logRetention,
      encryptionKey: props.encryptionKey,
      removalPolicy: ROTATOR_LOG_GROUP_REMOVAL,
    });
    const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      entry: handlerEntry(props.handlerName),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      tracing: Tracing.ACTIVE,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(60),
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: fileURLToPath(new URL('../package-lock.json', import.meta.url)),
      bundling: cdkBundlingOptions(LAMBDA_BUNDLING, props.configFile),
    });
    this.addEnvironment(ROTATOR_CONFIG_FILE_VARIABLE, BUNDLED_CONFIG_FILE_NAME);
    this.addEnvironment('POWERTOOLS_SERVICE_NAME', ROTATOR_SERVICE_NAME);
    this.addEnvironment('POWERTOOLS_METRICS_NAMESPACE', ROTATOR_METRICS_NAMESPACE);
    // The bundle carries source maps so stack traces point at the TypeScript; Node applies them only when asked.
    this.addEnvironment('NODE_OPTIONS', '--enable-source-maps');
  }

  public override addEnvironment(key: string, value: string, options?: EnvironmentOptions): this {
    const valueBytes = Token.isUnresolved(value) ? UNRESOLVED_VALUE_BYTES : Buffer.byteLength(value);
    const sizes = environmentSizes.get(this) ?? new Map<string, number>();
    sizes.set(key, Buffer.byteLength(key) + valueBytes);
    environmentSizes.set(this, sizes);
    return super.addEnvironment(key, value, options);
  }

  /** Variables by estimated size, largest first, with their total. */
  public environmentFootprint(): { totalBytes: number; variables: Array<{ name: string; bytes: number }> } {
    const variables = [...(environmentSizes.get(this) ?? [])].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
    return { totalBytes: variables.reduce((sum, variable) => sum + variable.bytes, 0), variables };
  }
}
