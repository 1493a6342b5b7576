/**
 * The report as a picture: one self-contained HTML page (inline CSS and SVG, no script, nothing fetched; a
 * Content-Security-Policy forbids it) beside the CSV and JSON. It shows what needs a person first (blocked, held and
 * failed items, notices nobody can receive), then the counts per stage, an age histogram, the actions due in the next
 * 30 days and one table per consumer org. It is built from the report rows only, which hold client ids and never a
 * secret; every text is escaped.
 */
import { DAY_MS } from '../time';
import { ACTION_SEPARATOR, FAILED_ACTION, type ReportRow } from './rows';

export interface HtmlReportInput {
  readonly runId: string;
  readonly runDate: string;
  readonly dryRun: boolean;
  /** Sorted as in the CSV. */
  readonly rows: readonly ReportRow[];
  /** Rows per stage, as in the manifest. */
  readonly stages: Readonly<Record<string, number>>;
  /** Most rows listed in the per consumer org tables (the CSV has them all); keeps the page usable at any size. */
  readonly maxTableRows?: number;
}

/** Upcoming actions are those due within this many days of the run's date. */
export const UPCOMING_DAYS = 30;
/** Width of an age histogram bucket, in days; the last bucket is open-ended. */
export const AGE_BUCKET_DAYS = 30;
const AGE_BUCKETS = 7;
const DEFAULT_MAX_TABLE_ROWS = 5_000;

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

export function ageHistogram(rows: readonly ReportRow[]): { label: string; count: number }[] {
  const counts = new Array<number>(AGE_BUCKETS).fill(0);
  for (const row of rows) {
    const bucket = Math.min(AGE_BUCKETS - 1, Math.max(0, Math.floor(row.ageDays / AGE_BUCKET_DAYS)));
    counts[bucket] = (counts[bucket] ?? 0) + 1;
  }
  return counts.map((count, index) => ({
    label: index === AGE_BUCKETS - 1 ? `${index * AGE_BUCKET_DAYS}+` : `${index * AGE_BUCKET_DAYS}-${(index + 1) * AGE_BUCKET_DAYS - 1}`,
    count,
  }));
}

function upcoming(rows: readonly ReportRow[], runDate: string): ReportRow[] {
  const last = new Date(Date.parse(`${runDate}T00:00:00.000Z`) + UPCOMING_DAYS * DAY_MS).toISOString().slice(0, 10);
  return rows
    .filter((row) => row.nextAction !== '' && row.nextActionDate !== '' && row.nextActionDate <= last)
    .sort((a, b) => (a.nextActionDate < b.nextActionDate ? -1 : a.nextActionDate > b.nextActionDate ? 1 : 0));
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

/** The HTML page of a report. */
export function renderHtmlReport(input: HtmlReportInput): string {
  const { rows, runDate } = input;
  const maxTableRows = input.maxTableRows ?? DEFAULT_MAX_TABLE_ROWS;
  const attention = rows.filter((row) => attentionReason(row) !== undefined);
  const stageRows = Object.entries(input.stages)
    .map(([stage, count]) => `<tr data-stage="${escapeHtml(stage)}"><td>${escapeHtml(stage)}</td><td class="count">${count}</td></tr>`)
    .join('\n');
  const soon = upcoming(rows, runDate);
  const orgs = new Map<string, ReportRow[]>();
  for (const row of rows.slice(0, maxTableRows)) {
    const key = `${row.providerOrg} / ${row.catalog} / ${row.consumerOrg}`;
    orgs.set(key, [...(orgs.get(key) ?? []), row]);
  }
  const orgSections = [...orgs]
    .map(([key, orgRows]) => {
      const owner = orgRows[0]?.ownerEmail ?? '';
      return `<section class="org"><h3>${escapeHtml(key)}</h3><p>owner: ${escapeHtml(owner === '' ? 'unknown' : owner)}</p>\n${table(orgRows, COLUMNS)}</section>`;
    })
    .join('\n');
  const truncated =
    rows.length > maxTableRows
      ? `<p class="note">The tables list the first ${maxTableRows} of ${rows.length} credentials; report.csv has them all.</p>`
      : '';
  const title = `Credential rotation report ${runDate}${input.dryRun ? ' (dry run: the state the plan would produce)' : ''}`;
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
<p>run <code>${escapeHtml(input.runId)}</code>, <span id="row-count" data-count="${rows.length}">${rows.length}</span> credentials after the run.</p>
<section id="attention"><h2>Needs a person (${attention.length})</h2>
${attention.length === 0 ? '<p>Nothing blocked, held, failed or undeliverable.</p>' : table(attention, ['consumerOrg', ...COLUMNS, 'ownerEmail'], (row) => attentionReason(row) ?? '')}
</section>
<section><h2>Credentials per stage</h2>
<table id="stage-counts"><thead><tr><th>stage</th><th>credentials</th></tr></thead><tbody>
${stageRows}
</tbody></table></section>
<section><h2>Age (days)</h2>
${histogramSvg(ageHistogram(rows))}
</section>
<section id="upcoming"><h2>Next ${UPCOMING_DAYS} days (${soon.length})</h2>
${soon.length === 0 ? '<p>Nothing due.</p>' : table(soon, ['nextActionDate', 'nextAction', 'consumerOrg', 'app', 'credential', 'stage'])}
</section>
<section id="orgs"><h2>Per consumer org</h2>
${truncated}
${orgSections}
</section>
</body>
</html>
`;
}
