/**
 * `npm run demo`: the rotation workflow over a simulated timeline, on this machine only. Starts the APIC simulator
 * with a sample catalog and the local AWS emulators, runs the synthesized state machine on each day, and shows what
 * happened: actions, notices, credentials, and whether every consumer still has a working credential.
 */
import { checkConsumers } from '../runner/consumer-check';
import { SAMPLE_CATALOG, SAMPLE_PROVIDER_ORG, sampleCatalog } from '../apic-simulator/sample';
import { startLocalEnvironment } from '../runner/local-environment';
import { saveReport } from './report-files';
import { DAY_MS } from '../../functions/domain/time';

const START = new Date('2026-01-05T03:00:00Z');
const TARGET = { providerOrg: SAMPLE_PROVIDER_ORG, catalog: SAMPLE_CATALOG };
const POLICY = { expiryDays: 90, deletionDays: 100, warnDays: 14, replacementSuffix: '_new' };
/** Days chosen so each stage shows up: warnings, replacements, the grace period, removals and a quiet run. */
const TIMELINE: ReadonlyArray<{ day: number; dryRun?: boolean }> = [
  { day: 0, dryRun: true },
  { day: 0 },
  { day: 5 },
  { day: 10 },
  { day: 11 },
  { day: 80 },
  { day: 90 },
  { day: 100 },
  { day: 101 },
];

const out = (line = '') => process.stdout.write(`${line}\n`);
const isoDay = (date: Date) => date.toISOString().slice(0, 10);

async function main(): Promise<void> {
  const stack = await startLocalEnvironment({
    simulator: { seed: sampleCatalog(), now: START },
    config: { policy: POLICY, operatorEmail: 'api-operations@example.com' },
  });
  let failures = 0;
  try {
    const apps = stack.apic.inspect.apps(TARGET.providerOrg, TARGET.catalog);
    out('APIC credential rotation: local demo');
    out(`  APIC simulator   ${stack.apic.baseUrl} (${apps.length} apps in ${TARGET.providerOrg}/${TARGET.catalog})`);
    out(`  Secrets Manager  ${stack.secretsManager.endpoint} (local emulator)`);
    out(`  SES              ${stack.ses.endpoint} (local emulator)`);
    out(`  Policy           replace at ${POLICY.expiryDays} days, remove the old one ${POLICY.deletionDays - POLICY.expiryDays} days later, warn ${POLICY.warnDays} days ahead`);

    for (const [index, step] of TIMELINE.entries()) {
      const now = new Date(START.getTime() + step.day * DAY_MS);
      stack.apic.clock.set(now);
      const mailsBefore = (await stack.ses.emails()).length;
      out();
      out(`[${index + 1}/${TIMELINE.length}] day ${step.day} (${isoDay(now)})${step.dryRun ? ' dry run: plan only, nothing is written' : ''}`);
      let states = 0;
      const result = await stack.run({
        now,
        input: step.dryRun ? { dryRun: true } : {},
        executionName: `demo-day-${step.day}${step.dryRun ? '-dry-run' : ''}`,
        onStateEntered: () => {
          states += 1;
          if (states % 10 === 0) process.stderr.write('.');
        },
      });
      if (states >= 10) process.stderr.write('\n');
      if (result.status !== 'SUCCEEDED' || !result.summary) {
        failures += 1;
        out(`  run FAILED: ${result.error ?? 'no summary'}`);
        continue;
      }
      const { summary } = result;
      const actions = Object.entries(summary.actions).map(([kind, count]) => `${kind} ${count}`).join(', ') || 'none';
      out(`  ${result.transitions} state transitions; scanned ${summary.appsScanned} apps / ${summary.credentialsScanned} credentials; ${summary.appsNeedingAttention} needed attention`);
      out(`  ${step.dryRun ? 'planned' : 'done'}: ${actions}${summary.appsFailed ? `; ${summary.appsFailed} apps FAILED` : ''}`);
      for (const failure of summary.failures) out(`    failed ${failure.consumerOrg}/${failure.app}: ${failure.error} ${failure.cause ?? ''}`);
      const mails = (await stack.ses.emails()).slice(mailsBefore);
      for (const mail of mails) out(`  mail to ${mail.to.join(', ')}: "${mail.subject}"`);
      if (summary.notices.undeliverable) out(`  ${summary.notices.undeliverable} notices have no recipient (no owner e-mail, no operator e-mail)`);
      if (summary.report) {
        const saved = await saveReport(stack.s3, summary.report, `out/demo/day-${step.day}${step.dryRun ? '-dry-run' : ''}`);
        out(`  inventory report: s3://${summary.report.bucket}/${summary.report.csvKey} (${summary.report.rows} rows), copied to ${saved.csvPath}`);
        if (index === 0) {
          out('  first rows:');
          for (const line of saved.csv.trimEnd().split('\r\n').slice(0, 6)) out(`    ${line}`);
        }
      }

      const consumers = await checkConsumers(stack.apic, stack.secretsManagerClient, TARGET, { replacementSuffix: POLICY.replacementSuffix });
      for (const status of consumers) {
        const names = status.credentials
          .map((c) => `${c.name} (${Math.floor((now.getTime() - Date.parse(c.createdAt)) / DAY_MS)} d)`)
          .join(', ');
        out(`    ${status.consumerOrg}/${status.app}: ${names || 'no credentials'}`);
      }
      const unusable = consumers.filter((status) => !status.usable || status.rejectedSecrets.length > 0);
      const served = consumers.filter((status) => status.servedFromSecretsManager.length > 0).length;
      out(`  consumers: ${consumers.length - unusable.length}/${consumers.length} apps have a working credential; ${served} read theirs from Secrets Manager`);
      failures += unusable.length;
    }
    out();
    out(failures === 0 ? 'Demo finished: every app kept a working credential throughout.' : `Demo finished with ${failures} problems.`);
  } finally {
    await stack.close();
  }
  process.exitCode = failures === 0 ? 0 : 1;
}

await main();
