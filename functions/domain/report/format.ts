/**
 * Report encodings: CSV for people (opened in spreadsheets, so guarded against formula injection) and JSON Lines
 * for the parts the workflow steps write and the report build reads back.
 */
import * as z from 'zod';
import { REPORT_COLUMNS, type ReportRow } from './rows';

const reportRowSchema = z.strictObject({
  providerOrg: z.string(),
  catalog: z.string(),
  consumerOrg: z.string(),
  ownerEmail: z.string(),
  app: z.string(),
  credential: z.string(),
  role: z.string(),
  clientId: z.string(),
  createdAt: z.string(),
  ageDays: z.number().int(),
  stage: z.string(),
  action: z.string(),
  nextAction: z.string(),
  nextActionDate: z.string(),
}) satisfies z.ZodType<ReportRow>;

/** A JSON Lines text that is not a list of report rows. Names the line and the fields, never the values. */
export class ReportFormatError extends Error {
  constructor(
    message: string,
    readonly line: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ReportFormatError';
  }
}

/** Spreadsheets evaluate a cell starting with one of these as a formula (OWASP "CSV injection"). */
const FORMULA_TRIGGER = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

function csvCell(value: string | number): string {
  if (typeof value === 'number') return String(value);
  const guarded = FORMULA_TRIGGER.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

/**
 * RFC 4180 CSV: a header row of the field names, CRLF line ends, quoted cells where needed. A text cell that a
 * spreadsheet would run as a formula is prefixed with `'`; the file is UTF-8 without a byte order mark.
 */
export function toCsv(rows: readonly ReportRow[]): string {
  return CSV_HEADER + rows.map(csvLine).join('');
}

/** The CSV's header line, CRLF included. */
export const CSV_HEADER = `${REPORT_COLUMNS.join(',')}\r\n`;

/** One row as a CSV line, CRLF included. */
export function csvLine(row: ReportRow): string {
  return `${REPORT_COLUMNS.map((column) => csvCell(row[column])).join(',')}\r\n`;
}

/** One JSON object per line, each line ending in `\n`; fields in report column order. */
export function toJsonLines(rows: readonly ReportRow[]): string {
  return rows.map(jsonLine).join('');
}

/** One row as a JSON Lines line, `\n` included. */
export function jsonLine(row: ReportRow): string {
  return `${JSON.stringify(pickColumns(row))}\n`;
}

/** Only the row's own fields, in column order (as `REPORT_COLUMNS` lists them), whatever else the object carries. */
export function pickColumns(row: ReportRow): ReportRow {
  return {
    providerOrg: row.providerOrg,
    catalog: row.catalog,
    consumerOrg: row.consumerOrg,
    ownerEmail: row.ownerEmail,
    app: row.app,
    credential: row.credential,
    role: row.role,
    clientId: row.clientId,
    createdAt: row.createdAt,
    ageDays: row.ageDays,
    stage: row.stage,
    action: row.action,
    nextAction: row.nextAction,
    nextActionDate: row.nextActionDate,
  };
}

/** Parses JSON Lines written by `toJsonLines`; blank lines are skipped. Throws `ReportFormatError` naming the line. */
export function parseJsonLines(text: string): ReportRow[] {
  const rows: ReportRow[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() !== '') rows.push(parseJsonLine(line, index + 1));
  }
  return rows;
}

/** Parses one line written by `toJsonLines`; `lineNumber` (from 1) names it in a `ReportFormatError`. */
export function parseJsonLine(line: string, lineNumber: number): ReportRow {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new ReportFormatError(`line ${lineNumber} is not JSON`, lineNumber, { cause: error });
  }
  const parsed = reportRowSchema.safeParse(value);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map(describeIssue))].join(', ');
    throw new ReportFormatError(`line ${lineNumber} is not a report row: ${fields}`, lineNumber);
  }
  return parsed.data;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unexpected ${issue.keys.join(', ')}`;
  return issue.path.length > 0 ? `invalid ${issue.path.join('.')}` : 'not an object';
}
