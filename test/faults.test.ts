/**
 * The real workflow, run locally against the APIC simulator and the AWS emulators, over a rotation timeline with
 * faults injected on every side. Whatever fails, no secret is lost, no app is left without a usable credential,
 * no credential is duplicated, the summary names what was left behind, and once the faults stop the world
 * converges to the clean end state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApicClient } from '../functions/core/apic/client';
import { decoratePorts } from '../functions/runtime/ports';
import type { RotationWorld } from '../local/crash-plan';
import { cleanReference, runFaultTimeline, type FaultPlan, type FaultTimeline, type Reference } from './support/faults-timeline';

const CREATE = 'POST /apps/:porg/:catalog/:corg/:app/credentials';
const UPDATE = 'PATCH /apps/:porg/:catalog/:corg/:app/credentials/:cred';
const DELETE = 'DELETE /apps/:porg/:catalog/:corg/:app/credentials/:cred';
const LIST_APPS = 'GET /catalogs/:porg/:catalog/apps';
const GET_APP = 'GET /apps/:porg/:catalog/:corg/:app';

/** Faults injected per kind, for the closing figures. */
const injected: Record<string, number> = {};
const count = (kind: string, n: number) => {
  injected[kind] = (injected[kind] ?? 0) + n;
};
const secretHits: string[] = [];

let reference: Reference;

beforeAll(async () => {
  reference = await cleanReference();
}, 60_000);

afterAll(() => {
  console.log(`faults injected: ${JSON.stringify(injected)}`);
});

async function survives(plan: FaultPlan): Promise<FaultTimeline> {
  const timeline = await runFaultTimeline(reference, plan);
  secretHits.push(...timeline.secretHits);
  expect(timeline.end).toEqual(reference.end);
  return timeline;
}

function daysMatchingReference(timeline: FaultTimeline): number[] {
  return timeline.runs.filter((run) => run.fellBehind.length === 0 && run.result.summary?.appsFailed === 0).map((run) => run.day);
}

describe('a rotation timeline under faults', () => {
  it('has a clean reference that rotates every credential and restores the names', () => {
    expect(Object.values(reference.end.unrotated).every((n) => n === 0)).toBe(true);
    expect(reference.end.apps['bank/mobile']).toEqual(['key-a | Title of key-a', 'key-b | Title of key-b']);
    expect(reference.end.withoutAcceptedCurrent).toEqual([]);
    // legacy has no owner e-mail and the config no operator: its notices stay queued, undeliverable.
    expect(reference.end.unsentNotices).toEqual(['apic-rotator/acme/prod/legacy/sync/key-l']);
  });

  it('survives APIC answering 503 to 10 % of calls', async () => {
    const timeline = await survives({ before: (world) => world.apic.faults.set({ errorRate: 0.1 }) });
    count('apic 503 (10 % of calls)', Math.round(timeline.apicCalls * 0.1));
  });

  it('honours Retry-After through 429 bursts and finishes every app on time', async () => {
    const plan: FaultPlan = {
      before: (world) => {
        for (const route of [LIST_APPS, GET_APP, CREATE, UPDATE, DELETE]) {
          world.apic.faults.throttleNext({ route }, { count: 2, retryAfterSeconds: 1 });
          count('apic 429 with Retry-After', 2);
        }
      },
    };
    const timeline = await survives(plan);
    expect(daysMatchingReference(timeline)).toEqual([0, 10, 11, 21, 22]);
  });

  it('survives slow answers and request timeouts (a 250 ms client timeout against up to 400 ms of latency)', async () => {
    let timedOutClient: ApicClient | undefined;
    const plan: FaultPlan = {
      before: (world) => {
        world.apic.faults.set({ latencyMs: 0, latencyJitterMs: 400 });
        timedOutClient ??= impatientClient(world);
        const client = timedOutClient;
        decoratePorts((ports) => ({ ...ports, apic: client }));
      },
      stop: () => decoratePorts(undefined),
    };
    const timeline = await survives(plan);
    count('apic request timeouts (≈ 37 % of calls)', Math.round(timeline.apicCalls * 0.375));
  });

  it('refreshes an expired token mid-run and finishes every app on time', async () => {
    let expiries = 0;
    const plan: FaultPlan = {
      // Once per run, when the first write step starts: apps running in parallel all hold the expired token.
      runOptions: (world) => {
        let expired = false;
        return {
          onStateEntered: (state) => {
            if (expired || !['CreateReplacement', 'DeleteOriginal'].includes(state)) return;
            world.apic.faults.forceTokenExpiry();
            expired = true;
            expiries += 1;
          },
        };
      },
    };
    const timeline = await survives(plan);
    expect(expiries).toBe(2);
    count('token expiry mid-run', expiries);
    expect(daysMatchingReference(timeline)).toEqual([0, 10, 11, 21, 22]);
  });

  it('survives connections dropped after APIC committed a POST, PATCH or DELETE (and before)', async () => {
    const plan: FaultPlan = {
      before: (world, day) => {
        const routes = day === 0 ? [CREATE] : [DELETE, UPDATE];
        for (const route of routes) {
          world.apic.faults.dropNext({ route }, { count: 2, afterCommit: true });
          world.apic.faults.dropNext({ route }, { count: 1, afterCommit: false });
          count('apic connection dropped after commit', 2);
          count('apic connection dropped before commit', 1);
        }
      },
    };
    await survives(plan);
  });

  it('survives Secrets Manager throttling and failed writes, naming the apps it could not finish', async () => {
    const plan: FaultPlan = {
      before: (world, day) => {
        if (day !== 0) return;
        // A few throttles are absorbed by the SDK's retries. Promotion fails for every app of the day (three SDK
        // attempts each, five apps): the replacements exist in APIC with their secrets staged, not current.
        world.secretsManager.faults.throttleNext('PutSecretValue', 2);
        world.secretsManager.faults.failNext('UpdateSecretVersionStage', 15);
        count('secrets manager throttling', 2);
        count('secrets manager failed write', 15);
      },
    };
    const timeline = await survives(plan);
    const day0 = timeline.runs[0]?.result.summary;
    expect(day0?.failures.map((f) => `${f.consumerOrg}/${f.app}`).sort()).toEqual(['bank/mobile', 'bank/web', 'legacy/sync', 'shop/store']);
    for (const failure of day0?.failures ?? []) expect(failure.cause).toMatch(/Secrets Manager UpdateSecretVersionStage failed for apic-rotator\/acme\/prod\//);
  });

  it('retries a Secrets Manager throttling burst longer than the SDK retries (the workflow Retry names SecretStoreThrottledError)', async () => {
    const plan: FaultPlan = {
      before: (world, day) => {
        if (day !== 0) return;
        // More than the SDK's three attempts for each of the day's concurrent stagings.
        world.secretsManager.faults.throttleNext('PutSecretValue', 20);
        count('secrets manager throttling', 20);
      },
    };
    const timeline = await survives(plan);
    expect(timeline.runs[0]?.result.summary?.failures).toEqual([]);
  });

  it('never lets an SES failure block a rotation step, and sends the notices in a later run', async () => {
    let failedNotices = 0;
    let mailsWhileFailing = -1;
    const plan: FaultPlan = {
      before: async (world: RotationWorld, day) => {
        if (day === 0) {
          world.ses.failNext(1000);
          return;
        }
        mailsWhileFailing = (await world.ses.emails()).length;
        world.ses.failNext(0);
      },
      runOptions: () => ({}),
    };
    const timeline = await survives(plan);
    const day0 = timeline.runs[0]?.result.summary;
    failedNotices = day0?.notices.failed ?? 0;
    expect(day0?.appsFailed).toBe(0);
    expect(failedNotices).toBeGreaterThan(0);
    expect(mailsWhileFailing).toBe(0);
    expect(daysMatchingReference(timeline)).toEqual([0, 10, 11, 21, 22]);
    expect(timeline.runs[1]?.result.summary?.notices.sent).toBeGreaterThanOrEqual(failedNotices);
    count('ses send failure (notices)', failedNotices);
  });

  it('leaks no secret into logs, payloads, summaries, errors or mails of any faulty timeline', () => {
    expect(secretHits).toEqual([]);
  });
});

/** The real client with a short timeout, so latency turns into timeouts within a test's time. */
function impatientClient(world: RotationWorld): ApicClient {
  const admin = world.apic.admin;
  return new ApicClient({
    baseUrl: world.apic.baseUrl,
    credentials: async () => ({ grantType: 'password', ...admin }),
    requestTimeoutMs: 250,
    baseDelayMs: 20,
    maxDelayMs: 100,
    now: () => world.apic.clock.now(),
  });
}
