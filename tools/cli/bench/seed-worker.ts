/**
 * Runs the seed script's algorithm in a worker thread, against its own simulator, so it proceeds alongside the
 * workflow runs: it waits on latency almost all the time, and the workflow runs on the other core.
 * `startSeedRun` is the main-thread side; the module body is the worker side.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { startApicSimulator } from '../../apic-simulator';
import { runSeedAlgorithm, type SeedAbort } from './seed-script-algorithm';
import { BENCH_TARGET, countCredentials, quietCatalog, withDueShare } from './catalogs';
import { MemorySampler, type MemoryPeak } from './memory';

export interface SeedRunRequest {
  readonly credentials: number;
  readonly orgs: number;
  readonly dueShare: number;
  readonly latencyMs: number;
  readonly randomSeed: number;
  readonly now: string;
}

export interface SeedRunReport {
  readonly credentials: number;
  readonly apicCalls: number;
  /** Creates, deletes and renames: the calls a quiet day would not make. */
  readonly writes: number;
  readonly created: number;
  readonly wallMs: number;
  readonly memory: MemoryPeak;
  readonly aborted?: SeedAbort;
}

/** Big enough that the seed's unpaged requests get everything, as on a server whose default page holds all. */
const UNLIMITED_PAGE = 1_000_000_000;

class SeedWorkerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SeedWorkerError';
  }
}

export function startSeedRun(request: SeedRunRequest): Promise<SeedRunReport> {
  const self = new URL(import.meta.url).href;
  // The worker needs tsx's loader to import TypeScript.
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(self)}); });`;
  const worker = new Worker(bootstrap, { eval: true, workerData: request });
  return new Promise((resolve, reject) => {
    worker.once('message', (report: SeedRunReport) => {
      resolve(report);
      void worker.terminate();
    });
    worker.once('error', (error) => reject(new SeedWorkerError('the seed algorithm worker failed', { cause: error })));
    worker.once('exit', (code) => reject(new SeedWorkerError(`the seed algorithm worker exited (${code}) without a report`)));
  });
}

async function runInWorker(request: SeedRunRequest): Promise<SeedRunReport> {
  const seed = withDueShare(quietCatalog(request.credentials, request.orgs, request.randomSeed), request.dueShare);
  const now = new Date(request.now);
  const apic = await startApicSimulator({
    seed,
    now,
    latencyMs: request.latencyMs,
    randomSeed: request.randomSeed,
    defaultPageLimit: UNLIMITED_PAGE,
    maxPageLimit: UNLIMITED_PAGE,
  });
  try {
    const memory = new MemorySampler();
    memory.start();
    const started = performance.now();
    const result = await runSeedAlgorithm({ baseUrl: apic.baseUrl, ...BENCH_TARGET, admin: apic.admin, now });
    const wallMs = performance.now() - started;
    return {
      credentials: countCredentials(seed).credentials,
      apicCalls: apic.totalCalls(),
      writes: result.created.length + result.deleted.length + result.renamed.length,
      created: result.created.length,
      wallMs,
      memory: memory.stop(),
      ...(result.aborted ? { aborted: result.aborted } : {}),
    };
  } finally {
    await apic.close();
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  void runInWorker(workerData as SeedRunRequest).then((report) => port.postMessage(report));
}
