/** Copies a run's inventory report out of the local S3 emulator into files, for people to open. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RunSummary } from '../../functions/domain/workflow/types';
import type { S3Emulator } from '../emulators/s3/emulator';

export interface SavedReport {
  readonly csvPath: string;
  readonly jsonPath: string;
  /** Absent when the run's report has no HTML page. */
  readonly htmlPath?: string;
  readonly csv: string;
}

export async function saveReport(s3: S3Emulator, report: NonNullable<RunSummary['report']>, directory: string): Promise<SavedReport> {
  const objects = new Map(s3.objects(report.bucket).map((object) => [object.key, object.body]));
  const csv = objects.get(report.csvKey);
  const json = objects.get(report.jsonKey);
  if (csv === undefined || json === undefined) throw new Error(`report ${report.csvKey} is not in bucket ${report.bucket}`);
  await mkdir(directory, { recursive: true });
  const csvPath = resolve(join(directory, 'report.csv'));
  const jsonPath = resolve(join(directory, 'report.json'));
  await writeFile(csvPath, csv);
  await writeFile(jsonPath, json);
  const html = objects.get(report.csvKey.replace(/report\.csv$/, 'report.html'));
  if (html === undefined) return { csvPath, jsonPath, csv };
  const htmlPath = resolve(join(directory, 'report.html'));
  await writeFile(htmlPath, html);
  return { csvPath, jsonPath, htmlPath, csv };
}
