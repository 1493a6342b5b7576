/**
 * The rotator config travels as a JSON file beside each function's code rather than in its environment: Lambda
 * caps a function's environment at 4 KB, which a corporate CA chain or a few dozen consumer orgs would exceed.
 * The construct writes the file at synth and bundles it into every function's asset; the local runner writes the
 * same file and points at it, so both read the config through `readRotatorConfigFile`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError, parseRotatorConfig, type RotatorConfig } from '../domain/config';

/** Environment variable naming the config file: relative to the function's code (`LAMBDA_TASK_ROOT`), or absolute. */
export const ROTATOR_CONFIG_FILE_VARIABLE = 'ROTATOR_CONFIG_FILE';

/** The config file's name inside each function's asset. */
export const BUNDLED_CONFIG_FILE_NAME = 'rotator-config.json';

export class ConfigFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigFileError';
  }
}

/**
 * Writes `config` as JSON into `directory` under a name derived from its content, and returns the file's path.
 * Equal configs share one file; a changed config gets a new name, so nothing that caches by path (the CDK's asset
 * cache, the runtime's ports) can serve the old one. The file appears whole (written aside, then renamed), since
 * processes side by side may write and read the same one.
 */
export function writeRotatorConfigFile(directory: string, config: unknown): string {
  const text = JSON.stringify(config);
  const digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
  mkdirSync(directory, { recursive: true });
  const path = join(directory, `rotator-config-${digest}.json`);
  if (existsSync(path)) return path;
  const aside = `${path}.${randomUUID()}.tmp`;
  writeFileSync(aside, text);
  renameSync(aside, path);
  return path;
}

/** Where the function's config file is, from `ROTATOR_CONFIG_FILE` (a relative path is under the function's code). */
export function rotatorConfigFilePath(environment: NodeJS.ProcessEnv = process.env): string {
  const file = environment[ROTATOR_CONFIG_FILE_VARIABLE];
  if (!file) {
    throw new ConfigFileError(`environment variable ${ROTATOR_CONFIG_FILE_VARIABLE} is not set; deploy with the CredentialRotator construct`);
  }
  return isAbsolute(file) ? file : resolve(environment.LAMBDA_TASK_ROOT ?? process.cwd(), file);
}

/** Reads and validates the config file the environment names; every failure names the file and what is wrong. */
export function readRotatorConfigFile(environment: NodeJS.ProcessEnv = process.env): RotatorConfig {
  const path = rotatorConfigFilePath(environment);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ConfigFileError(`rotator config file ${path} cannot be read (${code}); it is bundled by the CredentialRotator construct`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigFileError(`rotator config file ${path} is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  try {
    return parseRotatorConfig(raw);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigFileError(`rotator config file ${path} is invalid:\n${error.problems.map((p) => `- ${p.path}: ${p.message}`).join('\n')}`, {
      cause: error,
    });
  }
}
