/**
 * The BuildReport step's work: gathers every part the run wrote, joins each row with its consumer org's owner
 * e-mail, orders the rows, and writes the CSV, the JSON and the manifest.
 *
 * Memory: all rows are held at once. A row is a few hundred bytes as text and roughly twice that as objects, and the
 * CSV and JSON strings are built whole, so about 1 million credentials need a few hundred MB (size the Lambda's memory
 * to match). Beyond that the next step is a streaming writer: an S3 multipart upload fed row by row from parts that
 * are sorted by key.
 */
import { pickColumns, toCsv } from './format';
import { renderHtmlReport } from './html';
import type { ReportStorePort } from '../ports';
import type { ReportKeys } from './keys';
import { ACTION_SEPARATOR, FAILED_ACTION, ownerKey, type ReportRow } from './rows';

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
  /** The rows written, in report order (the run summary of a dry run lists the first ones with an action). */
  readonly rows: readonly ReportRow[];
}

/** Parts read at once: enough to hide S3 latency, few enough to stay polite to the Lambda's sockets. */
const PART_READ_CONCURRENCY = 16;

/**
 * Writes the run's report. Its files:
 * - `report.csv`: a header row and one row per credential (see `toCsv`);
 * - `report.json`: `{ "run": { ...summary, runId, runDate, dryRun, rowCount }, "rows": [ReportRow, ...] }`, one row per line;
 * - `report.html`: the report as one self-contained page (see `renderHtmlReport`);
 * - `manifest.json`: the `ReportManifest`, written last.
 */
export async function buildReport(store: ReportStorePort, input: BuildReportInput): Promise<BuiltReport> {
  const parts: string[] = [];
  for await (const key of store.listParts(input.runId)) parts.push(key);
  const partRows = await mapConcurrently(parts, PART_READ_CONCURRENCY, (key) => store.readPart(key));

  const { rows: unique, dropped } = dropDuplicates(partRows.flat());
  const failed = new Set((input.failedApps ?? []).map((app) => JSON.stringify([ownerKey(app), app.app])));
  const rows = unique
    .map((row) => ({ ...pickColumns(row), ownerEmail: input.owners.get(ownerKey(row)) ?? '' }))
    .map((row) =>
      failed.has(JSON.stringify([ownerKey(row), row.app]))
        ? { ...row, action: row.action === '' ? FAILED_ACTION : `${row.action}${ACTION_SEPARATOR}${FAILED_ACTION}` }
        : row,
    )
    .sort(compareRows);

  const manifest: ReportManifest = {
    runId: input.runId,
    runDate: input.runDate,
    dryRun: input.dryRun,
    rowCount: rows.length,
    rowsWithoutOwner: rows.filter((row) => row.ownerEmail === '').length,
    duplicateRowsDropped: dropped,
    stages: tally(rows.map((row) => row.stage)),
    actions: tally(rows.flatMap((row) => (row.action === '' ? [] : row.action.split(ACTION_SEPARATOR)))),
    parts,
  };
  const run = { ...input.summary, runId: input.runId, runDate: input.runDate, dryRun: input.dryRun, rowCount: rows.length };
  const keys = await store.putReport(
    input.runId,
    {
      csv: toCsv(rows),
      json: reportJson(run, rows),
      html: renderHtmlReport({ runId: input.runId, runDate: input.runDate, dryRun: input.dryRun, rows, stages: manifest.stages }),
      manifest: `${JSON.stringify(manifest, null, 2)}\n`,
    },
    input.runDate,
  );
  return { keys, rowCount: rows.length, manifest, rows };
}

function reportJson(run: Record<string, unknown>, rows: readonly ReportRow[]): string {
  const rowLines = rows.map((row) => JSON.stringify(row)).join(',\n');
  return `{"run":${JSON.stringify(run)},\n"rows":[${rows.length > 0 ? `\n${rowLines}\n` : ''}]}\n`;
}

const SORT_FIELDS = ['providerOrg', 'catalog', 'consumerOrg', 'app', 'credential'] as const;

/** Code-unit order, not locale order: the same rows sort the same way on every machine. */
function compareRows(a: ReportRow, b: ReportRow): number {
  for (const field of SORT_FIELDS) {
    if (a[field] !== b[field]) return a[field] < b[field] ? -1 : 1;
  }
  return 0;
}

function dropDuplicates(rows: readonly ReportRow[]): { rows: ReportRow[]; dropped: number } {
  const kept = new Map<string, ReportRow>();
  for (const row of rows) {
    const identity = JSON.stringify(SORT_FIELDS.map((field) => row[field]));
    const existing = kept.get(identity);
    if (!existing || (existing.action === '' && row.action !== '')) kept.set(identity, row);
  }
  return { rows: [...kept.values()], dropped: rows.length - kept.size };
}

function tally(labels: readonly string[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** `map` over `items` with at most `limit` calls in flight; results keep the items' order. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await map(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
