import { describe, expect, it } from 'vitest';
import type { MailMessage, NoticeLedgerPort, PendingNoticeEntry } from '../functions/domain/ports';
import { finishRun } from '../functions/domain/workflow/finish';
import { emptySummary } from '../functions/domain/workflow/summary';
import { runContext } from './support/run-context';

/** The first invocation; the deadline is far off, so one invocation sends everything. */
const START = { invocations: 0 };
const DEADLINE = 15 * 60 * 1000;

const RUN = runContext();

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
    async pendingNoticePage() {
      return { entries: pending };
    },
    marksPerSecond: 20,
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
  const deps = { ledger, mailer, clock: { now: () => new Date(0) }, config: { notificationSender: 'rotator@example.com', operatorEmail: 'ops@example.com' } };
  return { deps, marked, mailed };
}

describe('finishRun: notices that travel to owner and operator', () => {
  it('keeps an action-needed notice queued when the operator copy fails, though the owner got it', async () => {
    const clash = entry('clash', [
      { kind: 'replacement-ready', cycleId: 'c1' },
      { kind: 'action-needed', cycleId: 'c1' },
    ]);
    const { deps, marked, mailed } = world([clash], ['ops@example.com']);
    const { summary } = await finishRun(deps, { run: RUN, summary: emptySummary(RUN), segmentSummaries: [], delivery: START }, DEADLINE);
    expect(mailed.map((mail) => mail.to)).toEqual(['owner@example.com']);
    expect(marked).toEqual([{ secretArn: clash.secretArn, notices: [{ kind: 'replacement-ready', cycleId: 'c1' }] }]);
    expect(summary.notices).toEqual({ sent: 2, failed: 1, undeliverable: 0 });
  });

  it('marks an action-needed notice sent once both digests went out', async () => {
    const clash = entry('clash', [{ kind: 'action-needed', cycleId: 'c1' }]);
    const { deps, marked, mailed } = world([clash], []);
    await finishRun(deps, { run: RUN, summary: emptySummary(RUN), segmentSummaries: [], delivery: START }, DEADLINE);
    expect(mailed.map((mail) => mail.to).sort()).toEqual(['ops@example.com', 'owner@example.com']);
    expect(marked).toEqual([{ secretArn: clash.secretArn, notices: [{ kind: 'action-needed', cycleId: 'c1' }] }]);
  });
});

describe('finishRun: notice log lines and undeliverable notices', () => {
  it('logs one line per notice sent, naming audience, consumer org, app, credential and kind', async () => {
    const ready = entry('shop', [{ kind: 'replacement-ready', cycleId: 'c1' }]);
    const { deps } = world([ready], []);
    const lines: Array<{ message: string; fields: Readonly<Record<string, string>> }> = [];
    await finishRun({ ...deps, log: (message, fields) => lines.push({ message, fields }) }, { run: RUN, summary: emptySummary(RUN), segmentSummaries: [], delivery: START }, DEADLINE);
    expect(lines).toEqual([
      {
        message: 'notice sent: replacement-ready',
        fields: { audience: 'owner', providerOrg: 'acme', catalog: 'prod', consumerOrg: 'bank', app: 'shop', credential: 'main', kind: 'replacement-ready' },
      },
    ]);
  });

  it('names the consumer org and the reason of every undeliverable notice, listing at most 50', async () => {
    const ownerless = Array.from({ length: 52 }, (_, index) => ({ ...entry(`app${index}`, [{ kind: 'warn' as const, cycleId: `c${index}` }]), ownerEmail: '' }));
    const { deps, mailed } = world(ownerless, []);
    const lines: string[] = [];
    const noOperator = { ...deps, config: { notificationSender: 'rotator@example.com' }, log: (message: string, fields: Readonly<Record<string, string>>) => lines.push(`${message} ${JSON.stringify(fields)}`) };
    const { summary } = await finishRun(noOperator, { run: RUN, summary: emptySummary(RUN), segmentSummaries: [], delivery: START }, DEADLINE);
    expect(mailed).toEqual([]);
    expect(summary.notices.undeliverable).toBe(52);
    expect(summary.notices.undeliverableNotices).toHaveLength(50);
    expect(summary.notices.undeliverableNotListed).toBe(2);
    expect(summary.notices.undeliverableNotices?.[0]).toEqual({
      consumerOrg: 'bank',
      app: 'app0',
      credential: 'main',
      kind: 'warn',
      reason: 'no owner e-mail and no operatorEmail',
    });
    expect(lines).toHaveLength(52);
    expect(lines[0]).toContain('notice undeliverable: warn');
    expect(lines[0]).toContain('"consumerOrg":"bank"');
    expect(lines[0]).toContain('"reason":"no owner e-mail and no operatorEmail"');
  });
});

describe('finishRun: segments that failed', () => {
  const failedAt = (error: string) => ({
    failedSegment: { cursor: { targetIndex: 0, offset: 200, end: 300, consumerOrgIndex: 0, done: false }, error },
    summary: { ...emptySummary(RUN), appsScanned: 200 },
  });

  it('counts a caught and a tolerated segment failure, names where the caught one stopped, and keeps its apps', async () => {
    const { deps } = world([], []);
    const done = { ...emptySummary(RUN), appsScanned: 50 };
    const segmentSummaries = [done, failedAt('ApicUnavailableError'), { Error: 'States.Timeout' }];
    const { summary } = await finishRun(deps, { run: RUN, summary: emptySummary(RUN), segmentSummaries, delivery: START }, DEADLINE);
    expect(summary.appsScanned).toBe(250);
    expect(summary.segmentsFailed).toBe(2);
    expect(summary.failedSegments).toEqual([
      { providerOrg: 'acme', catalog: 'prod', stoppedAt: 200, end: 300, error: 'ApicUnavailableError' },
      { error: 'States.Timeout' },
    ]);
  });

  it('stops the run without sending anything when a segment found the run lease taken over', async () => {
    const { deps, mailed, marked } = world([entry('pay', [{ kind: 'warn', cycleId: 'c1' }])], []);
    await expect(finishRun(deps, { run: RUN, summary: emptySummary(RUN), segmentSummaries: [failedAt('LeaseLostError')], delivery: START }, DEADLINE)).rejects.toMatchObject({
      name: 'LeaseLostError',
    });
    expect([mailed, marked]).toEqual([[], []]);
  });
});
