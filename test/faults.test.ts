/**
 * The real workflow, run locally against the APIC simulator and the AWS emulators, over a rotation timeline with
 * faults injected on every side. Whatever fails, no secret is lost, no app is left without a usable credential,
 * no credential is duplicated, the summary names what was left behind, and once the faults stop the world
 * converges to the clean end state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApicClient, type RequestInfo } from '../functions/adapters/apic/client';
import { decoratePorts } from '../functions/runtime/ports';
import { invariantViolations, startRotationWorld, type RotationWorld } from './support/crash-plan';
import { scanTexts, secretsOf, textsOf } from './support/faults-secrets';
import {
  START,
  cleanReference,
  faultCatalog,
  runFaultTimeline,
  type FaultPlan,
  type FaultTimeline,
  type Reference,
} from './support/faults-timeline';

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
        // A burst of two on the route that matters most, one on each of the others: every wait is a real second.
        for (const route of [LIST_APPS, GET_APP, CREATE, UPDATE, DELETE]) {
          const burst = route === CREATE ? 2 : 1;
          world.apic.faults.throttleNext({ route }, { count: burst, retryAfterSeconds: 1 });
          count('apic 429 with Retry-After', burst);
        }
      },
    };
    const timeline = await survives(plan);
    expect(daysMatchingReference(timeline)).toEqual([0, 10, 11, 21, 22]);
  });

  it('survives slow answers and request timeouts (a 200 ms client timeout against up to 320 ms of latency)', async () => {
    let timedOutClient: ApicClient | undefined;
    let timeouts = 0;
    const plan: FaultPlan = {
      before: (world) => {
        world.apic.faults.set({ latencyMs: 0, latencyJitterMs: 320 });
        timedOutClient ??= impatientClient(world, (info) => {
          if (info.status === undefined) timeouts += 1;
        });
        const client = timedOutClient;
        decoratePorts((ports) => ({ ...ports, apic: client }));
      },
      stop: () => decoratePorts(undefined),
    };
    await survives(plan);
    expect(timeouts).toBeGreaterThan(0);
    count('apic request timeouts', timeouts);
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
        // Throttles and 500s are retried (by the SDK, then by the workflow). A refused promotion is not: it fails the
        // apps it hits, leaving their replacements in APIC with the secrets staged, not current.
        world.secretsManager.faults.throttleNext('PutSecretValue', 2);
        world.secretsManager.faults.failNext('CreateSecret', 3);
        world.secretsManager.faults.failNext('UpdateSecretVersionStage', 4, 'AccessDeniedException');
        count('secrets manager throttling', 2);
        count('secrets manager failed write (500, retried)', 3);
        count('secrets manager failed write (refused)', 4);
      },
    };
    const timeline = await survives(plan);
    const day0 = timeline.runs[0]?.result.summary;
    expect(day0?.failures.length).toBeGreaterThan(0);
    for (const failure of day0?.failures ?? []) {
      expect(failure.cause).toMatch(/Secrets Manager UpdateSecretVersionStage failed for apic-rotator\/acme\/prod\/.*AccessDeniedException/);
    }
  });

  it('retries a Secrets Manager throttling burst longer than the SDK retries in the workflow, failing no app', async () => {
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

  it('never lets an SES failure block a rotation step, holds each deletion until its notice went out, and sends the notices in a later run', async () => {
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
    // Day 10 deletes only where a notice was delivered (the org reading Secrets Manager); day 10's digests deliver
    // the rest, and day 11 catches up with the reference.
    expect(daysMatchingReference(timeline)).toEqual([0, 11, 21, 22]);
    const day10 = timeline.runs[1]?.result.summary;
    expect(day10?.failures.map((failure) => `${failure.consumerOrg}/${failure.app} ${failure.error}`).sort()).toEqual([
      'bank/mobile DeletionHeldError',
      'bank/web DeletionHeldError',
      'shop/store DeletionHeldError',
    ]);
    expect(day10?.notices.sent).toBeGreaterThanOrEqual(failedNotices);
    count('ses send failure (notices)', failedNotices);
  });

  it('leaks no secret into logs, payloads, summaries, errors or mails of any faulty timeline', () => {
    expect(secretHits).toEqual([]);
  });
});

describe('the checks themselves', () => {
  it('find a planted secret, a credential nobody holds the secret of, and a replacement of a replacement', async () => {
    const world = await startRotationWorld({ seed: faultCatalog(), start: START });
    try {
      await world.runDay(0);
      const secrets = secretsOf(world);
      const texts = await textsOf(world);
      expect(scanTexts(texts, secrets).hits).toEqual([]);
      const planted = secrets.find((secret) => secret.length >= 32);
      expect(planted).toBeDefined();
      expect(scanTexts([...texts, `{"msg":"oops","detail":"${planted}"}`], secrets).hits).toHaveLength(1);

      world.apic.seed({
        catalogs: [
          {
            providerOrg: 'acme',
            catalog: 'prod',
            consumerOrgs: [{ name: 'bank', apps: [{ name: 'mobile', credentials: [{ name: 'key-a_new_new', ageDays: 0 }] }] }],
          },
        ],
      });
      expect(invariantViolations(world)).toEqual([
        'bank/mobile: replacement of a replacement key-a_new_new',
        expect.stringMatching(/^bank\/mobile: lost secret: key-a_new_new/),
      ]);
    } finally {
      await world.close();
    }
  });
});

/** The real client with a short timeout, so latency turns into timeouts within a test's time. */
function impatientClient(world: RotationWorld, onRequest: (info: RequestInfo) => void): ApicClient {
  const admin = world.apic.admin;
  return new ApicClient({
    baseUrl: world.apic.baseUrl,
    credentials: async () => ({ grantType: 'password', ...admin }),
    requestTimeoutMs: 200,
    baseDelayMs: 20,
    maxDelayMs: 100,
    now: () => world.apic.clock.now(),
    onRequest,
  });
}
