/**
 * `npm run adopt -- --config rotator.json --from <dir> [--execute]`: takes over the client id/secret pairs an earlier
 * tool wrote (the seed script's `<app>_<credential>.json` files, each APIC's create-credential answer). Each pair is
 * matched to its credential by client id across the configured targets, verified with APIC, and stored in Secrets
 * Manager as the credential's current secret, so the rotator continues that credential's rotation as its own.
 * Dry run unless --execute. Secrets are never printed.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { ApicClient, SecretsManagerSecretStore } from '../../functions/adapters';
import {
  SeedScriptFileError,
  adoptPair,
  indexCredentialsByClientId,
  parseSeedScriptFile,
  type AdoptionResult,
  type SeedScriptPair,
} from '../../functions/domain/adopt';
import { parseRotatorConfig } from '../../functions/domain/config';
import { adminCredentialsReader } from '../../functions/runtime/ports';
import { readJson, readText, runCommand, UsageError } from './cli';

const USAGE = `Usage: npm run adopt -- --config <file.json> --from <dir> [options]

  --config <file>      rotator config (the stack's JSON; see README "Configuration")
  --from <dir>         folder of the earlier tool's output files (*.json, APIC's create-credential answers)
  --execute            store the verified pairs; without it nothing is written
  --kms-key-id <arn>   key for secrets this creates (the stack output EncryptionKeyArn); default: the account's
                       aws/secretsmanager key
  --ca-bundle <file>   PEM bundle that signs the APIC certificate (TLS verification stays on)
  --report <file>      where to write the per-file results (default out/adopt-report.json)

Secrets Manager is AWS's (default credential chain and region), or AWS_ENDPOINT_URL_SECRETS_MANAGER when set.
The APIC admin credentials are read from the config's adminSecretName there.
`;

/** The pairs of every `*.json` file of `dir`, in name order; unreadable files become results of their own. */
async function readPairs(dir: string): Promise<{ pairs: SeedScriptPair[]; invalid: AdoptionResult[] }> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  } catch {
    throw new UsageError(`cannot read the folder ${dir}`);
  }
  const pairs: SeedScriptPair[] = [];
  const invalid: AdoptionResult[] = [];
  for (const name of names) {
    try {
      pairs.push(parseSeedScriptFile(name, await readFile(join(dir, name), 'utf8')));
    } catch (error) {
      if (!(error instanceof SeedScriptFileError)) throw error;
      invalid.push({ source: name, outcome: 'invalid-file', clientId: '', detail: error.message });
    }
  }
  return { pairs, invalid };
}

function describe(result: AdoptionResult): string {
  const where = result.credential ? `${result.credential.consumerOrg}/${result.credential.app}/${result.credential.name}` : '-';
  const detail = result.detail ? ` (${result.detail})` : '';
  return `${result.outcome.padEnd(15)} ${where}  client id ${result.clientId || '-'}  from ${result.source}${detail}`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      from: { type: 'string' },
      execute: { type: 'boolean', default: false },
      'kms-key-id': { type: 'string' },
      'ca-bundle': { type: 'string' },
      report: { type: 'string', default: 'out/adopt-report.json' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.config) throw new UsageError('--config is required');
  if (!values.from) throw new UsageError('--from is required: the folder holding the earlier tool\'s JSON files');
  const config = parseRotatorConfig(await readJson(values.config, 'config'));
  const { pairs, invalid } = await readPairs(values.from);

  const secretsManager = new SecretsManagerClient({});
  try {
    const apic = new ApicClient({
      baseUrl: config.apicBaseUrl,
      ...(values['ca-bundle'] ? { caBundle: await readText(values['ca-bundle'], 'CA bundle') } : {}),
      credentials: adminCredentialsReader(new SecretsProvider({ awsSdkV3Client: secretsManager }), config.adminSecretName),
      pageSize: config.pageSize,
    });
    const store = new SecretsManagerSecretStore(secretsManager, {
      prefix: config.secretPrefix,
      ...(values['kms-key-id'] ? { kmsKeyId: values['kms-key-id'] } : {}),
    });
    const dryRun = !values.execute;
    process.stderr.write(`${dryRun ? 'Dry run (nothing is written; --execute to store)' : 'Adopting'}: ${pairs.length + invalid.length} files from ${values.from}\n`);
    process.stderr.write(`Listing the credentials of ${config.targets.length} catalog(s)…\n`);
    const index = await indexCredentialsByClientId(apic, config.targets, config.pageSize);
    process.stderr.write(`${index.size} credentials found\n`);
    const results: AdoptionResult[] = [...invalid];
    for (const pair of pairs) {
      results.push(await adoptPair({ apic, store }, index, pair, { dryRun, replacementSuffix: config.policy.replacementSuffix }));
    }
    for (const result of results) process.stdout.write(`${describe(result)}\n`);
    const counts: Record<string, number> = {};
    for (const { outcome } of results) counts[outcome] = (counts[outcome] ?? 0) + 1;
    process.stdout.write(`${JSON.stringify(counts)}\n`);
    const reportPath = resolve(values.report);
    await mkdir(dirname(reportPath), { recursive: true });
    await writeFile(reportPath, `${JSON.stringify({ dryRun, counts, results }, null, 2)}\n`);
    process.stderr.write(`Results written to ${reportPath}\n`);
    const settled = new Set(['adopted', 'would-adopt', 'already-adopted']);
    return results.every((result) => settled.has(result.outcome)) ? 0 : 1;
  } finally {
    secretsManager.destroy();
  }
}

runCommand(main, USAGE);
