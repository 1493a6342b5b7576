/**
 * `npm run bench`: the seed script's algorithm against this project's workflow (run locally), on identical
 * generated catalogs served by the APIC simulator with a fixed latency per call; then the workflow at 10× the
 * size, BuildReport at `--report-rows` rows (streamed, beside the previous all-in-memory build) and the size of each
 * Lambda bundle. Progress goes to stderr, the tables to stdout.
 *
 * Flags: --credentials N (10000), --orgs N (2000), --latency-ms N (20), --skip-large, --report-rows N (1000000),
 * --skip-report.
 */
import '../polyfill';
import type { SimulatorSeed } from '../apic-simulator';
import { countCredentials, quietCatalog, withDueShare } from './bench/catalogs';
import { measureBundles } from './bench/bundles';
import { HandlerTiming } from './bench/handler-timing';
import { MemorySampler, type MemoryPeak } from './bench/memory';
import { REPORT_BASELINE_SHARE, REPORT_TARGETS, benchReportBuild, type ReportBuildMeasurement } from './bench/report-build';
import { PRICES, runCost, type RunCost } from './bench/pricing';
import { startSeedRun, type SeedRunReport } from './bench/seed-worker';
import { startLocalEnvironment } from '../runner/local-environment';

const NOW = new Date('2025-06-01T03:00:00Z');
const RANDOM_SEED = 20_250_601;
const DUE_SHARE = 0.05;
const LARGE_FACTOR = 10;
const BUNDLE_LIMIT_BYTES = 300 * 1024;

interface BenchOptions {
  readonly credentials: number;
  readonly orgs: number;
  readonly latencyMs: number;
  readonly skipLarge: boolean;
  readonly reportRows: number;
  readonly skipReport: boolean;
}

class BenchUsageError extends Error {
  constructor(message: string) {
    super(`${message}\nusage: npm run bench -- [--credentials N] [--orgs N] [--latency-ms N] [--skip-large] [--report-rows N] [--skip-report]`);
    this.name = 'BenchUsageError';
  }
}

function parseOptions(args: readonly string[]): BenchOptions {
  const numbers: Record<string, number> = { '--credentials': 10_000, '--orgs': 2_000, '--latency-ms': 20, '--report-rows': 1_000_000 };
  let skipLarge = false;
  let skipReport = false;
  for (let i = 0; i < args.length; i += 1) {
    const flag = args[i] ?? '';
    if (flag === '--skip-large' || flag === '--skip-report') {
      if (flag === '--skip-large') skipLarge = true;
      else skipReport = true;
      continue;
    }
    if (!(flag in numbers)) throw new BenchUsageError(`unknown flag ${flag}`);
    const value = Number(args[i + 1]);
    if (!Number.isInteger(value) || value < (flag === '--latency-ms' ? 0 : 1)) throw new BenchUsageError(`${flag} needs a whole number`);
    numbers[flag] = value;
    i += 1;
  }
  return {
    credentials: numbers['--credentials'] ?? 0,
    orgs: numbers['--orgs'] ?? 0,
    latencyMs: numbers['--latency-ms'] ?? 0,
    skipLarge,
    reportRows: numbers['--report-rows'] ?? 0,
    skipReport,
  };
}

const progress = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

interface Measurement {
  readonly label: string;
  readonly credentials: number;
  readonly apicCalls: number;
  readonly wallMs: number;
  readonly estimated?: boolean;
  readonly memory?: MemoryPeak;
  readonly workflow?: {
    readonly transitions: number;
    readonly lambdaInvocations: number;
    readonly lambdaMs: number;
    readonly secretsManagerCalls: number;
    readonly secretsHeld: number;
    readonly actions: Readonly<Record<string, number>>;
    readonly cost: RunCost;
  };
}

const memory = new MemorySampler();

function seedMeasurements(report: SeedRunReport): Measurement[] {
  if (report.aborted) throw new Error(`the seed algorithm stopped at ${report.aborted.step} (HTTP ${report.aborted.status})`);
  // Its reads do not depend on the day: a quiet day costs the same run minus the writes.
  const reads = report.apicCalls - report.writes;
  const { credentials, apicCalls, wallMs, memory: peak } = report;
  return [
    { label: 'seed algorithm, rotation day', credentials, apicCalls, wallMs, memory: peak },
    { label: 'seed algorithm, quiet day', credentials, apicCalls: reads, wallMs: (wallMs * reads) / apicCalls, estimated: true },
  ];
}

async function benchWorkflow(seed: SimulatorSeed, latencyMs: number, label: string, timing: HandlerTiming): Promise<Measurement> {
  progress(`${label}: starting the local stack (synth, simulator, emulators)`);
  // The seed script never checks a quiet credential against APIC: the comparison leaves the periodic verification
  // out too (on a quiet day it assesses about 1/verifyEveryDays of the apps, see README "Performance").
  const stack = await startLocalEnvironment({
    simulator: { seed, now: NOW, latencyMs, randomSeed: RANDOM_SEED },
    recordSecretsManagerRequests: false,
    config: { verifyEveryDays: 0 },
  });
  try {
    const smBefore = sumCounts(stack.secretsManager.counts());
    const secretsBefore = stack.secretsManager.inspect.secretNames().length;
    timing.take();
    let states = 0;
    progress(`${label}: running the workflow`);
    memory.start();
    // Timed from the first state: the local interpreter first validates the definition (~0.6 s, 4 s cold), which a
    // deployed state machine never does per execution.
    let started = performance.now();
    const result = await stack.run({
      now: NOW,
      onStateEntered: (state) => {
        if (states === 0) started = performance.now();
        states += 1;
        if (state === 'ScanPage' || states % 5_000 === 0) progress(`${label}: ${states} states entered (${state})`);
      },
    });
    const wallMs = performance.now() - started;
    const peak = memory.stop();
    if (result.status !== 'SUCCEEDED' || !result.summary) throw new Error(`${label}: the workflow failed: ${result.error ?? 'no summary'}`);
    const lambda = timing.take();
    const counts = {
      transitions: result.transitions,
      lambdaInvocations: lambda.invocations,
      lambdaMs: lambda.totalMs,
      secretsManagerCalls: sumCounts(stack.secretsManager.counts()) - smBefore,
    };
    const { credentials } = countCredentials(seed);
    if (result.summary.credentialsScanned !== credentials) {
      throw new Error(`${label}: the workflow scanned ${result.summary.credentialsScanned} of ${credentials} credentials`);
    }
    progress(`${label}: done in ${(wallMs / 1000).toFixed(1)} s, ${result.summary.appsNeedingAttention} apps needed attention`);
    return {
      label: `workflow, ${label}`,
      credentials,
      apicCalls: stack.apic.totalCalls(),
      wallMs,
      memory: peak,
      workflow: {
        ...counts,
        secretsHeld: stack.secretsManager.inspect.secretNames().length - secretsBefore,
        actions: result.summary.actions,
        cost: runCost(counts),
      },
    };
  } finally {
    await stack.close();
  }
}

function sumCounts(counts: Record<string, number>): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Output

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const dollars = (value: number) => `$${value.toFixed(4)}`;

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [line(headers), `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n');
}

function comparisonTable(measurements: readonly Measurement[], seedFor: (m: Measurement) => Measurement | undefined): string {
  const rows = measurements.map((m) => {
    const seed = seedFor(m);
    const w = m.workflow;
    const per10k = 10_000 / m.credentials;
    return [
      m.label,
      String(m.credentials),
      String(m.apicCalls),
      (m.apicCalls / m.credentials).toFixed(4),
      `${m.estimated ? '~' : ''}${(m.wallMs / 1000).toFixed(2)}`,
      seed ? `${(seed.wallMs / m.wallMs).toFixed(0)}×` : '',
      m.memory ? mb(m.memory.peakRssBytes) : '',
      m.memory ? `${mb(m.memory.peakHeapBytes)} (+${mb(m.memory.peakHeapBytes - m.memory.baselineHeapBytes)})` : '',
      w ? (w.transitions / m.credentials).toFixed(3) : '',
      w ? `${w.lambdaInvocations} / ${((w.lambdaMs / 1000) * 0.5).toFixed(1)}` : '',
      w ? String(w.secretsManagerCalls) : '',
      w ? dollars(w.cost.stepFunctions * per10k) : '',
      w ? dollars(w.cost.lambda * per10k) : '',
      w ? dollars(w.cost.secretsManagerApi * per10k) : '',
      w ? dollars(w.cost.total * per10k) : '',
    ];
  });
  return table(
    [
      'run',
      'credentials',
      'APIC calls',
      'calls/cred',
      'wall s',
      'seed/ours',
      'peak RSS MB',
      'peak heap MB (+run)',
      'SFN trans./cred',
      'Lambda calls / GB-s',
      'SM calls',
      'SFN $/10k',
      'Lambda $/10k',
      'SM API $/10k',
      'run $/10k',
    ],
    rows,
  );
}

function reportBuildSection(builds: readonly ReportBuildMeasurement[]): string[] {
  const [baseline] = builds;
  const within = (ok: boolean) => (ok ? 'yes' : 'NO');
  const rows = builds.map((build) => {
    const sameSize = baseline && build !== baseline && build.rows === baseline.rows;
    return [
      build.mode,
      String(build.rows),
      mb(build.memory.peakRssBytes),
      mb(build.memory.peakHeapBytes),
      (build.wallMs / 1000).toFixed(1),
      (build.cpuMs / 1000).toFixed(1),
      sameSize ? `${(build.memory.peakRssBytes / baseline.memory.peakRssBytes).toFixed(2)}× / ${(build.memory.peakHeapBytes / baseline.memory.peakHeapBytes).toFixed(2)}×` : '',
      `${mb(build.csvBytes)} / ${mb(build.jsonBytes)} / ${(build.htmlBytes / 1024).toFixed(0)} KB`,
      within(build.memory.peakRssBytes <= REPORT_TARGETS.memoryBytes && build.wallMs <= REPORT_TARGETS.wallMs),
    ];
  });
  return [
    '## BuildReport (report rows through the S3 emulator on loopback, the build in a child process)',
    '',
    table(
      ['build', 'rows', 'peak RSS MB', 'peak heap MB', 'wall s', 'CPU s', 'RSS / heap vs all-in-memory', 'CSV MB / JSON MB / HTML', `≤ ${mb(REPORT_TARGETS.memoryBytes)} MB and ≤ ${REPORT_TARGETS.wallMs / 60_000} min`],
      rows,
    ),
    '',
    '"streaming" is BuildReport as deployed: parts sorted in runs of 50,000 rows, merged row by row into multipart uploads of 5 MiB parts.',
    '"all-in-memory" is the previous approach, rebuilt from the same functions: every row held and sorted at once, each file built as one string and written with one PutObject.',
    'Memory is sampled every 25 ms in the build process (RSS: the whole process; heap: V8 heap in use); CPU s is that process\'s user + system time, which other load on the machine does not stretch.',
  ];
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const benchStarted = performance.now();
  progress('bundling functions/handlers/*.ts with the deployed esbuild settings (LAMBDA_BUNDLING)');
  const bundles = await measureBundles();
  const timing = await HandlerTiming.attach();

  const quiet = quietCatalog(options.credentials, options.orgs, RANDOM_SEED);
  const rotating = withDueShare(quiet, DUE_SHARE);
  const shape = countCredentials(quiet);
  progress(`catalog: ${shape.credentials} credentials, ${shape.apps} apps, ${shape.consumerOrgs} consumer orgs; latency ${options.latencyMs} ms per APIC call`);

  progress(`seed algorithm: started in a worker thread on its own simulator, one request at a time (about ${Math.round(((shape.credentials + shape.consumerOrgs) * (options.latencyMs + 4)) / 1000)} s)`);
  const seedRun = startSeedRun({
    credentials: options.credentials,
    orgs: options.orgs,
    dueShare: DUE_SHARE,
    latencyMs: options.latencyMs,
    randomSeed: RANDOM_SEED,
    now: NOW.toISOString(),
  });
  // Reported even if a workflow run fails first, so the worker never ends unobserved.
  seedRun.catch(() => undefined);
  const oursQuiet = await benchWorkflow(quiet, options.latencyMs, 'quiet day', timing);
  const oursRotation = await benchWorkflow(rotating, options.latencyMs, 'rotation day', timing);
  const large: Measurement[] = [];
  if (!options.skipLarge) {
    const bigQuiet = quietCatalog(options.credentials * LARGE_FACTOR, options.orgs * LARGE_FACTOR, RANDOM_SEED);
    large.push(await benchWorkflow(bigQuiet, options.latencyMs, `quiet day ×${LARGE_FACTOR}`, timing));
    large.push(await benchWorkflow(withDueShare(bigQuiet, DUE_SHARE), options.latencyMs, `rotation day ×${LARGE_FACTOR}`, timing));
  }

  const reportBuilds: ReportBuildMeasurement[] = [];
  if (!options.skipReport) {
    const baselineRows = Math.max(1, Math.round(options.reportRows * REPORT_BASELINE_SHARE));
    for (const [rows, mode] of [
      [baselineRows, 'all-in-memory'],
      [baselineRows, 'streaming'],
      [options.reportRows, 'streaming'],
    ] as const) {
      progress(`report build, ${mode}: ${rows} rows (parts seeded into the S3 emulator, the build in a child process)`);
      reportBuilds.push(await benchReportBuild(rows, mode));
    }
  }

  progress('waiting for the seed algorithm');
  const [seedRotation, seedQuiet] = seedMeasurements(await seedRun);
  progress(`seed algorithm: ${seedRotation?.apicCalls ?? 0} calls in ${((seedRotation?.wallMs ?? 0) / 1000).toFixed(0)} s`);

  const out: string[] = [];
  out.push(
    `# Benchmark: ${shape.credentials} credentials, ${shape.apps} apps, ${shape.consumerOrgs} consumer orgs, ${options.latencyMs} ms per APIC call`,
    `Rotation day: every ${Math.round(1 / DUE_SHARE)}th credential is ${'92'} days old (between expiry 90 and deletion 100).`,
    '',
    comparisonTable([seedQuiet, oursQuiet, seedRotation, oursRotation].filter((m): m is Measurement => m !== undefined), (m) =>
      m.workflow ? (m === oursQuiet ? seedQuiet : seedRotation) : undefined,
    ),
    '',
  );
  for (const m of [oursQuiet, oursRotation, ...large]) {
    const actions = Object.entries(m.workflow?.actions ?? {}).map(([kind, n]) => `${kind} ${n}`).join(', ') || 'none';
    out.push(`- ${m.label}: actions ${actions}; secrets created ${m.workflow?.secretsHeld ?? 0} (${dollars((m.workflow?.secretsHeld ?? 0) * PRICES.secretsManagerPerSecretMonth)}/month to keep)`);
  }
  out.push(
    '',
    `APIC calls exclude POST /token. "~" marks the seed's quiet day, derived from its rotation-day run: its reads are the same on every day, so it is that run's time × reads / calls.`,
    'The seed run uses a simulator whose default page holds every result, so its unpaged requests cover the whole catalog (it never pages).',
    'The seed algorithm runs in a worker thread (own simulator, same catalog) alongside the workflow runs; its heap is the worker\'s, RSS is the whole process\'s.',
    `Lambda GB-s = summed handler wall time × 0.5 GB. Prices: Step Functions $0.025 per 1,000 transitions; Lambda arm64 $${PRICES.lambdaArmPerGbSecond} per GB-s + $0.20 per 1M requests; Secrets Manager $0.05 per 10,000 calls, $0.40 per secret-month (one secret per rotated credential: ${dollars(10_000 * PRICES.secretsManagerPerSecretMonth)}/month per 10,000 credentials once every credential has rotated).`,
    'Workflow wall time runs from its first state to its end (the local interpreter validates the definition first, which a deployed state machine does not do per execution).',
    'Lambda handler time is measured in-process with up to 10 apps in flight on one event loop, so it overstates billed duration.',
    'Peak heap (+run) is the increase over the heap at the start of the run: the simulator and emulators share the process, so the baseline holds the catalog.',
  );
  if (large.length > 0) {
    const base = [oursQuiet, oursRotation];
    const rows = large.map((m, i) => {
      const small = base[i];
      const growth = (pick: (x: Measurement) => number) => (small ? (pick(m) / pick(small)).toFixed(1) : '');
      return [
        m.label,
        String(m.credentials),
        `${growth((x) => x.credentials)}×`,
        `${growth((x) => x.wallMs)}×`,
        `${growth((x) => x.workflow?.cost.total ?? 0)}×`,
        `${growth((x) => x.apicCalls)}×`,
        m.memory ? `${mb(m.memory.peakHeapBytes - m.memory.baselineHeapBytes)} vs ${small?.memory ? mb(small.memory.peakHeapBytes - small.memory.baselineHeapBytes) : '?'}` : '',
      ];
    });
    out.push(
      '',
      `## Growth at ${LARGE_FACTOR}× the catalog (workflow only)`,
      '',
      comparisonTable(large, () => undefined),
      '',
      table(['run', 'credentials', 'size', 'wall time', 'run cost', 'APIC calls', 'run heap MB (vs 1×)'], rows),
    );
  }
  if (reportBuilds.length > 0) out.push('', ...reportBuildSection(reportBuilds));
  out.push(
    '',
    '## Lambda bundles (esbuild with LAMBDA_BUNDLING, as deployed; the JavaScript only, not the source map beside it)',
    '',
    table(
      ['handler', 'KB', `≤ ${BUNDLE_LIMIT_BYTES / 1024} KB`],
      bundles.map((b) => [b.handler, (b.bytes / 1024).toFixed(1), b.bytes <= BUNDLE_LIMIT_BYTES ? 'yes' : 'NO']),
    ),
    '',
    `Bench wall time: ${((performance.now() - benchStarted) / 1000).toFixed(0)} s.`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
  process.exitCode = 1;
});
