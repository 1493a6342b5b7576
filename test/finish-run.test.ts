import { describe, expect, it } from 'vitest';
import type { MailMessage, NoticeLedgerPort, PendingNoticeEntry } from '../functions/domain/ports';
import { finishRun } from '../functions/domain/workflow/finish';
import { emptySummary } from '../functions/domain/workflow/summary';
import type { RunContext } from '../functions/domain/workflow/types';

const RUN: RunContext = {
  runId: 'run-1',
  now: '2026-12-01T03:00:00.000Z',
  dryRun: false,
  trigger: 'manual',
  targets: [{ providerOrg: 'acme', catalog: 'prod' }],
  policy: { expiryDays: 90, deletionDays: 100, warnDays: 14, replacementSuffix: '_new' },
  consumerOrgOverrides: {},
  filter: {},
  pageSize: 100,
};

function entry(app: string, notices: PendingNoticeEntry['notices']): PendingNoticeEntry {
  return {
    locator: { providerOrg: 'acme', catalog: 'prod', consumerOrg: 'bank', app, credential: 'main' },
    secretName: `apic-rotator/acme/prod/bank/${app}/main`,
    secretArn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:apic-rotator/acme/prod/bank/${app}/main-AbC123`,
    ownerEmail: 'owner@example.com',
    notices,
  };
}

/** A ledger holding `pending` and recording what is marked sent; a mailer failing for the given recipients. */
function world(pending: PendingNoticeEntry[], failingRecipients: readonly string[]) {
  const marked: Array<{ secretArn: string; notices: ReadonlyArray<{ kind: string; cycleId: string }> }> = [];
  const mailed: MailMessage[] = [];
  const ledger: NoticeLedgerPort = {
    async queueNotice() {
      throw new Error('FinishRun queues nothing');
    },
    async *listPendingNotices() {
      yield* pending;
    },
    async markNoticesSent(secretArn: string, notices: ReadonlyArray<{ kind: string; cycleId: string }>) {
      marked.push({ secretArn, notices });
    },
  };
  const mailer = {
    async send(message: MailMessage) {
      if (failingRecipients.includes(message.to)) throw new Error('SES refused');
      mailed.push(message);
    },
  };
  const deps = { ledger, mailer, config: { notificationSender: 'rotator@example.com', operatorEmail: 'ops@example.com' } };
  return { deps, marked, mailed };
}

describe('finishRun: notices that travel to owner and operator', () => {
  it('keeps an action-needed notice queued when the operator copy fails, though the owner got it', async () => {
    const clash = entry('clash', [
      { kind: 'replacement-ready', cycleId: 'c1' },
      { kind: 'action-needed', cycleId: 'c1' },
    ]);
    const { deps, marked, mailed } = world([clash], ['ops@example.com']);
    const { summary } = await finishRun(deps, { run: RUN, summary: emptySummary(RUN), segmentSummaries: [] });
    expect(mailed.map((mail) => mail.to)).toEqual(['owner@example.com']);
    expect(marked).toEqual([{ secretArn: clash.secretArn, notices: [{ kind: 'replacement-ready', cycleId: 'c1' }] }]);
    expect(summary.notices).toEqual({ sent: 2, failed: 1, undeliverable: 0 });
  });

  it('marks an action-needed notice sent once both digests went out', async () => {
    const clash = entry('clash', [{ kind: 'action-needed', cycleId: 'c1' }]);
    const { deps, marked, mailed } = world([clash], []);
    await finishRun(deps, { run: RUN, summary: emptySummary(RUN), segmentSummaries: [] });
    expect(mailed.map((mail) => mail.to).sort()).toEqual(['ops@example.com', 'owner@example.com']);
    expect(marked).toEqual([{ secretArn: clash.secretArn, notices: [{ kind: 'action-needed', cycleId: 'c1' }] }]);
  });
});
