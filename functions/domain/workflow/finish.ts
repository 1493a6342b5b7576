import { LEASE_LOST_ERROR } from '../error-names';
import { groupDigests, renderDigest } from '../notices';
import type { MailerPort, NoticeLedgerPort, PendingNoticeEntry } from '../ports';
import { MAX_LISTED_UNDELIVERABLE, mergeSegmentResults } from './summary';
import type { FinishRunInput, RunContext, RunSummary, UndeliverableNotice } from './types';

export interface FinishDeps {
  readonly ledger: NoticeLedgerPort;
  readonly mailer: MailerPort;
  readonly config: { readonly notificationSender: string; readonly operatorEmail?: string };
  /** Where FinishRun writes one INFO line per notice sent or undeliverable (the domain does no logging itself). */
  readonly log?: NoticeLogPort;
}

/** One line per notice; the fields are public (names, kinds, audience), never a secret. */
export type NoticeLogPort = (message: string, fields: Readonly<Record<string, string>>) => void;

/** Why an owner-less notice reaches nobody (the only reason `groupDigests` leaves one undelivered). */
export const NO_RECIPIENT_REASON = 'no owner e-mail and no operatorEmail';

function noticeFields(entry: PendingNoticeEntry, kind: string): Record<string, string> {
  const { providerOrg, catalog, consumerOrg, app, credential } = entry.locator;
  return { providerOrg, catalog, consumerOrg, app, credential, kind };
}

/**
 * Sends one digest per recipient for every queued notice, the ones earlier runs could not deliver included.
 * A failed mail never fails the run: its notices stay queued and the next run sends them.
 */
async function sendDigests(deps: FinishDeps): Promise<RunSummary['notices']> {
  const entries: PendingNoticeEntry[] = [];
  for await (const entry of deps.ledger.listPendingNotices()) entries.push(entry);
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
  for (const [secretArn, notices] of delivered) await deps.ledger.markNoticesSent(secretArn, [...notices.values()]);
  const undeliverableList: UndeliverableNotice[] = [];
  for (const entry of undeliverable) {
    for (const notice of entry.notices) {
      const fields = noticeFields(entry, notice.kind);
      deps.log?.(`notice undeliverable: ${notice.kind}`, { ...fields, reason: NO_RECIPIENT_REASON });
      const { consumerOrg, app, credential } = entry.locator;
      undeliverableList.push({ consumerOrg, app, credential, kind: notice.kind, reason: NO_RECIPIENT_REASON });
    }
  }
  const listed = undeliverableList.slice(0, MAX_LISTED_UNDELIVERABLE);
  return {
    sent,
    failed,
    undeliverable: undeliverableList.length,
    ...(undeliverableList.length > 0 && { undeliverableNotices: listed, undeliverableNotListed: undeliverableList.length - listed.length }),
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

/**
 * The FinishRun step: the segments' summaries merged, and the notices sent. It returns the whole state for the rest
 * of the run, leaving the segments' summaries behind so the payload stays small.
 */
export async function finishRun(deps: FinishDeps, input: FinishRunInput): Promise<{ run: RunContext; summary: RunSummary }> {
  // A segment catches its own failures so the others go on, but a lost lease must still stop the whole run.
  if (leaseLostInSegment(input.segmentSummaries)) throw new SegmentLeaseLostError();
  const merged = mergeSegmentResults(input.summary, input.run, input.segmentSummaries);
  const summary = input.run.dryRun ? merged : { ...merged, notices: await sendDigests(deps) };
  return { run: input.run, summary };
}
