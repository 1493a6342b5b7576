import { unlessNotFound } from '../apic/lookups';
import type { ApicApp, CatalogTarget } from '../model';
import type { ApicPort, RejectedApp, ReportStorePort } from '../ports';
import { isExempt, isVerificationDay, needsAttention, resolvePolicy } from '../policy';
import { quietAppRows, type ReportRow } from '../report';
import { recordRejectedApps, tallyResults } from './summary';
import type { RunContext, ScanCursor, ScanOutput, ScanState, WorkItem } from './types';

const bytesOf = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

/**
 * What one state's payload may hold, well under Step Functions' 256 KiB quota. The scan fills what the run context
 * and summary leave of it with work items, counting each item twice (it stays in the state while its result is added
 * next to it) plus the largest result that app can produce.
 */
export const PAYLOAD_BUDGET_BYTES = 180 * 1024;
/**
 * What an app's result adds beyond its item: a failure's error name and short cause, or a few action kinds and
 * outcomes for each of its credentials, whichever is larger.
 */
export const FAILED_RESULT_BYTES = 900;
export const RESULT_BYTES_PER_CREDENTIAL = 125;
export const resultBytesFor = (credentials: number): number =>
  Math.max(FAILED_RESULT_BYTES, 60 + RESULT_BYTES_PER_CREDENTIAL * credentials);
/** APIC pages read per invocation: keeps one invocation well inside its timeout on a slow APIC. */
export const MAX_PAGES_PER_SCAN = 50;

interface Batch {
  /** The usable apps, each with its offset in the listing it came from. */
  readonly apps: ReadonlyArray<{ readonly app: ApicApp; readonly position: number }>;
  /** Apps whose data APIC got wrong: reported as failed, skipped so the rest of the catalog still rotates. */
  readonly rejected: readonly RejectedApp[];
  /** Where the scan goes after this batch, if all of it is consumed. */
  readonly next: ScanCursor;
}

/** A segment covers one target's listing from its start offset to `end` (or to the end of the listing). */
function finished(cursor: ScanCursor): ScanCursor {
  return { ...cursor, done: true };
}

/** Pairs each usable app with its listing offset, skipping the offsets of rejected ones. */
function positioned(apps: readonly ApicApp[], rejected: readonly RejectedApp[], offset: number): Batch['apps'] {
  const skipped = new Set(rejected.map((entry) => entry.position));
  const result: Array<{ app: ApicApp; position: number }> = [];
  let position = offset;
  for (const app of apps) {
    while (skipped.has(position)) position += 1;
    result.push({ app, position });
    position += 1;
  }
  return result;
}

async function readBatch(apic: ApicPort, run: RunContext, target: CatalogTarget, cursor: ScanCursor): Promise<Batch> {
  const consumerOrgs = run.filter.consumerOrgs;
  if (!consumerOrgs) {
    const limit = cursor.end === undefined ? run.pageSize : Math.min(run.pageSize, cursor.end - cursor.offset);
    const page = await apic.listAppsPage(target, cursor.offset, limit);
    const segmentEnded = page.nextOffset === undefined || (cursor.end !== undefined && page.nextOffset >= cursor.end);
    const next = segmentEnded ? finished(cursor) : { ...cursor, offset: page.nextOffset ?? cursor.offset };
    const rejected = page.rejected ?? [];
    return { apps: positioned(page.apps, rejected, cursor.offset), rejected, next };
  }
  const consumerOrg = consumerOrgs[cursor.consumerOrgIndex];
  const nextOrg = cursor.consumerOrgIndex + 1;
  const next = nextOrg >= consumerOrgs.length ? finished(cursor) : { ...cursor, offset: 0, consumerOrgIndex: nextOrg };
  if (consumerOrg === undefined) return { apps: [], rejected: [], next };
  // A filtered consumer org that one target lacks (PrepareRun checked it exists in another) has nothing to scan.
  const apps = (await unlessNotFound(apic.listConsumerOrgApps(target, consumerOrg))) ?? [];
  return { apps: positioned(apps, [], 0).slice(cursor.offset), rejected: [], next };
}


export interface ScanDeps {
  readonly apic: ApicPort;
  readonly reports: ReportStorePort;
}

/** Names the report part after where this scan started, so a retried scan overwrites its own part. */
function reportPartName(cursor: ScanCursor): string {
  return `scan/${cursor.targetIndex}/${cursor.offset}/${cursor.consumerOrgIndex}`;
}

/**
 * Reads APIC listings from the cursor on and returns the apps that need attention, decided from APIC data alone,
 * so a scan where nothing is due costs one APIC call per page and no other reads. The apps that need nothing go
 * straight into the run's inventory report; AssessApp reports the others with its full assessment.
 */
export async function scanPage(deps: ScanDeps, state: ScanState): Promise<ScanOutput> {
  const { apic } = deps;
  const { run } = state;
  let summary = tallyResults(state.summary, run, state.lastResults);
  const appFilter = run.filter.apps ? new Set(run.filter.apps) : undefined;
  // Apps named by an emergency rotation are assessed whatever their credentials' age.
  const emergencyApps = new Set((run.emergency?.credentials ?? []).map((entry) => `${entry.consumerOrg}/${entry.app}`));
  const now = new Date(run.now);
  const items: WorkItem[] = [];
  const quietRows: ReportRow[] = [];
  const rejected: Array<RejectedApp & CatalogTarget> = [];
  let cursor = state.cursor;
  let budget = PAYLOAD_BUDGET_BYTES - bytesOf({ run, cursor, summary });
  let pages = 0;
  let appsScanned = 0;
  let credentialsScanned = 0;

  while (!cursor.done && pages < MAX_PAGES_PER_SCAN) {
    const target = run.targets[cursor.targetIndex];
    if (!target) break;
    const batch = await readBatch(apic, run, target, cursor);
    pages += 1;
    let resumeAt: number | undefined;
    for (const { app, position } of batch.apps) {
      const item: WorkItem = { targetIndex: cursor.targetIndex, consumerOrg: app.consumerOrg.name, app: app.name };
      const wanted = !appFilter || appFilter.has(`${item.consumerOrg}/${item.app}`);
      const settings = resolvePolicy(run, item.consumerOrg);
      const appKey = `${target.providerOrg}/${target.catalog}/${item.consumerOrg}/${item.app}`;
      const due =
        wanted &&
        (needsAttention(app, now, settings) ||
          emergencyApps.has(`${item.consumerOrg}/${item.app}`) ||
          // Also an app left without credentials: a person may have deleted the one whose pair its secret hands out.
          (!isExempt(settings) && isVerificationDay(appKey, now, run.verifyEveryDays ?? 0)));
      const size = due ? 2 * bytesOf(item) + resultBytesFor(app.credentials.length) : 0;
      if (size > budget) {
        resumeAt = position;
        break;
      }
      budget -= size;
      if (due) items.push(item);
      if (wanted && !due) quietRows.push(...quietAppRows({ target, app, now, settings }));
      if (wanted) {
        appsScanned += 1;
        credentialsScanned += app.credentials.length;
      }
    }
    for (const entry of batch.rejected) {
      if (resumeAt === undefined || entry.position < resumeAt) rejected.push({ ...target, ...entry });
    }
    if (resumeAt !== undefined) {
      // Resume at this app next time: the listing is read again from here.
      cursor = { ...cursor, offset: resumeAt };
      break;
    }
    cursor = batch.next;
  }

  if (quietRows.length > 0) await deps.reports.putPart(run.runId, reportPartName(state.cursor), quietRows);
  summary = {
    ...summary,
    pages: summary.pages + pages,
    appsScanned: summary.appsScanned + appsScanned,
    credentialsScanned: summary.credentialsScanned + credentialsScanned,
    appsNeedingAttention: summary.appsNeedingAttention + items.length,
  };
  summary = recordRejectedApps(summary, run, rejected);
  return { run, cursor, summary, lastResults: [], items };
}
