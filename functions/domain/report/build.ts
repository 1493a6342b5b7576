/**
 * The BuildReport step's work: gathers every part the run wrote, joins each row with its consumer org's owner
 * e-mail, orders the rows, and writes the CSV, the JSON, the HTML page and the manifest.
 *
 * Memory is bounded whatever the row count (an external merge sort): the parts are read in key order and cut into
 * runs of at most `sortRunRows` rows; each run is sorted in memory and, unless it is the last, written out as a sorted
 * run (JSON Lines). The runs are then merged one row at a time from streams, duplicates dropped as they meet, and
 * each row goes straight to the CSV and JSON multipart uploads (a part at a time, see `PartWriter`), the manifest's
 * counts and the bounded HTML page. At most one run's rows are held, plus a few upload parts.
 */
import { CSV_HEADER, csvLine, jsonLine, pickColumns } from './format';
import { HtmlReportCollector } from './html';
import type { ReportStorePort, ReportUpload } from '../ports';
import { reportKeys, sortedRunKey, type ReportFileKind, type ReportKeys } from './keys';
import { compareRows, mergeSorted } from './merge';
import { ACTION_SEPARATOR, FAILED_ACTION, ownerKey, type ReportRow } from './rows';
import { PartWriter } from './upload';

export interface BuildReportInput {
  readonly runId: string;
  /** The run's YYYY-MM-DD (UTC); the report is filed under it. */
  readonly runDate: string;
  readonly dryRun: boolean;
  /** Owner e-mail per `<providerOrg>/<catalog>/<consumerOrg>` (see `ownerKey`). */
  readonly owners: ReadonlyMap<string, string>;
  /** The run summary; its fields are copied into `report.json`'s `run` object. */
  readonly summary?: Readonly<Record<string, unknown>>;
  /**
   * Apps the run failed (the summary's listed failures): their parts show the state the plan would have produced, so
   * their rows get `FAILED_ACTION` added to `action`. Failures beyond the summary's list are only counted there.
   */
  readonly failedApps?: ReadonlyArray<{ readonly providerOrg: string; readonly catalog: string; readonly consumerOrg: string; readonly app: string }>;
  /** How many of the first rows with an action `BuiltReport.firstRowsWithAction` holds. Default: 0. */
  readonly listRowsWithAction?: number;
  /** Most rows sorted in memory at once (see the module comment). Default: `SORT_RUN_ROWS`. */
  readonly sortRunRows?: number;
}

export interface ReportManifest {
  readonly runId: string;
  readonly runDate: string;
  readonly dryRun: boolean;
  readonly rowCount: number;
  /** Rows whose consumer org has no known owner e-mail. */
  readonly rowsWithoutOwner: number;
  /**
   * Rows dropped because another part listed the same credential (an app read twice while APIC's listing shifted).
   * The row with an action is kept, else the first in part key order.
   */
  readonly duplicateRowsDropped: number;
  /** Rows per stage, keys sorted. */
  readonly stages: Readonly<Record<string, number>>;
  /** Rows per action label (a row with `a+b` counts once for each), keys sorted. */
  readonly actions: Readonly<Record<string, number>>;
  /** The part keys the report was built from, in key order. */
  readonly parts: readonly string[];
}

export interface BuiltReport {
  readonly keys: ReportKeys;
  readonly rowCount: number;
  readonly manifest: ReportManifest;
  /** Rows with an action (the run summary of a dry run counts them). */
  readonly rowsWithAction: number;
  /** The first `listRowsWithAction` of them, in report order (the run summary of a dry run lists them). */
  readonly firstRowsWithAction: readonly ReportRow[];
}

/**
 * Rows sorted in memory at once: a row is about 1 KB as objects, so about 50 MB, well inside a 512 MB function; a
 * million rows make 20 runs, merged in one pass.
 */
export const SORT_RUN_ROWS = 50_000;
/** Runs merged at once, each an open GetObject stream; more runs are first merged in rounds into longer runs. */
export const MAX_MERGE_WIDTH = 32;
/** Parts read ahead of the one being sorted in: enough to hide S3 latency, few enough to bound memory. */
const PART_READ_AHEAD = 8;

/**
 * Writes the run's report. Its files, each replaced whole (a multipart upload appears only when it completes):
 * - `report.csv`: a header row and one row per credential (see `toCsv`);
 * - `report.json`: `{ "run": { ...summary, runId, runDate, dryRun, rowCount }, "rows": [ReportRow, ...] }`, one row per line;
 * - `report.html`: the bounded page (see `HtmlReportCollector`);
 * - `manifest.json`: the `ReportManifest`, written last: whoever sees it can rely on the other files being complete.
 * On a failure every upload it started is aborted; a crash leaves them to the bucket's lifecycle rule.
 */
export async function buildReport(store: ReportStorePort, input: BuildReportInput): Promise<BuiltReport> {
  const keys = reportKeys(input.runId, input.runDate);
  const parts: string[] = [];
  for await (const key of store.listParts(input.runId)) parts.push(key);
  const sources = await sortedRuns(store, input.runId, parts, input.sortRunRows ?? SORT_RUN_ROWS);

  const failed = new Set((input.failedApps ?? []).map((app) => JSON.stringify([ownerKey(app), app.app])));
  const html = new HtmlReportCollector({ runId: input.runId, runDate: input.runDate, dryRun: input.dryRun });
  const stages = new Map<string, number>();
  const actions = new Map<string, number>();
  const firstRowsWithAction: ReportRow[] = [];
  let rowCount = 0;
  let rowsWithoutOwner = 0;
  let rowsWithAction = 0;
  const unique = withoutDuplicates(mergeSorted(sources));

  const manifest = await withUploads(store, async (start) => {
    const csv = new PartWriter(await start(keys.csvKey, 'csv'));
    const json = new PartWriter(await start(keys.jsonKey, 'json'), { holdFirstPart: true });
    await csv.write(CSV_HEADER);
    for await (const stored of unique.rows) {
      const joined = { ...pickColumns(stored), ownerEmail: input.owners.get(ownerKey(stored)) ?? '' };
      const row = failed.has(JSON.stringify([ownerKey(joined), joined.app]))
        ? { ...joined, action: joined.action === '' ? FAILED_ACTION : `${joined.action}${ACTION_SEPARATOR}${FAILED_ACTION}` }
        : joined;
      await csv.write(csvLine(row));
      await json.write(`${rowCount === 0 ? '\n' : ',\n'}${JSON.stringify(row)}`);
      rowCount += 1;
      if (row.ownerEmail === '') rowsWithoutOwner += 1;
      count(stages, row.stage);
      if (row.action !== '') {
        rowsWithAction += 1;
        if (firstRowsWithAction.length < (input.listRowsWithAction ?? 0)) firstRowsWithAction.push(row);
        for (const label of row.action.split(ACTION_SEPARATOR)) count(actions, label);
      }
      html.add(row);
    }
    const run = { ...input.summary, runId: input.runId, runDate: input.runDate, dryRun: input.dryRun, rowCount };
    await csv.finish();
    await json.write(`${rowCount > 0 ? '\n' : ''}]}\n`);
    await json.finish(`{"run":${JSON.stringify(run)},\n"rows":[`);
    const built: ReportManifest = {
      runId: input.runId,
      runDate: input.runDate,
      dryRun: input.dryRun,
      rowCount,
      rowsWithoutOwner,
      duplicateRowsDropped: unique.dropped(),
      stages: sortedCounts(stages),
      actions: sortedCounts(actions),
      parts,
    };
    await store.putFile(keys.htmlKey, 'html', html.render(built.stages));
    return built;
  });
  await store.putFile(keys.manifestKey, 'manifest', `${JSON.stringify(manifest, null, 2)}\n`);
  return { keys, rowCount, manifest, rowsWithAction, firstRowsWithAction };
}

type StartUpload = (key: string, kind: ReportFileKind) => Promise<ReportUpload>;

/** Runs `work` with a way to start uploads; when it fails, every upload it started is aborted before the error goes on. */
async function withUploads<T>(store: ReportStorePort, work: (start: StartUpload) => Promise<T>): Promise<T> {
  const started: ReportUpload[] = [];
  try {
    return await work(async (key, kind) => {
      const upload = await store.startUpload(key, kind);
      started.push(upload);
      return upload;
    });
  } catch (error) {
    // An upload that completed answers NoSuchUpload: that and any other abort failure must not hide the cause.
    await Promise.all(started.map((upload) => upload.abort().catch(() => undefined)));
    throw error;
  }
}

/**
 * The parts' rows as sorted sources for `mergeSorted`, in part key order: runs of `runRows` rows, each sorted (stably,
 * so equal rows keep part key order) and written out, then the last run kept in memory.
 */
async function sortedRuns(store: ReportStorePort, runId: string, parts: readonly string[], runRows: number): Promise<AsyncIterable<ReportRow>[]> {
  let written: string[] = [];
  let run: ReportRow[] = [];
  for await (const rows of readAhead(parts, PART_READ_AHEAD, (key) => store.readPart(key))) {
    for (const row of rows) run.push(row);
    if (run.length >= runRows) {
      const key = sortedRunKey(runId, 0, written.length);
      await writeJsonLines(store, key, run.sort(compareRows));
      written.push(key);
      run = [];
    }
  }
  // Keep every merge within MAX_MERGE_WIDTH open streams (one slot is the in-memory run).
  for (let round = 1; written.length > MAX_MERGE_WIDTH - 1; round += 1) {
    const merged: string[] = [];
    for (let first = 0; first < written.length; first += MAX_MERGE_WIDTH) {
      const key = sortedRunKey(runId, round, merged.length);
      await writeJsonLines(store, key, mergeSorted(written.slice(first, first + MAX_MERGE_WIDTH).map((runKey) => store.readRows(runKey))));
      merged.push(key);
    }
    written = merged;
  }
  const last = run.sort(compareRows);
  return [...written.map((key) => store.readRows(key)), inMemory(last)];
}

async function writeJsonLines(store: ReportStorePort, key: string, rows: Iterable<ReportRow> | AsyncIterable<ReportRow>): Promise<void> {
  await withUploads(store, async (start) => {
    const writer = new PartWriter(await start(key, 'jsonLines'));
    for await (const row of rows) await writer.write(jsonLine(row));
    await writer.finish();
  });
}

async function* inMemory(rows: readonly ReportRow[]): AsyncGenerator<ReportRow> {
  yield* rows;
}

/** `read` of each key in order, with up to `ahead` reads in flight. */
async function* readAhead<T>(keys: readonly string[], ahead: number, read: (key: string) => Promise<T>): AsyncGenerator<T> {
  const pending: Promise<T>[] = [];
  let next = 0;
  const fill = (): void => {
    while (next < keys.length && pending.length < ahead) {
      const reading = read(keys[next] as string);
      // Observed when its turn comes; until then a failure must not count as unhandled.
      reading.catch(() => undefined);
      pending.push(reading);
      next += 1;
    }
  };
  fill();
  for (let reading = pending.shift(); reading; reading = pending.shift()) {
    const value = await reading;
    fill();
    yield value;
  }
}

/**
 * Drops the copies of a credential from rows in report order (copies are adjacent there): the first copy with an
 * action is kept, else the first copy.
 */
function withoutDuplicates(rows: AsyncIterable<ReportRow>): { rows: AsyncGenerator<ReportRow>; dropped: () => number } {
  let dropped = 0;
  async function* unique(): AsyncGenerator<ReportRow> {
    let kept: ReportRow | undefined;
    for await (const row of rows) {
      if (kept && compareRows(kept, row) === 0) {
        dropped += 1;
        if (kept.action === '' && row.action !== '') kept = row;
        continue;
      }
      if (kept) yield kept;
      kept = row;
    }
    if (kept) yield kept;
  }
  return { rows: unique(), dropped: () => dropped };
}

function count(counts: Map<string, number>, label: string): void {
  counts.set(label, (counts.get(label) ?? 0) + 1);
}

function sortedCounts(counts: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
