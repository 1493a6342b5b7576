import { LEASE_LOST_ERROR } from '../error-names';
import { groupDigests, renderDigest } from '../notices';
import { mapWithConcurrency } from '../concurrency';
import { MAX_PENDING_NOTICE_PAGE, type Clock, type MailerPort, type NoticeLedgerPort, type PendingNoticeEntry } from '../ports';
import { MAX_LISTED_UNDELIVERABLE, mergeSegmentResults } from './summary';
import type { FinishRunInput, NoticeDelivery, RunContext, RunSummary, UndeliverableNotice } from './types';

export interface FinishDeps {
  readonly ledger: NoticeLedgerPort;
  readonly mailer: MailerPort;
  readonly config: { readonly notificationSender: string; readonly operatorEmail?: string };
  /** The real time, against which an invocation sizes its batch to its deadline. */
  readonly clock: Clock;
  /** Where FinishRun writes one INFO line per notice sent or undeliverable (the domain does no logging itself). */
  readonly log?: NoticeLogPort;
}

/** One line per notice; the fields are public (names, kinds, audience), never a secret. */
export type NoticeLogPort = (message: string, fields: Readonly<Record<string, string>>) => void;

/** Why an owner-less notice reaches nobody (the only reason `groupDigests` leaves one undelivered). */
export const NO_RECIPIENT_REASON = 'no owner e-mail and no operatorEmail';

/** The most credentials one invocation takes: bounds its memory and the size of one recipient's digest. */
export const MAX_NOTICES_PER_INVOCATION = 5_000;
/**
 * FinishRun invocations one run takes at most: bounds the history the FinishRun loop adds (test/quota.test.ts). Far
 * above what 1,000,000 pending notices need; past it the rest stay queued for the next run.
 */
export const MAX_NOTICE_INVOCATIONS = 500;
/** What an invocation keeps of its time for reading the pages and sending the digests; the rest is for marking. */
export const DELIVERY_RESERVE_MS = 30_000;
/** The share of the ledger's marking rate a batch is sized for, leaving room for slower answers. */
const MARK_RATE_SHARE = 0.8;
/** Credentials marked at once: enough to reach the ledger's rate through network latency; the ledger paces them. */
const MARK_CONCURRENCY = 8;

function noticeFields(entry: PendingNoticeEntry, kind: string): Record<string, string> {
  const { providerOrg, catalog, consumerOrg, app, credential } = entry.locator;
  return { providerOrg, catalog, consumerOrg, app, credential, kind };
}

/**
 * Credentials one invocation can take by `deadline`: marking them at the ledger's rate must fit the time left after
 * the reserve. At least one page, so every invocation makes progress.
 */
export function batchCapacity(deps: { readonly ledger: Pick<NoticeLedgerPort, 'marksPerSecond'>; readonly clock: Clock }, deadline: number): number {
  const markingMs = deadline - deps.clock.now().getTime() - DELIVERY_RESERVE_MS;
  const byTime = Math.floor((markingMs / 1000) * deps.ledger.marksPerSecond * MARK_RATE_SHARE);
  return Math.max(MAX_PENDING_NOTICE_PAGE, Math.min(MAX_NOTICES_PER_INVOCATION, byTime));
}

/** Whole pages from `pageToken` on, as many as `capacity` holds. */
async function readBatch(ledger: NoticeLedgerPort, pageToken: string | undefined, capacity: number) {
  const entries: PendingNoticeEntry[] = [];
  let token = pageToken;
  do {
    const page = await ledger.pendingNoticePage(token);
    entries.push(...page.entries);
    token = page.nextToken;
  } while (token !== undefined && entries.length + MAX_PENDING_NOTICE_PAGE <= capacity);
  return { entries, nextToken: token };
}

/** What one batch of notices came to. */
interface BatchOutcome {
  readonly sent: number;
  readonly failed: number;
  readonly undeliverable: readonly UndeliverableNotice[];
}

/**
 * Sends one digest per recipient for the batch's notices, the ones earlier runs could not deliver included, then
 * marks the delivered ones sent. A failed mail never fails the run: its notices stay queued and the next run sends them.
 */
async function deliverBatch(deps: FinishDeps, entries: readonly PendingNoticeEntry[]): Promise<BatchOutcome> {
  const { digests, undeliverable } = groupDigests(entries, deps.config.operatorEmail);
  // A notice may travel in two digests (owner and operator): it is marked sent only when no digest carrying it failed.
  const undelivered = new Set<string>();
  let sent = 0;
  let failed = 0;
  for (const digest of digests) {
    try {
      await deps.mailer.send(renderDigest({ ...digest.content, sender: deps.config.notificationSender }));
      sent += digest.content.items.length;
      for (const entry of digest.entries) {
        for (const notice of entry.notices) {
          deps.log?.(`notice sent: ${notice.kind}`, { audience: digest.content.audience ?? 'owner', ...noticeFields(entry, notice.kind) });
        }
      }
    } catch {
      failed += digest.content.items.length;
      for (const entry of digest.entries) for (const notice of entry.notices) undelivered.add(noticeKey(entry.secretArn, notice));
    }
  }
  const delivered = new Map<string, Map<string, LedgerNotice>>();
  for (const entry of digests.flatMap((digest) => digest.entries)) {
    for (const notice of entry.notices) {
      const key = noticeKey(entry.secretArn, notice);
      if (undelivered.has(key)) continue;
      const ofSecret = delivered.get(entry.secretArn) ?? new Map<string, LedgerNotice>();
      ofSecret.set(key, { kind: notice.kind, cycleId: notice.cycleId });
      delivered.set(entry.secretArn, ofSecret);
    }
  }
  await mapWithConcurrency([...delivered], MARK_CONCURRENCY, ([secretArn, notices]) => deps.ledger.markNoticesSent(secretArn, [...notices.values()]));
  const undeliverableList: UndeliverableNotice[] = [];
  for (const entry of undeliverable) {
    for (const notice of entry.notices) {
      const fields = noticeFields(entry, notice.kind);
      deps.log?.(`notice undeliverable: ${notice.kind}`, { ...fields, reason: NO_RECIPIENT_REASON });
      const { consumerOrg, app, credential } = entry.locator;
      undeliverableList.push({ consumerOrg, app, credential, kind: notice.kind, reason: NO_RECIPIENT_REASON });
    }
  }
  return { sent, failed, undeliverable: undeliverableList };
}

/** The run's notice counts with one more batch added; the undeliverable ones listed up to `MAX_LISTED_UNDELIVERABLE`. */
function withBatch(notices: RunSummary['notices'], batch: BatchOutcome): RunSummary['notices'] {
  const undeliverable = notices.undeliverable + batch.undeliverable.length;
  const listed = [...(notices.undeliverableNotices ?? []), ...batch.undeliverable].slice(0, MAX_LISTED_UNDELIVERABLE);
  return {
    ...notices,
    sent: notices.sent + batch.sent,
    failed: notices.failed + batch.failed,
    undeliverable,
    ...(undeliverable > 0 && { undeliverableNotices: listed, undeliverableNotListed: undeliverable - listed.length }),
  };
}

type LedgerNotice = Pick<PendingNoticeEntry['notices'][number], 'kind' | 'cycleId'>;

function noticeKey(secretArn: string, notice: LedgerNotice): string {
  return `${secretArn}\n${notice.kind}\n${notice.cycleId}`;
}

/** A segment found the run lease taken over: the run stops here, before it sends anything, as the segment would have. */
export class SegmentLeaseLostError extends Error {
  constructor() {
    super('a segment of the run found the run lease taken over or removed; the run stops without sending notices');
    this.name = LEASE_LOST_ERROR;
  }
}

function leaseLostInSegment(results: FinishRunInput['segmentSummaries']): boolean {
  return results.some((result) => ('failedSegment' in result ? result.failedSegment.error : 'Error' in result ? result.Error : undefined) === LEASE_LOST_ERROR);
}

/** FinishRun's output: the state for the rest of the run, and where the next invocation goes on sending. */
export interface FinishRunOutput {
  readonly run: RunContext;
  readonly summary: RunSummary;
  /** Merged into the summary by the first invocation: left empty so the payload stays small and nothing merges twice. */
  readonly segmentSummaries: readonly [];
  readonly delivery: NoticeDelivery;
}

/**
 * The FinishRun step, invoked until `delivery.done`: the first invocation merges the segments' summaries; each sends
 * the digests of one batch of queued notices, as many as it can mark sent by `deadline` without passing the ledger's
 * write rate, and says where the next one goes on.
 */
export async function finishRun(deps: FinishDeps, input: FinishRunInput, deadline: number): Promise<FinishRunOutput> {
  // A segment catches its own failures so the others go on, but a lost lease must still stop the whole run.
  if (leaseLostInSegment(input.segmentSummaries)) throw new SegmentLeaseLostError();
  const summary = mergeSegmentResults(input.summary, input.run, input.segmentSummaries);
  const invocations = input.delivery.invocations + 1;
  if (input.run.dryRun) return { run: input.run, summary, segmentSummaries: [], delivery: { invocations, done: true } };
  const batch = await readBatch(deps.ledger, input.delivery.pageToken, batchCapacity(deps, deadline));
  const notices = withBatch(summary.notices, await deliverBatch(deps, batch.entries));
  const capped = batch.nextToken !== undefined && invocations >= MAX_NOTICE_INVOCATIONS;
  const done = batch.nextToken === undefined || capped;
  return {
    run: input.run,
    summary: { ...summary, notices: capped ? { ...notices, leftQueued: true } : notices },
    segmentSummaries: [],
    delivery: { invocations, done, ...(!done && { pageToken: batch.nextToken }) },
  };
}
