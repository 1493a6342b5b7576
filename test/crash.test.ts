/**
 * The reference timeline of the crash suites, and the crash points after APIC writes, after secret-store writes and
 * after every other write (events, reports and any kind a new step adds). The notice ledger and mail crash points are
 * in crash-notices.test.ts: two files, so the two halves run in parallel.
 */
import { describe, expect, it } from 'vitest';
import { CRASH_GROUPS, EXPECTED_KINDS, crashGroupSuite, crashPlan, groupOf, methodOf } from './support/crash-suite';

const plan = await crashPlan();

describe('the reference timeline of the crash suites', () => {
  it('holds every invariant after every run and leaks no secret', () => {
    expect(plan.reference.violations).toEqual([]);
    expect(plan.reference.secretScan.secretsSearched).toBeGreaterThan(0);
    expect(plan.reference.secretScan.hits).toEqual([]);
  });

  it('ends fully rotated with the names restored', () => {
    const { endState } = plan.reference;
    expect(endState.unrotated).toEqual({ 'bank/mobile': 0, 'shop/web': 0 });
    expect(endState.apps).toEqual({ 'bank/mobile': ['key-a | Key A', 'key-b | Key B'], 'shop/web': ['key-w | Key W'] });
    expect(endState.withoutAcceptedCurrent).toEqual([]);
  });

  it('enumerates a boundary for every kind of write the crash groups name', () => {
    const kinds = new Set(plan.points.map((crash) => methodOf(crash.boundary)));
    expect(EXPECTED_KINDS.filter((kind) => !kinds.has(kind))).toEqual([]);
  });

  it('gives every crash group some of the crash points', () => {
    const perGroup = CRASH_GROUPS.map((group) => plan.points.filter((crash) => groupOf(crash.boundary) === group.name).length);
    console.log(
      `crash plan: ${plan.points.length} crash points over days ${Object.keys(plan.startOfDay).join(', ')} ` +
        `(${CRASH_GROUPS.map((group, index) => `${group.title}: ${perGroup[index]}`).join('; ')})`,
    );
    expect(perGroup.filter((count) => count === 0)).toEqual([]);
  });
});

crashGroupSuite(plan, 'apic');
crashGroupSuite(plan, 'secret-store');
crashGroupSuite(plan, 'other');
