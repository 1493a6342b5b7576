import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assessApp } from '../functions/domain/policy';
import { brokenPolicies } from './support/broken-policies';
import { actorsInterfered } from './support/other-actors';
import {
  crowdingProblems,
  dueOriginals,
  lossProblems,
  oldRemovedProblems,
  ownershipProblems,
  rejectedSecretProblems,
  roleProblems,
  unannouncedDeletionProblems,
  unreplacedProblems,
} from './support/rotation-invariants';
import { StepRefused, assessWorld, titleOf } from './support/rotation-world';
import type { Policy } from './support/rotation-world';
import { cleanRun, playRuns, playToCompletedRotation, quietScenarioArb, scenarioArb, startWorld } from './support/rotation-scenarios';
import type { Harness, Scenario } from './support/rotation-scenarios';

const RUNS = { numRuns: 1000 };

type Check = (scenario: Scenario, harness: Harness) => string[];

/** The invariants, each a check of one played scenario returning its problems. */
const invariants = {
  /** Nothing the rotator does not own is deleted or changed; the assessment claims no one else's credential. */
  ownership: (scenario, harness) => {
    const world = startWorld(scenario);
    const end = playToCompletedRotation(world, scenario, harness);
    return [...ownershipProblems(world), ...roleProblems(world, assessWorld(world, end, scenario.settings, harness.policy))];
  },
  /** No rotator step takes the app's, or a lifecycle's, last usable credential. */
  keepsAUsableCredential: (scenario, harness) => {
    const world = startWorld(scenario);
    playToCompletedRotation(world, scenario, harness);
    return lossProblems(world);
  },
  /** After a clean run, every due original (not a replacement in flight, held or kept) has a stored, verified replacement. */
  rotatesEveryDueOriginal: (scenario, harness) => {
    const world = startWorld(scenario);
    const last = playRuns(world, scenario, harness);
    const due = dueOriginals(world, last, scenario.settings);
    cleanRun(world, last, scenario, harness);
    return unreplacedProblems(world, due);
  },
  /** After a clean run, the store hands out no secret APIC rejects for a credential of the rotator (it repairs its own). */
  handsOutAcceptedSecrets: (scenario, harness) => {
    const world = startWorld(scenario);
    const last = playRuns(world, scenario, harness);
    cleanRun(world, last, scenario, harness);
    return rejectedSecretProblems(world);
  },
  /** No original is deleted before its replacement-ready notice was delivered; none at all where nothing is delivered. */
  deletesOnlyAnnounced: (scenario, harness) => {
    const world = startWorld(scenario);
    playToCompletedRotation(world, scenario, harness);
    const neverDelivered = scenario.delivery === 'never' && !scenario.settings.readsSecretsManager;
    return [
      ...unannouncedDeletionProblems(world, scenario.settings),
      ...(neverDelivered && world.deleted.length > 0 ? [`deleted ${world.deleted.join(', ')} though no notice was ever delivered`] : []),
    ];
  },
} satisfies Record<string, Check>;

function holds(check: Check, harness: Harness = {}) {
  return fc.property(scenarioArb, (scenario) => {
    expect(check(scenario, harness)).toEqual([]);
  });
}

describe('rotation policy over a modelled world, with runs stopping and other actors acting between any two sub-steps', () => {
  it('deletes only originals of its open cycles and changes only credentials whose client id it issued', () => {
    fc.assert(holds(invariants.ownership), RUNS);
  });

  it('never takes the last usable credential of an app or of a lifecycle', () => {
    fc.assert(holds(invariants.keepsAUsableCredential), RUNS);
  });

  it('leaves every due original with a stored, APIC-verified replacement after a clean run', () => {
    fc.assert(holds(invariants.rotatesEveryDueOriginal), RUNS);
  });

  it('repairs its own credentials whose secret a person reset, so the store hands out no rejected secret after a clean run', () => {
    fc.assert(holds(invariants.handsOutAcceptedSecrets), RUNS);
  });

  it('deletes no original before its replacement-ready notice was delivered', () => {
    fc.assert(holds(invariants.deletesOnlyAnnounced), RUNS);
  });

  it('converges within three clean runs at a fixed date (five after other actors), which no step and no APIC call refuses', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const world = startWorld(scenario);
        const last = playRuns(world, scenario);
        const refusals: string[] = [];
        // A credential a person renamed can wait for a name another rotation frees first, one run per link.
        const runs = actorsInterfered(world) ? 5 : 3;
        for (let i = 0; i < runs; i += 1) {
          const { failure } = cleanRun(world, last, scenario, {});
          if (failure && !(failure.error instanceof StepRefused && failure.error.reason === 'held')) {
            refusals.push(`${failure.action.kind}: ${failure.error.message}`);
          }
        }
        expect(refusals).toEqual([]);
        // A deletion held for a notice that never gets through stays held; nothing else is left to do.
        expect(assessWorld(world, last, scenario.settings).actions.filter((a) => a.kind !== 'hold-deletion')).toEqual([]);
        expect(crowdingProblems(world)).toEqual([]);
      }),
      RUNS,
    );
  });

  it('never holds more than two credentials in one rotation unit (what other actors add or rename is a unit of its own)', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const world = startWorld(scenario);
        playRuns(world, scenario, {}, { afterEachStep: (w) => expect(crowdingProblems(w)).toEqual([]) });
      }),
      RUNS,
    );
  });

  it('emits no action twice in one assessment and sends no notice kind twice for one cycle', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const world = startWorld(scenario);
        playRuns(world, scenario, {}, {
          afterRun: ({ actions }) => {
            const keys = actions.map((a) => JSON.stringify(a));
            expect(new Set(keys).size).toBe(keys.length);
          },
        });
        const sentKeys = world.sent.map((n) => `${n.base} ${n.kind} ${n.cycleId}`);
        expect(new Set(sentKeys).size).toBe(sentKeys.length);
      }),
      RUNS,
    );
  });

  it('restores the original names and titles once the grace after a full rotation has passed, when no one else interfered', () => {
    fc.assert(
      fc.property(quietScenarioArb, (scenario) => {
        const world = startWorld(scenario);
        playToCompletedRotation(world, scenario);
        expect(actorsInterfered(world)).toBe(false);
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
        expect(oldRemovedProblems(world)).toEqual([]);
      }),
      RUNS,
    );
  });
});

/**
 * Each invariant is only worth its runs if it catches the mistake it is about: the same property, run against a
 * deliberately broken policy without the steps' guards (which would otherwise refuse the mistake), finds a
 * counterexample within a bounded number of runs.
 */
describe('each invariant fails on a deliberately broken policy', () => {
  const BROKEN_RUNS = { numRuns: 3000, endOnFailure: true };
  const cases: Array<[string, Check, Policy]> = [
    ['ownership, on a policy that deletes the name-holder of a closed cycle', invariants.ownership, brokenPolicies.deletesNameHolder],
    ['ownership, on a policy that takes a foreign <name><suffix> for its replacement', invariants.ownership, brokenPolicies.believesNames],
    ['a usable credential, on a policy that ignores verifiedCurrent', invariants.keepsAUsableCredential, brokenPolicies.trustsEveryCurrent],
    ['due originals rotated, on a policy that blocks when <name><suffix> is taken', invariants.rotatesEveryDueOriginal, brokenPolicies.blocksOnTakenName],
    ['due originals rotated, on a policy that never repairs a rejected replacement', invariants.rotatesEveryDueOriginal, brokenPolicies.trustsEveryCurrent],
    ['accepted secrets, on a policy that ignores verifiedCurrent', invariants.handsOutAcceptedSecrets, brokenPolicies.trustsEveryCurrent],
    ['announced deletions, on a policy that ignores delivery', invariants.deletesOnlyAnnounced, brokenPolicies.ignoresDelivery],
  ];
  it.each(cases)('%s', (_name, check, policy) => {
    const result = fc.check(holds(check, { policy, guards: false }), BROKEN_RUNS);
    expect(result.failed).toBe(true);
  });

  it('and each holds on the same harness with the real policy and no guards', () => {
    for (const check of Object.values(invariants)) {
      expect(fc.check(holds(check, { policy: assessApp, guards: false }), { numRuns: 200 }).failed).toBe(false);
    }
  });
});
