import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PolicySettings } from '../functions/domain/policy';
import { DAY_MS } from '../functions/domain/time';
import { assessWorld, createWorld, lineageCounts, runOnce, titleOf } from './support/rotation-world';
import type { World } from './support/rotation-world';

const START = Date.parse('2025-01-01T03:00:00.000Z');
const RUNS = { numRuns: 1000 };

const settingsArb: fc.Arbitrary<PolicySettings> = fc
  .record({
    expiryDays: fc.integer({ min: 1, max: 120 }),
    graceDays: fc.integer({ min: 1, max: 40 }),
    warnShare: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    replacementSuffix: fc.constantFrom('_new', '-v2'),
  })
  .map(({ expiryDays, graceDays, warnShare, replacementSuffix }) => ({
    expiryDays,
    deletionDays: expiryDays + graceDays,
    warnDays: Math.floor(warnShare * expiryDays),
    replacementSuffix,
  }));

/** Up to four credentials; some names already end in the suffix (once or twice) without being ours. */
const credentialSpecsArb = fc.uniqueArray(
  fc.record({
    stem: fc.constantFrom('alpha', 'beta', 'gamma'),
    suffixes: fc.integer({ min: 0, max: 2 }),
    ageDays: fc.integer({ min: 0, max: 200 }),
    minutesOffset: fc.integer({ min: 0, max: 1439 }),
  }),
  { minLength: 1, maxLength: 4, selector: (c) => `${c.stem}/${c.suffixes}` },
);

const runsArb = fc.array(
  fc.record({
    gapDays: fc.integer({ min: 0, max: 40 }),
    crashAfterStep: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
  }),
  { minLength: 1, maxLength: 8 },
);

const scenarioArb = fc.record({ settings: settingsArb, credentials: credentialSpecsArb, runs: runsArb });
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function startWorld({ settings, credentials }: Scenario): World {
  return createWorld(
    credentials.map((c) => ({
      name: c.stem + settings.replacementSuffix.repeat(c.suffixes),
      createdAt: new Date(START - c.ageDays * DAY_MS - c.minutesOffset * 60_000).toISOString(),
    })),
  );
}

/** Plays the scenario's runs (some of which crash part way); returns the date of the last one. */
function playRuns(world: World, scenario: Scenario, afterEachStep?: (world: World) => void): Date {
  let now = START;
  for (const run of scenario.runs) {
    now += run.gapDays * DAY_MS;
    runOnce(world, new Date(now), scenario.settings, { crashAfterStep: run.crashAfterStep, afterEachStep });
  }
  return new Date(now);
}

function runCleanly(world: World, now: Date, settings: PolicySettings, times: number): void {
  for (let i = 0; i < times; i += 1) runOnce(world, now, settings);
}

/** After the scenario, a full rotation of every credential that can rotate, ending with the run that completes it. */
function playToCompletedRotation(world: World, scenario: Scenario): void {
  const { settings } = scenario;
  const last = playRuns(world, scenario).getTime();
  // Every credential is due by then: each starts (or completes and restarts) a rotation...
  const rotationDate = new Date(last + settings.deletionDays * DAY_MS);
  runCleanly(world, rotationDate, settings, 3);
  // ...which the first run after the grace completes.
  runOnce(world, new Date(rotationDate.getTime() + (settings.deletionDays - settings.expiryDays) * DAY_MS), settings);
}

function expectEveryLifecycleUsableAndAtMostTwo(world: World): void {
  for (const [name, count] of lineageCounts(world)) {
    expect(count.usable, `usable credentials of ${name}`).toBeGreaterThanOrEqual(1);
    expect(count.present, `credentials of ${name}`).toBeLessThanOrEqual(2);
  }
}

describe('rotation policy over a modelled world, with runs stopping between any two sub-steps', () => {
  it('never leaves a credential base without a credential the consumer can use', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const world = startWorld(scenario);
        playRuns(world, scenario, (w) => {
          for (const [name, count] of lineageCounts(w)) expect(count.usable, `usable credentials of ${name}`).toBeGreaterThanOrEqual(1);
        });
      }),
      RUNS,
    );
  });

  it('never holds more than two credentials for one base name', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const world = startWorld(scenario);
        playRuns(world, scenario, (w) => {
          for (const [name, count] of lineageCounts(w)) expect(count.present, `credentials of ${name}`).toBeLessThanOrEqual(2);
        });
      }),
      RUNS,
    );
  });

  it('converges within three uninterrupted runs at a fixed date', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const world = startWorld(scenario);
        const last = playRuns(world, scenario);
        runCleanly(world, last, scenario.settings, 3);
        expect(assessWorld(world, last, scenario.settings).actions).toEqual([]);
        expectEveryLifecycleUsableAndAtMostTwo(world);
      }),
      RUNS,
    );
  });

  it('emits no action twice in one assessment and sends no notice kind twice for one cycle', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const world = startWorld(scenario);
        let now = START;
        for (const run of scenario.runs) {
          now += run.gapDays * DAY_MS;
          const { actions } = runOnce(world, new Date(now), scenario.settings, { crashAfterStep: run.crashAfterStep });
          const keys = actions.map((a) => JSON.stringify(a));
          expect(new Set(keys).size).toBe(keys.length);
        }
        const sentKeys = world.sent.map((n) => `${n.base} ${n.kind} ${n.cycleId}`);
        expect(new Set(sentKeys).size).toBe(sentKeys.length);
      }),
      RUNS,
    );
  });

  it('restores the original names and titles once the grace after a full rotation has passed', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const world = startWorld(scenario);
        playToCompletedRotation(world, scenario);
        const namesAndTitles = (list: ReadonlyArray<{ name: string; title: string }>) => list.map((c) => `${c.name} | ${c.title}`).sort();
        expect(namesAndTitles(world.credentials)).toEqual(namesAndTitles(world.initial));
        for (const credential of world.credentials) expect(credential.title).toBe(titleOf(credential.name));
      }),
      RUNS,
    );
  });

  it('queues an old-removed notice for every original it deletes', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const world = startWorld(scenario);
        playToCompletedRotation(world, scenario);
        const oldRemovedCycles = new Set(world.queued.filter((n) => n.kind === 'old-removed').map((n) => n.cycleId));
        for (const id of world.deleted) expect(oldRemovedCycles, `old-removed notice for ${id}`).toContain(id);
      }),
      RUNS,
    );
  });
});
