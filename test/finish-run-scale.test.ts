/**
 * FinishRun at scale: 50,000 pending notices in the Secrets Manager emulator, sent through the real ledger adapter
 * by FinishRun invoked as the state machine loops it, on a fake clock (the tag-call limit waits in fake time, so the
 * test runs at full speed and every second of it can be counted).
 *
 * The adapter's calls reach the emulator's operations in process (`invoke`): over loopback HTTP the 150,000 calls
 * took about a minute per 5,000 notices on the shared test machine, ten minutes for the whole test.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsManagerSecretStore } from '../functions/adapters/secrets-manager/secret-store';
import type { Timer } from '../functions/adapters/rate-limiter';
import type { MailMessage } from '../functions/domain/ports';
import { pendingNoticeTag, sentNoticeTag, TAG_KEYS } from '../functions/domain/secrets/layout';
import { secretNameFor } from '../functions/domain/secrets/naming';
import { finishRun, type FinishRunOutput } from '../functions/domain/workflow/finish';
import { emptySummary } from '../functions/domain/workflow/summary';
import type { FinishRunInput } from '../functions/domain/workflow/types';
import { INVOCATION_SAFETY_MARGIN_MS, invocationDeadline } from '../functions/runtime/step-handler';
import { decoratePorts } from '../functions/runtime/ports';
import { STEPS } from '../functions/steps';
import { startSecretsManagerEmulator, type SecretsManagerEmulator } from '../tools/emulators/secrets-manager/emulator';
import { startLocalEnvironment } from '../tools/runner/local-environment';
import { acmeProdSeed } from './support/acme-seed';
import { runContext } from './support/run-context';

const PENDING = 50_000;
const OWNERS = 40;
/** Secrets Manager's quota for TagResource and UntagResource together, per account and Region. */
const TAG_QUOTA_PER_SECOND = 50;
const PREFIX = 'apic-rotator';
const FINISH_RUN_TIMEOUT_MS = STEPS['finish-run'].timeoutSeconds * 1000;

const RUN = runContext({ runId: 'scale-run', trigger: 'schedule' });

/** Time moves only when someone waits: the limiter's waits are the whole of the run's (fake) duration. */
function fakeTimer(start: number): Timer {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += Math.max(0, ms);
    },
  };
}

const locatorOf = (index: number) => ({ providerOrg: 'acme', catalog: 'prod', consumerOrg: `org-${index % 500}`, app: `app-${index}`, credential: 'key' });

let emulator: SecretsManagerEmulator;
/** The clock of the 50,000-notice run: the emulator measures its tag quota (FIDELITY SM-34) on it too. */
const timer = fakeTimer(Date.parse('2026-12-01T03:30:00Z'));

/** The SDK client's `send`, answered by the emulator in process; `onCall` sees each operation as it is sent. */
function inProcessClient(onCall: (operation: string) => void): SecretsManagerClient {
  const send = async (command: { readonly input: Record<string, unknown> }) => {
    const operation = command.constructor.name.replace(/Command$/, '');
    onCall(operation);
    return emulator.invoke(operation, command.input);
  };
  return { send } as unknown as SecretsManagerClient;
}

beforeAll(async () => {
  emulator = await startSecretsManagerEmulator({ recordRequests: false, randomSeed: 5, tagQuota: { clock: timer.now } });
  emulator.seed(
    Array.from({ length: PENDING }, (_, index) => ({
      name: secretNameFor(PREFIX, locatorOf(index)),
      tags: {
        [TAG_KEYS.noticePending]: 'yes',
        [pendingNoticeTag('warn')]: `cycle-${index} 2026-12-15`,
        [TAG_KEYS.ownerEmail]: `owner-${index % OWNERS}@example.com`,
      },
    })),
  );
}, 120_000);

afterAll(async () => {
  await emulator.close();
});

describe('FinishRun with 50,000 pending notices', () => {
  it('sends every notice once and marks it, never passes 50 tag calls in a second, keeps each invocation in its budget, and ends', async () => {
    const tagCallTimes: number[] = [];
    const client = inProcessClient((operation) => {
      if (operation === 'TagResource' || operation === 'UntagResource') tagCallTimes.push(timer.now());
    });
    const ledger = new SecretsManagerSecretStore(client, { prefix: PREFIX, tagTimer: timer });
    const mails: MailMessage[] = [];
    const sentNotices = new Map<string, number>();
    const deps = {
      ledger,
      mailer: { send: async (message: MailMessage) => void mails.push(message) },
      config: { notificationSender: 'rotator@example.com' },
      clock: { now: () => new Date(timer.now()) },
      log: (message: string, fields: Readonly<Record<string, string>>) => {
        if (message.startsWith('notice sent')) sentNotices.set(fields.app ?? '', (sentNotices.get(fields.app ?? '') ?? 0) + 1);
      },
    };

    // As the state machine runs it: StartNotices, then FinishRun until it says it is done, each invocation with the
    // Lambda's full timeout ahead of it.
    let input: FinishRunInput = { run: RUN, summary: emptySummary(RUN), segmentSummaries: [], delivery: { invocations: 0 } };
    const invocations: Array<{ started: number; ended: number; deadline: number }> = [];
    let output: FinishRunOutput;
    do {
      const started = timer.now();
      const deadline = invocationDeadline(started, FINISH_RUN_TIMEOUT_MS);
      output = await finishRun(deps, input, deadline);
      invocations.push({ started, ended: timer.now(), deadline });
      input = output;
    } while (!output.delivery.done && invocations.length < 100);

    expect(output.delivery.done).toBe(true);
    expect(output.summary.notices).toMatchObject({ sent: PENDING, failed: 0, undeliverable: 0 });
    expect(output.summary.notices.leftQueued).toBeUndefined();
    // Every notice in exactly one digest, and marked sent.
    expect(sentNotices.size).toBe(PENDING);
    expect([...sentNotices.values()].every((times) => times === 1)).toBe(true);
    const names = emulator.inspect.secretNames();
    const stillPending = names.filter((name) => emulator.inspect.tags(name)[TAG_KEYS.noticePending] !== undefined);
    const unmarked = names.filter((name) => emulator.inspect.tags(name)[sentNoticeTag('warn')] === undefined);
    expect([stillPending.length, unmarked.length]).toEqual([0, 0]);
    // No window of one second holds more than the quota's tag calls.
    let busiest = 0;
    for (let first = 0, last = 0; last < tagCallTimes.length; last++) {
      while ((tagCallTimes[first] ?? 0) <= (tagCallTimes[last] ?? 0) - 1000) first++;
      busiest = Math.max(busiest, last - first + 1);
    }
    expect(tagCallTimes).toHaveLength(2 * PENDING);
    expect(busiest).toBeLessThanOrEqual(TAG_QUOTA_PER_SECOND);
    // Each invocation ended before its deadline, that is at least the safety margin before the Lambda's timeout.
    const overruns = invocations.filter((invocation) => invocation.ended > invocation.deadline);
    expect(overruns).toEqual([]);
    expect(invocations.every((invocation) => invocation.deadline - invocation.started === FINISH_RUN_TIMEOUT_MS - INVOCATION_SAFETY_MARGIN_MS)).toBe(true);
    // Digests stay per recipient and batch: at most one per owner per invocation.
    expect(mails.length).toBeLessThanOrEqual(OWNERS * invocations.length);
    console.log(
      `50,000 notices: ${invocations.length} FinishRun invocations, ${mails.length} digests, busiest second ${busiest} tag calls, ` +
        `longest invocation ${Math.max(...invocations.map((i) => i.ended - i.started)) / 1000} s of ${(FINISH_RUN_TIMEOUT_MS - INVOCATION_SAFETY_MARGIN_MS) / 1000} s`,
    );
  }, 600_000);
});

describe('the FinishRun loop in the state machine', () => {
  it('invokes FinishRun once per batch until every queued notice is sent, then goes on to the report', async () => {
    const seed = acmeProdSeed({ bank: [{ name: 'pay', title: 'Pay', credentials: [{ name: 'key', title: 'Key', ageDays: 80 }] }] });
    const env = await startLocalEnvironment({ simulator: { seed, now: new Date(RUN.now), randomSeed: 3 }, randomSeed: 3 });
    try {
      const earlier = 250;
      env.secretsManager.seed(
        Array.from({ length: earlier }, (_, index) => ({
          name: secretNameFor(PREFIX, locatorOf(index)),
          tags: { [TAG_KEYS.noticePending]: 'yes', [pendingNoticeTag('warn')]: `cycle-${index} -`, [TAG_KEYS.ownerEmail]: 'owner@example.com' },
        })),
      );
      // A ledger that may mark nothing in time: every invocation takes its one page, the least it takes.
      decoratePorts((ports) => ({ ...ports, ledger: new Proxy(ports.ledger, { get: (target, key, receiver) => (key === 'marksPerSecond' ? 0 : Reflect.get(target, key, receiver)) }) }));
      const states: string[] = [];
      const metrics: Array<Record<string, unknown>> = [];
      const result = await env.run({
        now: new Date(RUN.now),
        executionName: 'batches',
        onStateEntered: (state) => states.push(state),
        onLogLine: (line) => {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          if ('_aws' in parsed) metrics.push(parsed);
        },
      });
      expect(result.status, result.error).toBe('SUCCEEDED');
      // 250 earlier notices and the warning of bank/pay: three pages of 100.
      expect(result.summary?.notices).toMatchObject({ sent: earlier + 1, failed: 0 });
      expect(states.filter((state) => state === 'FinishRun')).toHaveLength(3);
      expect(states.slice(states.indexOf('StartNotices'))).toEqual([
        'StartNotices',
        ...['FinishRun', 'NoticesLeft?', 'FinishRun', 'NoticesLeft?', 'FinishRun', 'NoticesLeft?'],
        'BuildReport',
        'ReleaseLease',
        'RunFailed?',
        'RunDone',
      ]);
      // Published once per run, not once per invocation.
      expect(metrics.filter((line) => 'NoticesSent' in line).map((line) => line.NoticesSent)).toEqual([earlier + 1]);
      expect(metrics.filter((line) => 'CredentialsScanned' in line).map((line) => line.CredentialsScanned)).toEqual([1]);
      const pending = env.secretsManager.inspect.secretNames().filter((name) => env.secretsManager.inspect.tags(name)[TAG_KEYS.noticePending] !== undefined);
      expect(pending).toEqual([]);
    } finally {
      decoratePorts(undefined);
      await env.close();
    }
  });
});
