/**
 * `npm run local-run -- --config rotator.json [options]`: runs the synthesized state machine on this machine
 * against any APIC (a real one, or the embedded simulator), with Secrets Manager and SES served by local emulators
 * unless AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL_SES point elsewhere. Dry run unless --execute.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { startApicSimulator, type ApicSimulator } from '../apic-simulator';
import { sampleCatalog } from '../apic-simulator/sample';
import { LOCAL_ADMIN_SECRET_ID, localSdkConfig } from '../runner/local-environment';
import { startSecretsManagerEmulator, type SecretsManagerEmulator } from '../emulators/secrets-manager/emulator';
import { readJson, runCommand, UsageError } from './cli';
import { saveReport } from './report-files';
import { startS3Emulator, type S3Emulator } from '../emulators/s3/emulator';
import { startSesEmulator, type SesEmulator } from '../emulators/ses/emulator';
import {
  LOCAL_REPORT_BUCKET,
  runRestoreLocally,
  runWorkflowLocally,
  synthesizeDefinition,
  synthesizeRestoreDefinition,
  type LocalRunOptions,
} from '../runner/workflow-runner';

const USAGE = `Usage: npm run local-run -- --config <file.json> [options]

  --config <file>              rotator config (same JSON as the stack's; see README "Configuration")
  --admin-credentials <file>   JSON with the APIC admin credentials (see README "Admin credentials");
                               stored in the local Secrets Manager emulator, never printed
  --ca-bundle <file>           PEM bundle that signs the APIC certificate (TLS verification stays on)
  --input <json>               execution input, e.g. '{"consumerOrgs":["acme"]}' (see README "Manual runs")
  --now <iso-date>             simulated current time (local runs only)
  --execute                    really rotate (or restore); without it the run is a dry run that writes nothing.
                               Against an APIC that is not the simulator or on loopback, --execute needs
                               Secrets Manager and SES that outlive this process: --aws, or
                               AWS_ENDPOINT_URL_SECRETS_MANAGER and AWS_ENDPOINT_URL_SES
  --aws                        use AWS Secrets Manager and SES (default credential chain and region); the admin
                               credentials are read from the config's adminSecretName there
  --restore                    run the restore workflow instead: re-create credentials in a rebuilt APIC from
                               the secrets in Secrets Manager (point AWS_ENDPOINT_URL_SECRETS_MANAGER at them)
  --simulator                  run against the embedded APIC simulator with its sample catalog
  --summary <file>             where to write the run summary (default out/run-summary.json)
  --log <file>                 where to write the handlers' log lines (default out/run.log)
  --report-dir <dir>           where to copy the inventory report (default out/report)
`;

/** APIC on this machine (the simulator, a tunnel): rotating it against throwaway emulators loses nothing real. */
function isLoopback(baseUrl: string): boolean {
  let host: string;
  try {
    host = new URL(baseUrl).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Executing against a real APIC creates credentials whose secrets must outlive this process: in-memory emulators would
 * lose them at exit, and the next run would find every replacement foreign. Mail to real owners needs real SES too.
 */
function refuseEphemeralServices(apicBaseUrl: string, useAws: boolean): void {
  if (useAws || isLoopback(apicBaseUrl)) return;
  const missing = [
    ...(process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ? [] : ['Secrets Manager']),
    ...(process.env.AWS_ENDPOINT_URL_SES ? [] : ['SES']),
  ];
  if (missing.length === 0) return;
  throw new UsageError(
    `--execute against ${apicBaseUrl} would keep ${missing.join(' and ')} in memory only, and lose what it stores at exit. ` +
      'Pass --aws to use AWS Secrets Manager and SES (default credential chain and region), or set ' +
      'AWS_ENDPOINT_URL_SECRETS_MANAGER and AWS_ENDPOINT_URL_SES to services that keep their data.',
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      'admin-credentials': { type: 'string' },
      'ca-bundle': { type: 'string' },
      input: { type: 'string' },
      now: { type: 'string' },
      execute: { type: 'boolean', default: false },
      aws: { type: 'boolean', default: false },
      restore: { type: 'boolean', default: false },
      simulator: { type: 'boolean', default: false },
      summary: { type: 'string', default: 'out/run-summary.json' },
      log: { type: 'string', default: 'out/run.log' },
      'report-dir': { type: 'string', default: 'out/report' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.config && !values.simulator) throw new UsageError('--config is required (or --simulator for a try-out)');

  let input: Record<string, unknown> = {};
  if (values.input) {
    try {
      input = JSON.parse(values.input) as Record<string, unknown>;
    } catch {
      throw new UsageError('--input must be a JSON object');
    }
  }
  const now = values.now ? new Date(values.now) : undefined;
  if (now && Number.isNaN(now.getTime())) throw new UsageError('--now must be an ISO-8601 date, e.g. 2026-12-01T03:00:00Z');

  let config = values.config ? await readJson(values.config, 'config') : {};
  const started: Array<ApicSimulator | SecretsManagerEmulator | SesEmulator | S3Emulator> = [];
  try {
    let adminCredentials = values['admin-credentials'] ? await readJson(values['admin-credentials'], 'admin credentials') : undefined;
    if (values.simulator) {
      const seed = sampleCatalog();
      const apic = await startApicSimulator({ seed, ...(now ? { now } : {}) });
      started.push(apic);
      config = {
        notificationSender: 'apic-rotation@example.com',
        ...config,
        apicBaseUrl: apic.baseUrl,
        targets: seed.catalogs.map(({ providerOrg, catalog }) => ({ providerOrg, catalog })),
      };
      adminCredentials = { ...apic.admin };
    }

    if (values.execute && !values.simulator) refuseEphemeralServices(String(config.apicBaseUrl ?? ''), values.aws);
    let secretsManagerEndpoint = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    if (!secretsManagerEndpoint && !values.aws) {
      if (!adminCredentials) throw new UsageError('--admin-credentials is required with the local Secrets Manager emulator');
      const emulator = await startSecretsManagerEmulator();
      started.push(emulator);
      secretsManagerEndpoint = emulator.endpoint;
      const client = new SecretsManagerClient(localSdkConfig(emulator.endpoint));
      await client.send(new CreateSecretCommand({ Name: LOCAL_ADMIN_SECRET_ID, SecretString: JSON.stringify(adminCredentials) }));
      client.destroy();
      config = { ...config, adminSecretName: LOCAL_ADMIN_SECRET_ID };
    }
    let ses: SesEmulator | undefined;
    let sesEndpoint = process.env.AWS_ENDPOINT_URL_SES;
    if (!sesEndpoint && !values.aws) {
      ses = await startSesEmulator();
      started.push(ses);
      sesEndpoint = ses.endpoint;
    }

    const s3 = await startS3Emulator();
    started.push(s3);
    s3.createBucket(LOCAL_REPORT_BUCKET);

    const logLines: string[] = [];
    const dryRun = !values.execute;
    const action = values.restore ? 'Restoring' : 'Rotating';
    process.stderr.write(`${dryRun ? `Dry run (nothing is written; --execute to apply)` : action} against ${String(config.apicBaseUrl)}\n`);
    const where = (endpoint: string | undefined, emulated: boolean) => (endpoint === undefined ? 'AWS' : emulated ? `${endpoint} (in memory, gone at exit)` : endpoint);
    process.stderr.write(
      `Secrets Manager: ${where(secretsManagerEndpoint, !process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER)}; ` +
        `SES: ${where(sesEndpoint, !process.env.AWS_ENDPOINT_URL_SES)}\n`,
    );
    let states = 0;
    const runOptions: Omit<LocalRunOptions, 'definition'> = {
      config,
      endpoints: { secretsManager: secretsManagerEndpoint, ses: sesEndpoint, s3: { endpoint: s3.endpoint, bucket: LOCAL_REPORT_BUCKET } },
      adminSecretId: String(config.adminSecretName ?? LOCAL_ADMIN_SECRET_ID),
      input: { ...input, dryRun },
      ...(values['ca-bundle'] ? { caBundle: await readFile(values['ca-bundle'], 'utf8') } : {}),
      onLogLine: (line) => logLines.push(line),
      onStateEntered: (state) => {
        states += 1;
        if (state === 'ScanPage' || state === 'ListSecretsPage' || states % 50 === 0) process.stderr.write(`  ${states} states, now at ${state}\n`);
      },
    };
    const result = values.restore
      ? await runRestoreLocally({ ...runOptions, definition: synthesizeRestoreDefinition(config) })
      : await runWorkflowLocally({ ...runOptions, definition: synthesizeDefinition(config), ...(now ? { now } : {}) });

    const summaryPath = resolve(values.summary);
    await mkdir(dirname(summaryPath), { recursive: true });
    await writeFile(summaryPath, `${JSON.stringify(result, null, 2)}\n`);
    const logPath = resolve(values.log);
    await mkdir(dirname(logPath), { recursive: true });
    await writeFile(logPath, logLines.map((line) => `${line}\n`).join(''));
    process.stdout.write(`${JSON.stringify(result.summary ?? { status: result.status, error: result.error }, null, 2)}\n`);
    for (const mail of (await ses?.emails()) ?? []) process.stdout.write(`mail to ${mail.to.join(', ')}: ${mail.subject}\n`);
    process.stderr.write(`Summary written to ${summaryPath}; handler logs to ${logPath}\n`);
    const report = result.summary && 'report' in result.summary ? result.summary.report : undefined;
    if (report) {
      const saved = await saveReport(s3, report, values['report-dir']);
      process.stderr.write(`Inventory report (${report.rows} rows): ${saved.csvPath} and ${saved.jsonPath}\n`);
    }
    return result.status === 'SUCCEEDED' ? 0 : 1;
  } finally {
    await Promise.all(started.map((service) => service.close()));
  }
}

runCommand(main, USAGE);
