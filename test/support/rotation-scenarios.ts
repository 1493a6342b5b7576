/**
 * Generated scenarios for the rotation-world property tests: a policy, an app's starting credentials (some named
 * like replacements, some an earlier tool's leftovers), and a sequence of runs, some crashing part way, with other
 * actors' moves before and during them, in a world where notices get through always, sometimes or never.
 */
import fc from 'fast-check';
import type { PolicySettings } from '../../functions/domain/policy';
import { actOn } from './other-actors';
import type { ActorMove } from './other-actors';
import { createWorld, runOnce, stageLostVersion } from './rotation-world';
import type { Policy, RunResult, World } from './rotation-world';
import { DAY_MS } from '../../functions/domain/time';

export const START = Date.parse('2025-01-01T03:00:00.000Z');

export const settingsArb: fc.Arbitrary<PolicySettings> = fc
  .record({
    expiryDays: fc.integer({ min: 1, max: 120 }),
    graceDays: fc.integer({ min: 1, max: 40 }),
    warnShare: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    replacementSuffix: fc.constantFrom('_new', '-v2'),
    readsSecretsManager: fc.constantFrom(false, false, false, true),
  })
  .map(({ expiryDays, graceDays, warnShare, replacementSuffix, readsSecretsManager }) => ({
    expiryDays,
    deletionDays: expiryDays + graceDays,
    warnDays: Math.floor(warnShare * expiryDays),
    replacementSuffix,
    ...(readsSecretsManager && { readsSecretsManager }),
  }));

/**
 * Up to four credentials; some names already end in the suffix (once or twice) without being ours, and some of
 * those are an earlier tool's half-done rotation: a secret nobody kept, perhaps with a lost staged version.
 */
export const credentialSpecsArb = fc.uniqueArray(
  fc.record({
    stem: fc.constantFrom('alpha', 'beta', 'gamma'),
    suffixes: fc.integer({ min: 0, max: 2 }),
    ageDays: fc.integer({ min: 0, max: 200 }),
    minutesOffset: fc.integer({ min: 0, max: 1439 }),
    leftover: fc.constantFrom('none', 'none', 'unknown-secret', 'unknown-secret-and-staged'),
  }),
  { minLength: 1, maxLength: 4, selector: (c) => `${c.stem}/${c.suffixes}` },
);

export const moveArb: fc.Arbitrary<ActorMove> = fc.oneof(
  fc.record({ kind: fc.constant('recreate' as const), pick: fc.nat(7) }),
  fc.record({ kind: fc.constant('create-own' as const), pick: fc.nat(7), counter: fc.constantFrom(1 as const, 2 as const) }),
  fc.record({
    kind: fc.constant('rename' as const),
    pick: fc.nat(7),
    to: fc.constantFrom('fresh' as const, 'replacement-of' as const),
    other: fc.nat(7),
  }),
  fc.record({ kind: fc.constant('reset' as const), pick: fc.nat(7) }),
  fc.record({ kind: fc.constant('delete-replacement' as const), pick: fc.nat(7) }),
);

interface TimedMove {
  /** Undefined: before the run; else after the run's `atStep`-th sub-step (after the run if it has fewer). */
  readonly atStep: number | undefined;
  readonly move: ActorMove;
}

/** Other actors' moves in one run: usually none. */
export const movesArb: fc.Arbitrary<readonly TimedMove[]> = fc.oneof(
  { weight: 3, arbitrary: fc.constant([]) },
  { weight: 2, arbitrary: fc.array(fc.record({ atStep: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }), move: moveArb }), { minLength: 1, maxLength: 2 }) },
);

export const runsArb = fc.array(
  fc.record({
    gapDays: fc.integer({ min: 0, max: 40 }),
    crashAfterStep: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
    /** Whether this run's digest reaches anyone, in a world where delivery only sometimes works. */
    delivered: fc.boolean(),
    moves: movesArb,
  }),
  { minLength: 1, maxLength: 8 },
);

export const scenarioArb = fc.record({
  settings: settingsArb,
  credentials: credentialSpecsArb,
  runs: runsArb,
  /** 'never': SES fails, or the org has no owner address and there is no operator address. */
  delivery: fc.constantFrom('always', 'always', 'sometimes', 'sometimes', 'never'),
  /** Whether the steps re-check the world (the deployed system) or the policy's decisions run unchecked. */
  guards: fc.boolean(),
});
export type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

/** No other actor, and notices get through: the world in which the rotator alone decides every name. */
export const quietScenarioArb = scenarioArb.map((s) => ({
  ...s,
  delivery: s.delivery === 'never' ? 'always' : s.delivery,
  runs: s.runs.map((r) => ({ ...r, moves: [] })),
}));

/** The policy under test, and whether the steps' guards run (overriding the scenario's choice). */
export interface Harness {
  readonly policy?: Policy;
  readonly guards?: boolean;
}

export function startWorld({ settings, credentials }: Scenario): World {
  const nameOf = (c: Scenario['credentials'][number]) => c.stem + settings.replacementSuffix.repeat(c.suffixes);
  const world = createWorld(
    credentials.map((c) => ({
      name: nameOf(c),
      createdAt: new Date(START - c.ageDays * DAY_MS - c.minutesOffset * 60_000).toISOString(),
      secretKnown: c.suffixes === 0 || c.leftover === 'none',
    })),
  );
  for (const c of credentials) {
    if (c.suffixes === 0 || c.leftover !== 'unknown-secret-and-staged') continue;
    const base = c.stem + settings.replacementSuffix.repeat(c.suffixes - 1);
    stageLostVersion(world, base, world.credentials.find((w) => w.name === base)?.id ?? `gone-${base}`);
  }
  return world;
}

function guardsOf(scenario: Scenario, harness: Harness): boolean {
  return harness.guards ?? scenario.guards;
}

export interface PlayHooks {
  readonly afterEachStep?: (world: World) => void;
  readonly afterRun?: (result: RunResult) => void;
}

/**
 * Plays the scenario's runs (some of which crash part way) with other actors' moves before and during them; returns
 * the date of the last one. Without the steps' guards every move happens before its run: the policy alone is judged
 * on the world it assessed.
 */
export function playRuns(world: World, scenario: Scenario, harness: Harness = {}, hooks: PlayHooks = {}): Date {
  const { settings } = scenario;
  const guards = guardsOf(scenario, harness);
  const act = (move: ActorMove, date: Date) => {
    actOn(world, move, date, settings.replacementSuffix);
    hooks.afterEachStep?.(world);
  };
  let now = START;
  for (const run of scenario.runs) {
    now += run.gapDays * DAY_MS;
    const date = new Date(now);
    const during = guards ? run.moves.filter((m) => m.atStep !== undefined) : [];
    for (const { move } of run.moves.filter((m) => !during.includes(m))) act(move, date);
    const result = runOnce(world, date, settings, {
      crashAfterStep: run.crashAfterStep,
      deliver: scenario.delivery === 'always' || (scenario.delivery === 'sometimes' && run.delivered),
      policy: harness.policy,
      guards,
      afterEachStep: (w, stepsDone) => {
        hooks.afterEachStep?.(w);
        for (const { move } of during.filter((m) => m.atStep === stepsDone)) act(move, date);
      },
    });
    for (const { move } of during.filter((m) => (m.atStep ?? 0) > result.stepsDone)) act(move, date);
    hooks.afterRun?.(result);
  }
  return new Date(now);
}

/** A run without crash or other actors; notices get through unless they never do in this world. */
export function cleanRun(world: World, now: Date, scenario: Scenario, harness: Harness): RunResult {
  return runOnce(world, now, scenario.settings, { deliver: scenario.delivery !== 'never', policy: harness.policy, guards: guardsOf(scenario, harness) });
}

/** After the scenario, a full rotation of every credential that can rotate, ending with the run that completes it. */
export function playToCompletedRotation(world: World, scenario: Scenario, harness: Harness = {}): Date {
  const { settings } = scenario;
  const last = playRuns(world, scenario, harness).getTime();
  // Every credential is due by then: each starts (or completes and restarts) a rotation...
  const rotationDate = new Date(last + settings.deletionDays * DAY_MS);
  for (let i = 0; i < 3; i += 1) cleanRun(world, rotationDate, scenario, harness);
  // ...which the first run after the grace completes.
  const completionDate = new Date(rotationDate.getTime() + (settings.deletionDays - settings.expiryDays) * DAY_MS);
  cleanRun(world, completionDate, scenario, harness);
  return completionDate;
}
