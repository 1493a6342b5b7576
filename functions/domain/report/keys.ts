/**
 * Where the inventory report lives: S3 objects under `reports/`.
 *
 * - parts:  `reports/<runId>/parts/<partName>.jsonl` (JSON Lines, one per ScanPage or AssessApp invocation)
 * - sorted runs: `reports/<runId>/sorted/<round>-<index>.jsonl` (JSON Lines in report order, BuildReport's spill
 *   files when the rows do not fit one in-memory run; overwritten by a retry, expired with the reports)
 * - report: `reports/<YYYY-MM-DD>/<runId>/report.csv`, `report.json`, `report.html`, `manifest.json`
 *
 * The run id and part names are encoded so any value gives a safe key; a part name always maps to the same key, so
 * a retried step overwrites its part instead of adding a second one.
 */
import { createHash } from 'node:crypto';

/** What a report file holds; the store gives each kind its content type. */
export type ReportFileKind = 'csv' | 'json' | 'html' | 'manifest' | 'jsonLines';

export interface ReportKeys {
  readonly csvKey: string;
  readonly jsonKey: string;
  readonly manifestKey: string;
  readonly htmlKey: string;
}

export const REPORT_PREFIX = 'reports/';
export const PART_SUFFIX = '.jsonl';
const RUN_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Enough of a part name to recognise it in a listing; the hash keeps truncated names apart. */
const PART_SLUG_LENGTH = 80;

/** Keeps letters, digits and '-'; any other UTF-8 byte becomes `_XX`. Reversible, and never `.` or `..`. */
export function encodeKeySegment(value: string): string {
  if (value === '') throw new RangeError('a report key segment must not be empty');
  let encoded = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9-]/.test(char) ? char : `_${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** A readable, bounded and collision-resistant key segment for a part name of any length or alphabet. */
export function partFileName(partName: string): string {
  if (partName === '') throw new RangeError('a report part name must not be empty');
  const slug = partName.replace(/[^A-Za-z0-9-]+/g, '_').slice(0, PART_SLUG_LENGTH);
  const digest = createHash('sha256').update(partName, 'utf8').digest('hex').slice(0, 20);
  return `${slug}-${digest}${PART_SUFFIX}`;
}

export function partsPrefix(runId: string): string {
  return `${REPORT_PREFIX}${encodeKeySegment(runId)}/parts/`;
}

/** The key of the `index`th sorted run written in merge `round` (0: runs sorted in memory; then merges of runs). */
export function sortedRunKey(runId: string, round: number, index: number): string {
  return `${REPORT_PREFIX}${encodeKeySegment(runId)}/sorted/${String(round).padStart(2, '0')}-${String(index).padStart(5, '0')}${PART_SUFFIX}`;
}

export function reportKeys(runId: string, runDate: string): ReportKeys {
  if (!RUN_DATE.test(runDate)) throw new RangeError(`runDate must be YYYY-MM-DD, got ${JSON.stringify(runDate)}`);
  const folder = `${REPORT_PREFIX}${runDate}/${encodeKeySegment(runId)}/`;
  return { csvKey: `${folder}report.csv`, jsonKey: `${folder}report.json`, manifestKey: `${folder}manifest.json`, htmlKey: `${folder}report.html` };
}

