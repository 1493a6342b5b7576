/**
 * The crash-at-every-boundary suites: the crash points of the reference timeline grouped by the kind of write they
 * crash after, one test file per group so that vitest runs the groups in parallel. Each file plans the timeline
 * itself (the plan is deterministic and frozen) and gives every crash point an independent test that restores the
 * reference world at the start of the point's day in a world of its own.
 */
import { describe, expect, it } from 'vitest';
import type { SimulatorSeed } from '../../tools/apic-simulator';
import { planCrashes, runCrashPoint, type CrashPlan, type CrashPoint, type CrashTimeline } from './crash-plan';
import { acmeProdSeed } from './acme-seed';

/** Day 0: one credential warned, two replaced; day 10: the third replaced, two originals deleted; day 20: the last. */
export function crashCatalog(): SimulatorSeed {
  return acmeProdSeed({
    bank: [
      {
        name: 'mobile',
        title: 'Mobile',
        credentials: [
          { name: 'key-a', title: 'Key A', ageDays: 80 },
          { name: 'key-b', title: 'Key B', ageDays: 90 },
        ],
      },
    ],
    shop: [{ name: 'web', title: 'Web', credentials: [{ name: 'key-w', title: 'Key W', ageDays: 90 }] }],
  });
}

export const CRASH_TIMELINE: CrashTimeline = {
  seed: crashCatalog(),
  start: new Date('2025-03-01T03:00:00Z'),
  days: [0, 10, 20],
  settleDays: [21],
};

/**
 * The groups of boundary kinds, by method name whatever port the method is on (the notice ledger's methods may move
 * from `store` to a port of their own without touching this). The last group takes every kind no other group names,
 * so a new kind of write is crashed after without touching this either.
 */
export const CRASH_GROUPS = [
  { name: 'apic', title: 'APIC writes', methods: ['createCredential', 'updateCredential', 'deleteCredential'] },
  { name: 'secret-store', title: 'secret-store writes', methods: ['stagePending', 'promote'] },
  { name: 'notices', title: 'notice ledger writes and mail', methods: ['queueNotice', 'markNoticesSent', 'send'] },
  { name: 'other', title: 'event, report and every other write', methods: undefined },
] as const;

export type CrashGroupName = (typeof CRASH_GROUPS)[number]['name'];

/** The kinds of write the reference timeline must make: every method a group names. */
export const EXPECTED_KINDS: readonly string[] = CRASH_GROUPS.flatMap((group) => group.methods ?? []);

export function methodOf(boundary: string): string {
  return boundary.slice(boundary.lastIndexOf('.') + 1);
}

export function groupOf(boundary: string): CrashGroupName {
  const method = methodOf(boundary);
  const named = CRASH_GROUPS.find((group) => group.methods?.some((m) => m === method));
  return named?.name ?? 'other';
}

let planned: Promise<CrashPlan> | undefined;

/** The plan of `CRASH_TIMELINE`, computed once per worker: it is deeply frozen, so the files sharing it cannot change it. */
export function crashPlan(): Promise<CrashPlan> {
  planned ??= planCrashes(CRASH_TIMELINE);
  return planned;
}

export function crashPointTitle(crash: CrashPoint): string {
  return `crash after ${crash.boundary} #${crash.occurrence} on day ${crash.day} converges`;
}

/**
 * One test per crash point of `group`, each in a world of its own restored from the plan's snapshot of its day. Each
 * checks that every invariant held after the crash, the redrive, the rerun and every later run, that the world ended
 * where the reference ended, and that no secret leaked into anything the crashed world said or mailed. The crash is
 * a `Lambda.Unknown`, which Step Functions retries like any cut-short step, so the crashed run itself may already heal.
 */
export function crashGroupSuite(plan: CrashPlan, group: CrashGroupName): void {
  const { title } = CRASH_GROUPS.find((g) => g.name === group) ?? { title: group };
  const points = plan.points.filter((crash) => groupOf(crash.boundary) === group);
  console.log(
    `crash group "${title}": ${points.length} of ${plan.points.length} crash points ` +
      `(${[...new Set(points.map((p) => p.boundary))].sort().join(', ')})`,
  );

  describe(`crash after every ${title}`, () => {
    for (const crash of points) {
      it(crashPointTitle(crash), async () => {
        const result = await runCrashPoint(plan, crash);
        expect(result.crashedAfter, 'the crash hit the call the reference counted').toEqual({
          boundary: crash.boundary,
          occurrence: crash.occurrence,
        });
        expect(result.violations).toEqual([]);
        expect(result.endState).toEqual(plan.reference.endState);
        expect(result.secretScan.secretsSearched).toBeGreaterThan(0);
        expect(result.secretScan.hits).toEqual([]);
      });
    }
  });
}
