/**
 * The report case of `npm run bench`: BuildReport over N generated rows, through the real `buildReport` and
 * `S3ReportStore` with the real S3 client against the S3 emulator on loopback. The parts are seeded into the emulator
 * as the scan writes them (pages of `PART_ROWS` rows, consumer orgs spread over every page so the rows must be
 * sorted); the build runs in a child process of its own, so its RSS is the build's alone, as in a Lambda function.
 * The baseline, in the same run, builds the same parts the previous way: every row held, each file one string and
 * one PutObject.
 * `benchReportBuild` is the bench side; the module body is the child side when run as a script.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3ReportStore } from '../../../functions/adapters';
import { buildReport, partFileName, partsPrefix, renderHtmlReport, reportKeys, toCsv, toJsonLines, type ReportRow } from '../../../functions/domain/report';
import { compareRows } from '../../../functions/domain/report/merge';
import { startS3Emulator } from '../../emulators/s3/emulator';
import { MemorySampler, type MemoryPeak } from './memory';

export type ReportBuildMode = 'streaming' | 'all-in-memory';

export interface ReportBuildMeasurement {
  readonly mode: ReportBuildMode;
  readonly rows: number;
  readonly wallMs: number;
  /** The build process's CPU time (user + system): unlike wall time, not stretched by other load on the machine. */
  readonly cpuMs: number;
  readonly memory: MemoryPeak;
  readonly csvBytes: number;
  readonly jsonBytes: number;
  readonly htmlBytes: number;
}

/** The baseline and the streamed build beside it run at this share of `--report-rows` (the baseline holds every row). */
export const REPORT_BASELINE_SHARE = 0.2;
/** What BuildReport must stay within: the function's memory and a run of the state machine's report step. */
export const REPORT_TARGETS = { memoryBytes: 512 * 1024 * 1024, wallMs: 10 * 60 * 1000 } as const;

const BUCKET = 'bench-reports';
const RUN_ID = 'bench-run';
const RUN_DATE = '2025-06-01';
const PART_ROWS = 250;
const CONSUMER_ORGS = 20_000;
const SEED_BATCH_PARTS = 200;

interface ChildRequest {
  readonly endpoint: string;
  readonly mode: ReportBuildMode;
}

interface ChildReport {
  readonly rowCount: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly memory: MemoryPeak;
}

function row(index: number): ReportRow {
  const org = (index * 7_919) % CONSUMER_ORGS;
  return {
    providerOrg: 'acme',
    catalog: 'production',
    consumerOrg: `consumer-org-${String(org).padStart(5, '0')}`,
    ownerEmail: '',
    app: `app-${index % 4}`,
    credential: `credential-${index}`,
    role: 'original',
    clientId: `0f4c7a52-${String(index).padStart(12, '0')}`,
    createdAt: '2025-03-03T10:00:00.000Z',
    ageDays: index % 120,
    stage: index % 50 === 0 ? 'blocked' : index % 20 === 0 ? 'warning' : 'active',
    action: index % 20 === 0 ? 'queue-notice:expiry-warning' : '',
    nextAction: index % 20 === 0 ? 'create-replacement' : 'warn',
    nextActionDate: index % 20 === 0 ? '2025-06-20' : '2025-08-01',
  };
}

function owners(): Map<string, string> {
  return new Map(Array.from({ length: CONSUMER_ORGS }, (_, org) => [`acme/production/consumer-org-${String(org).padStart(5, '0')}`, `owner-${org}@example.com`]));
}

/** Seeds `rows` rows as parts, builds the report in a child process and measures it. */
export async function benchReportBuild(rows: number, mode: ReportBuildMode): Promise<ReportBuildMeasurement> {
  const emulator = await startS3Emulator();
  const client = new S3Client({ region: 'eu-west-1', endpoint: emulator.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  try {
    emulator.createBucket(BUCKET);
    const parts = Math.ceil(rows / PART_ROWS);
    for (let first = 0; first < parts; first += SEED_BATCH_PARTS) {
      emulator.seed(
        BUCKET,
        Array.from({ length: Math.min(SEED_BATCH_PARTS, parts - first) }, (_, offset) => {
          const part = first + offset;
          const partRows = Array.from({ length: Math.min(PART_ROWS, rows - part * PART_ROWS) }, (_, index) => row(part * PART_ROWS + index));
          return { key: `${partsPrefix(RUN_ID)}${partFileName(`scan/0/${part}`)}`, body: toJsonLines(partRows) };
        }),
      );
    }
    const report = await runChild({ endpoint: emulator.endpoint, mode });
    if (report.rowCount !== rows) throw new Error(`the ${mode} report build wrote ${report.rowCount} of ${rows} rows`);
    const keys = reportKeys(RUN_ID, RUN_DATE);
    const size = async (key: string) => (await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).ContentLength ?? 0;
    return { mode, rows, wallMs: report.wallMs, cpuMs: report.cpuMs, memory: report.memory, csvBytes: await size(keys.csvKey), jsonBytes: await size(keys.jsonKey), htmlBytes: await size(keys.htmlKey) };
  } finally {
    client.destroy();
    await emulator.close();
  }
}

function runChild(request: ChildRequest): Promise<ChildReport> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, BENCH_REPORT_REQUEST: JSON.stringify(request) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(output) as ChildReport);
      else reject(new Error(`the ${request.mode} report build exited with ${code}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Child side

async function buildInChild(request: ChildRequest): Promise<ChildReport> {
  const client = new S3Client({ region: 'eu-west-1', endpoint: request.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const store = new S3ReportStore(client, { bucket: BUCKET });
  const ownerEmails = owners();
  const sampler = new MemorySampler();
  sampler.start();
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const rowCount =
    request.mode === 'streaming'
      ? (await buildReport(store, { runId: RUN_ID, runDate: RUN_DATE, dryRun: false, owners: ownerEmails })).rowCount
      : await buildAllInMemory(store, ownerEmails);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const memory = sampler.stop();
  client.destroy();
  return { rowCount, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, memory };
}

/** The previous build's approach: every part read (16 at a time), every row held and sorted, each file one string. */
async function buildAllInMemory(store: S3ReportStore, ownerEmails: ReadonlyMap<string, string>): Promise<number> {
  const parts: string[] = [];
  for await (const key of store.listParts(RUN_ID)) parts.push(key);
  const partRows: ReportRow[][] = [];
  for (let first = 0; first < parts.length; first += 16) {
    partRows.push(...(await Promise.all(parts.slice(first, first + 16).map((key) => store.readPart(key)))));
  }
  const rows = partRows
    .flat()
    .map((entry) => ({ ...entry, ownerEmail: ownerEmails.get(`${entry.providerOrg}/${entry.catalog}/${entry.consumerOrg}`) ?? '' }))
    .sort(compareRows);
  const stages: Record<string, number> = {};
  for (const entry of rows) stages[entry.stage] = (stages[entry.stage] ?? 0) + 1;
  const keys = reportKeys(RUN_ID, RUN_DATE);
  await store.putFile(keys.csvKey, 'csv', toCsv(rows));
  await store.putFile(keys.jsonKey, 'json', `{"run":{"rowCount":${rows.length}},\n"rows":[\n${rows.map((entry) => JSON.stringify(entry)).join(',\n')}\n]}\n`);
  await store.putFile(keys.htmlKey, 'html', renderHtmlReport({ runId: RUN_ID, runDate: RUN_DATE, dryRun: false, rows, stages }));
  return rows.length;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const request = JSON.parse(process.env.BENCH_REPORT_REQUEST ?? '{}') as ChildRequest;
  buildInChild(request).then(
    (report) => process.stdout.write(JSON.stringify(report)),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
