import { unlessNotFound } from '../apic/lookups';
import { parseExecutionInput, type RotatorConfig } from '../config';
import type { ApicPort } from '../ports';
import { emptySummary, failuresListedPerSegment } from './summary';
import type { PreparedRun, PrepareRunEvent, RunContext, ScanCursor } from './types';

/**
 * Apps per segment. Each segment is scanned and rotated by its own child execution, so neither the run's history nor
 * one segment's grows past Step Functions' 25,000 events: the run holds one entry per segment, a segment one loop
 * iteration per page of work.
 */
export const SEGMENT_APPS = 25_000;
/** Segments of a run at most: their summaries come back in one payload of the run. Larger catalogs get larger segments. */
export const MAX_SEGMENTS = 16;

export class UnknownConsumerOrgError extends Error {
  constructor(names: readonly string[]) {
    super(
      `consumerOrgs filter names ${names.map((name) => `"${name}"`).join(', ')}, which no target catalog has; ` +
        'check the spelling or remove them from the execution input',
    );
    this.name = 'UnknownConsumerOrgError';
  }
}

export class UnknownEmergencyCredentialError extends Error {
  constructor(problems: readonly string[]) {
    super(`rotateNow names credentials that no target catalog has: ${problems.join('; ')}; check the spelling or remove them from the execution input`);
    this.name = 'UnknownEmergencyCredentialError';
  }
}

/**
 * An emergency rotation must name credentials that exist, or it would silently rotate nothing. A credential the
 * rotator made as a replacement is found under its own name; the policy replaces originals only (see Ownership).
 */
async function assertEmergencyCredentialsExist(apic: ApicPort, run: RunContext): Promise<void> {
  const problems: string[] = [];
  for (const entry of run.emergency?.credentials ?? []) {
    const label = `"${entry.consumerOrg}/${entry.app}/${entry.credential}"`;
    let appFound = false;
    let credentialFound = false;
    for (const target of run.targets) {
      const app = await unlessNotFound(apic.getApp({ ...target, consumerOrg: entry.consumerOrg, app: entry.app }));
      if (!app) continue;
      appFound = true;
      if (app.credentials.some((credential) => credential.name === entry.credential)) credentialFound = true;
    }
    if (!appFound) problems.push(`${label}: no app ${entry.app} in consumer org ${entry.consumerOrg}`);
    else if (!credentialFound) problems.push(`${label}: app ${entry.consumerOrg}/${entry.app} has no credential named ${entry.credential}`);
  }
  if (problems.length > 0) throw new UnknownEmergencyCredentialError(problems);
}

async function existsIn(apic: ApicPort, run: RunContext, consumerOrg: string): Promise<boolean> {
  for (const target of run.targets) {
    if (await unlessNotFound(apic.getConsumerOrg(target, consumerOrg))) return true;
  }
  return false;
}

/** A filtered run must name only consumer orgs that exist, or it would silently rotate nothing. */
async function assertConsumerOrgsExist(apic: ApicPort, run: RunContext): Promise<void> {
  const unknown: string[] = [];
  for (const name of run.filter.consumerOrgs ?? []) if (!(await existsIn(apic, run, name))) unknown.push(name);
  if (unknown.length > 0) throw new UnknownConsumerOrgError(unknown);
}

/**
 * Splits every target's app listing into offset ranges. The last range of a target is open-ended, so apps added
 * while the run goes on are still scanned. A run filtered to consumer orgs reads them one by one: one segment a target.
 */
async function planSegments(apic: ApicPort, run: RunContext): Promise<ScanCursor[]> {
  const start = (targetIndex: number, offset: number, end?: number): ScanCursor => ({
    targetIndex,
    offset,
    consumerOrgIndex: 0,
    done: false,
    ...(end === undefined ? {} : { end }),
  });
  if (run.filter.consumerOrgs) return run.targets.map((_, targetIndex) => start(targetIndex, 0));
  const totals = await Promise.all(run.targets.map(async (target) => (await apic.listAppsPage(target, 0, 1)).totalResults));
  const allApps = totals.reduce((sum, total) => sum + total, 0);
  const segmentApps = Math.max(SEGMENT_APPS, Math.ceil(allApps / MAX_SEGMENTS));
  return totals.flatMap((total, targetIndex) => {
    const count = Math.max(1, Math.ceil(total / segmentApps));
    return Array.from({ length: count }, (_, index) =>
      start(targetIndex, index * segmentApps, index === count - 1 ? undefined : (index + 1) * segmentApps),
    );
  });
}

/**
 * The PrepareRun step: validates the execution input against the deployed config, fixes the run's clock, policy and
 * scope once, so every later step decides from the same facts, and plans the segments the run is scanned in.
 */
export async function prepareRun(
  deps: { readonly config: RotatorConfig; readonly apic: ApicPort; readonly allowClockOverride: boolean },
  event: PrepareRunEvent,
): Promise<PreparedRun> {
  const { config } = deps;
  const resolved = parseExecutionInput(event.input, config, {
    allowClockOverride: deps.allowClockOverride,
    executionStartTime: event.executionStartTime,
  });
  const run: RunContext = { ...resolved, runId: event.executionName, pageSize: config.pageSize, verifyEveryDays: config.verifyEveryDays };
  await assertConsumerOrgsExist(deps.apic, run);
  await assertEmergencyCredentialsExist(deps.apic, run);
  const segments = await planSegments(deps.apic, run);
  const sized: RunContext = { ...run, failuresPerSegment: failuresListedPerSegment(segments.length) };
  return { run: sized, segments, summary: emptySummary(sized) };
}
