/**
 * A rotation timeline run under injected faults: day 0 replaces every credential, day 10 deletes the originals and
 * renames the replacements; then the faults stop and the settle days must bring the world to the clean end state.
 * After every run the invariants must hold and the summary must name every app the run left behind.
 */
import { expect } from 'vitest';
import type { SimulatorSeed } from '../../tools/apic-simulator';
import {
  endState,
  invariantViolations,
  startRotationWorld,
  type EndState,
  type RotationWorld,
  type WorldRunOptions,
} from './crash-plan';
import type { LocalRunResult } from '../../tools/runner/workflow-runner';
import { scanWorld } from './faults-secrets';

export const START = new Date('2025-03-01T03:00:00Z');
export const FAULT_DAYS = [0, 10] as const;
/** Enough for an app whose replacement slipped to day 10 or 11 to reach its deletion day. */
export const SETTLE_DAYS = [11, 21, 22] as const;

export function faultCatalog(): SimulatorSeed {
  const app = (name: string, ...credentials: Array<[string, number]>) => ({
    name,
    title: name.toUpperCase(),
    credentials: credentials.map(([credential, ageDays]) => ({ name: credential, title: `Title of ${credential}`, ageDays })),
  });
  return {
    catalogs: [
      {
        providerOrg: 'acme',
        catalog: 'prod',
        consumerOrgs: [
          { name: 'bank', owner: { email: 'owner@bank.example.com' }, apps: [app('mobile', ['key-a', 90], ['key-b', 95]), app('web', ['key-w', 100])] },
          { name: 'shop', owner: { email: 'owner@shop.example.com' }, apps: [app('store', ['key-s', 92])] },
          // No owner e-mail: its notices are undeliverable; it reads Secrets Manager directly (FAULT_CONFIG), so that
          // must not hold its rotation back.
          { name: 'legacy', owner: { username: 'legacy-admin' }, apps: [app('sync', ['key-l', 91])] },
        ],
      },
    ],
  };
}

/** The legacy consumer org reads its credentials from Secrets Manager: its deletions need no delivered notice. */
export const FAULT_CONFIG = { consumerOrgOverrides: { legacy: { readsSecretsManager: true } } };

export interface Reference {
  /** App names and titles after each day of the clean timeline. */
  readonly byDay: ReadonlyMap<number, EndState['apps']>;
  readonly end: EndState;
}

export async function cleanReference(): Promise<Reference> {
  const world = await startRotationWorld({ seed: faultCatalog(), start: START, config: FAULT_CONFIG });
  try {
    const byDay = new Map<number, EndState['apps']>();
    for (const day of [...FAULT_DAYS, ...SETTLE_DAYS]) {
      const result = await world.runDay(day);
      expect(result.status).toBe('SUCCEEDED');
      byDay.set(day, endState(world).apps);
    }
    return { byDay, end: endState(world) };
  } finally {
    await world.close();
  }
}

export interface FaultPlan {
  /** Arms the faults of one day, before its run. */
  readonly before?: (world: RotationWorld, day: number) => void | Promise<void>;
  readonly runOptions?: (world: RotationWorld, day: number) => WorldRunOptions;
  /** Stops every fault (world faults are cleared by the timeline itself). */
  readonly stop?: () => void;
}

export interface FaultRun {
  readonly day: number;
  readonly result: LocalRunResult;
  /** Apps that were on track (as the clean timeline, no failure so far) and fell behind it in this run. */
  readonly fellBehind: readonly string[];
}

export interface FaultTimeline {
  readonly runs: readonly FaultRun[];
  readonly end: EndState;
  readonly apicCalls: number;
  readonly secretHits: readonly string[];
  readonly secretsSearched: number;
}

function failedApps(result: LocalRunResult): string[] {
  return (result.summary?.failures ?? []).map((failure) => `${failure.consumerOrg}/${failure.app}`);
}

/**
 * A run must name each app it could not finish: an app that matched the clean timeline before the run and does not
 * after it appears in `failures` with its error, or the whole run failed with an error saying why.
 */
function expectAccountable(run: FaultRun): void {
  const { result } = run;
  if (result.status === 'FAILED') {
    expect(result.error, `day ${run.day}: a failed run says why`).toMatch(/\w/);
    return;
  }
  const summary = result.summary;
  expect(summary, `day ${run.day}: a summary`).toBeDefined();
  if (!summary) return;
  expect(summary.failures.length + summary.failuresNotListed).toBe(summary.appsFailed);
  for (const failure of summary.failures) {
    expect(failure.consumerOrg).toMatch(/\w/);
    expect(failure.app).toMatch(/\w/);
    expect(failure.error).toMatch(/\w/);
  }
  expect(run.fellBehind.filter((app) => !failedApps(result).includes(app)), `day ${run.day}: unfinished apps missing from failures`).toEqual([]);
}

export async function runFaultTimeline(reference: Reference, plan: FaultPlan): Promise<FaultTimeline> {
  const world = await startRotationWorld({ seed: faultCatalog(), start: START, randomSeed: 7, config: FAULT_CONFIG });
  try {
    const runs: FaultRun[] = [];
    let onTrack = new Set(world.initial.map((app) => `${app.consumerOrg}/${app.app}`));
    const runDay = async (day: number, faulty: boolean) => {
      if (faulty) await plan.before?.(world, day);
      const result = await world.runDay(day, faulty ? plan.runOptions?.(world, day) : {});
      expect(invariantViolations(world), `day ${day}${faulty ? ' (faults on)' : ''}`).toEqual([]);
      const apps = endState(world).apps;
      const expected = reference.byDay.get(day) ?? {};
      const failed = failedApps(result);
      const matching = new Set(
        Object.keys(apps).filter((app) => JSON.stringify(apps[app]) === JSON.stringify(expected[app]) && !failed.includes(app)),
      );
      const run: FaultRun = { day, result, fellBehind: [...onTrack].filter((app) => !matching.has(app)) };
      onTrack = matching;
      runs.push(run);
      expectAccountable(run);
    };
    for (const day of FAULT_DAYS) await runDay(day, true);
    const apicCalls = world.apic.totalCalls();
    world.apic.faults.clear();
    world.secretsManager.faults.clear();
    world.ses.failNext(0);
    plan.stop?.();
    for (const day of SETTLE_DAYS) await runDay(day, false);
    const scan = await scanWorld(world);
    return { runs, end: endState(world), apicCalls, secretHits: scan.hits, secretsSearched: scan.secretsSearched };
  } finally {
    plan.stop?.();
    await world.close();
  }
}
