/**
 * The report as a picture: one self-contained HTML page (inline CSS and SVG, no script, nothing fetched; a
 * Content-Security-Policy forbids it) beside the CSV and JSON, of bounded size whatever the row count. It shows what
 * needs a person first (blocked, held and failed items, notices nobody can receive), then the counts per stage, an age
 * histogram, the actions due in the next 30 days and one table per consumer org; a long list shows its first rows and
 * its full count, and names report.csv for the rest (see `HtmlReportCollector`). It is built from the report rows
 * only, which hold client ids and never a secret; every text is escaped.
 */
import { DAY_MS } from '../time';
import { ACTION_SEPARATOR, FAILED_ACTION, type ReportRow } from './rows';

export interface HtmlReportContext {
  readonly runId: string;
  readonly runDate: string;
  readonly dryRun: boolean;
  /** Most rows listed in the per consumer org tables (the CSV has them all); keeps the page usable at any size. */
  readonly maxTableRows?: number;
}

export interface HtmlReportInput extends HtmlReportContext {
  /** Sorted as in the CSV. */
  readonly rows: readonly ReportRow[];
  /** Rows per stage, as in the manifest. */
  readonly stages: Readonly<Record<string, number>>;
}

/** Upcoming actions are those due within this many days of the run's date. */
export const UPCOMING_DAYS = 30;
/** Width of an age histogram bucket, in days; the last bucket is open-ended. */
export const AGE_BUCKET_DAYS = 30;
const AGE_BUCKETS = 7;
const DEFAULT_MAX_TABLE_ROWS = 5_000;
/** Most rows listed as needing a person, and as due in the next days; the counts above them are always complete. */
export const MAX_LISTED_ROWS = 1_000;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

const ATTENTION_STAGES = new Set(['blocked', 'held']);

/** Rows a person must look at: blocked or held, failed in this run, or with a notice and no owner e-mail to send it to. */
export function attentionReason(row: ReportRow): string | undefined {
  const labels = row.action === '' ? [] : row.action.split(ACTION_SEPARATOR);
  if (labels.includes(FAILED_ACTION)) return 'failed in this run';
  if (ATTENTION_STAGES.has(row.stage)) return row.stage;
  if (row.ownerEmail === '' && labels.some((label) => label.startsWith('queue-notice:'))) return 'undeliverable: no owner e-mail';
  return undefined;
}

function ageBucket(ageDays: number): number {
  return Math.min(AGE_BUCKETS - 1, Math.max(0, Math.floor(ageDays / AGE_BUCKET_DAYS)));
}

function ageBucketLabel(index: number): string {
  return index === AGE_BUCKETS - 1 ? `${index * AGE_BUCKET_DAYS}+` : `${index * AGE_BUCKET_DAYS}-${(index + 1) * AGE_BUCKET_DAYS - 1}`;
}

export function ageHistogram(rows: readonly ReportRow[]): { label: string; count: number }[] {
  const counts = new Array<number>(AGE_BUCKETS).fill(0);
  for (const row of rows) counts[ageBucket(row.ageDays)] = (counts[ageBucket(row.ageDays)] ?? 0) + 1;
  return counts.map((count, index) => ({ label: ageBucketLabel(index), count }));
}

const COLUMNS = ['app', 'credential', 'role', 'clientId', 'ageDays', 'stage', 'action', 'nextAction', 'nextActionDate'] as const;

function table(rows: readonly ReportRow[], columns: readonly (keyof ReportRow)[], extra?: (row: ReportRow) => string): string {
  const head = columns.map((column) => `<th>${escapeHtml(column)}</th>`).join('') + (extra ? '<th>why</th>' : '');
  const body = rows
    .map(
      (row) =>
        `<tr data-stage="${escapeHtml(row.stage)}">${columns.map((column) => `<td>${escapeHtml(row[column])}</td>`).join('')}${
          extra ? `<td>${escapeHtml(extra(row))}</td>` : ''
        }</tr>`,
    )
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function histogramSvg(buckets: readonly { label: string; count: number }[]): string {
  const width = 640;
  const height = 220;
  const barWidth = Math.floor((width - 40) / buckets.length);
  const max = Math.max(1, ...buckets.map((bucket) => bucket.count));
  const bars = buckets
    .map((bucket, index) => {
      const barHeight = Math.round((bucket.count / max) * (height - 60));
      const x = 20 + index * barWidth;
      const y = height - 30 - barHeight;
      return [
        `<g data-bucket="${escapeHtml(bucket.label)}" data-count="${bucket.count}">`,
        `<rect x="${x + 4}" y="${y}" width="${barWidth - 8}" height="${barHeight}" fill="#2b6cb0"></rect>`,
        `<text x="${x + barWidth / 2}" y="${y - 4}" text-anchor="middle" font-size="12">${bucket.count}</text>`,
        `<text x="${x + barWidth / 2}" y="${height - 12}" text-anchor="middle" font-size="12">${escapeHtml(bucket.label)}</text>`,
        '</g>',
      ].join('');
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" id="age-histogram" width="${width}" height="${height}" role="img" aria-label="credentials per age in days">
<rect x="0" y="0" width="${width}" height="${height}" fill="#f7fafc"></rect>
${bars}
</svg>`;
}

const byNextActionDate = (a: ReportRow, b: ReportRow): number => (a.nextActionDate < b.nextActionDate ? -1 : a.nextActionDate > b.nextActionDate ? 1 : 0);

/**
 * What the page shows, gathered one row at a time (rows in report order) in bounded memory: counts of every row, and
 * the first `MAX_LISTED_ROWS` rows needing a person, the `MAX_LISTED_ROWS` soonest actions and the first
 * `maxTableRows` rows for the per consumer org tables. The page says how many it does not list and points to the CSV.
 */
export class HtmlReportCollector {
  private rowCount = 0;
  private readonly ageCounts = new Array<number>(AGE_BUCKETS).fill(0);
  private readonly attention: ReportRow[] = [];
  private attentionCount = 0;
  private soon: ReportRow[] = [];
  private soonCount = 0;
  private readonly tableRows: ReportRow[] = [];
  private readonly lastUpcomingDate: string;
  private readonly maxTableRows: number;

  constructor(private readonly context: HtmlReportContext) {
    this.maxTableRows = context.maxTableRows ?? DEFAULT_MAX_TABLE_ROWS;
    this.lastUpcomingDate = new Date(Date.parse(`${context.runDate}T00:00:00.000Z`) + UPCOMING_DAYS * DAY_MS).toISOString().slice(0, 10);
  }

  add(row: ReportRow): void {
    this.rowCount += 1;
    const bucket = ageBucket(row.ageDays);
    this.ageCounts[bucket] = (this.ageCounts[bucket] ?? 0) + 1;
    if (attentionReason(row) !== undefined) {
      this.attentionCount += 1;
      if (this.attention.length < MAX_LISTED_ROWS) this.attention.push(row);
    }
    if (row.nextAction !== '' && row.nextActionDate !== '' && row.nextActionDate <= this.lastUpcomingDate) {
      this.soonCount += 1;
      this.soon.push(row);
      // Sorting is stable, so among rows due the same day the earlier in report order stay, as in a full sort.
      if (this.soon.length >= 2 * MAX_LISTED_ROWS) this.soon = this.soon.sort(byNextActionDate).slice(0, MAX_LISTED_ROWS);
    }
    if (this.tableRows.length < this.maxTableRows) this.tableRows.push(row);
  }

  /** The page; `stages` are the rows per stage, as in the manifest. */
  render(stages: Readonly<Record<string, number>>): string {
    const soon = this.soon.sort(byNextActionDate).slice(0, MAX_LISTED_ROWS);
    return renderPage({
      ...this.context,
      rowCount: this.rowCount,
      stages,
      ages: this.ageCounts.map((count, index) => ({ label: ageBucketLabel(index), count })),
      attention: this.attention,
      attentionCount: this.attentionCount,
      soon,
      soonCount: this.soonCount,
      tableRows: this.tableRows,
      maxTableRows: this.maxTableRows,
    });
  }
}

/** The HTML page of a report held in memory (see `HtmlReportCollector` for what it lists). */
export function renderHtmlReport(input: HtmlReportInput): string {
  const collector = new HtmlReportCollector(input);
  for (const row of input.rows) collector.add(row);
  return collector.render(input.stages);
}

interface HtmlPage extends HtmlReportContext {
  readonly rowCount: number;
  readonly stages: Readonly<Record<string, number>>;
  readonly ages: readonly { label: string; count: number }[];
  readonly attention: readonly ReportRow[];
  readonly attentionCount: number;
  readonly soon: readonly ReportRow[];
  readonly soonCount: number;
  readonly tableRows: readonly ReportRow[];
  readonly maxTableRows: number;
}

function notListed(listed: number, total: number): string {
  return listed < total ? `<p class="note">The first ${listed} of ${total} are listed; report.csv has them all.</p>\n` : '';
}

function renderPage(page: HtmlPage): string {
  const { runDate, rowCount, attention, soon, maxTableRows } = page;
  const stageRows = Object.entries(page.stages)
    .map(([stage, count]) => `<tr data-stage="${escapeHtml(stage)}"><td>${escapeHtml(stage)}</td><td class="count">${count}</td></tr>`)
    .join('\n');
  const orgs = new Map<string, ReportRow[]>();
  for (const row of page.tableRows) {
    const key = `${row.providerOrg} / ${row.catalog} / ${row.consumerOrg}`;
    const orgRows = orgs.get(key);
    if (orgRows) orgRows.push(row);
    else orgs.set(key, [row]);
  }
  const orgSections = [...orgs]
    .map(([key, orgRows]) => {
      const owner = orgRows[0]?.ownerEmail ?? '';
      return `<section class="org"><h3>${escapeHtml(key)}</h3><p>owner: ${escapeHtml(owner === '' ? 'unknown' : owner)}</p>\n${table(orgRows, COLUMNS)}</section>`;
    })
    .join('\n');
  const truncated =
    rowCount > maxTableRows
      ? `<p class="note">The tables list the first ${maxTableRows} of ${rowCount} credentials; report.csv has them all.</p>`
      : '';
  const title = `Credential rotation report ${runDate}${page.dryRun ? ' (dry run: the state the plan would produce)' : ''}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: sans-serif; margin: 24px; color: #1a202c; background: #fff; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; border-bottom: 2px solid #2b6cb0; } h3 { font-size: 15px; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0; }
th, td { border: 1px solid #cbd5e0; padding: 3px 6px; text-align: left; }
th { background: #edf2f7; }
#attention tr { background: #fff5f5; }
.count { text-align: right; font-weight: bold; }
.note { color: #744210; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>run <code>${escapeHtml(page.runId)}</code>, <span id="row-count" data-count="${rowCount}">${rowCount}</span> credentials after the run.</p>
<section id="attention"><h2>Needs a person (${page.attentionCount})</h2>
${notListed(attention.length, page.attentionCount)}${attention.length === 0 ? '<p>Nothing blocked, held, failed or undeliverable.</p>' : table(attention, ['consumerOrg', ...COLUMNS, 'ownerEmail'], (row) => attentionReason(row) ?? '')}
</section>
<section><h2>Credentials per stage</h2>
<table id="stage-counts"><thead><tr><th>stage</th><th>credentials</th></tr></thead><tbody>
${stageRows}
</tbody></table></section>
<section><h2>Age (days)</h2>
${histogramSvg(page.ages)}
</section>
<section id="upcoming"><h2>Next ${UPCOMING_DAYS} days (${page.soonCount})</h2>
${notListed(soon.length, page.soonCount)}${soon.length === 0 ? '<p>Nothing due.</p>' : table(soon, ['nextActionDate', 'nextAction', 'consumerOrg', 'app', 'credential', 'stage'])}
</section>
<section id="orgs"><h2>Per consumer org</h2>
${truncated}
${orgSections}
</section>
</body>
</html>
`;
}
