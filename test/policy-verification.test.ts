import { describe, expect, it } from 'vitest';
import { isVerificationDay } from '../functions/domain/policy';
import { DAY_MS } from '../functions/domain/time';

const START = Date.parse('2026-01-01T03:00:00Z');
const APP_KEYS = Array.from({ length: 500 }, (_, index) => `acme/production/org-${index % 37}/app-${index}`);

function daysFrom(start: number, count: number): Date[] {
  return Array.from({ length: count }, (_, day) => new Date(start + day * DAY_MS));
}

describe('isVerificationDay', () => {
  it.each([1, 2, 7, 30])('gives every app exactly one day in any %i consecutive days', (everyDays) => {
    for (const offset of [0, 3, 400]) {
      const window = daysFrom(START + offset * DAY_MS, everyDays);
      for (const key of APP_KEYS) {
        expect(window.filter((day) => isVerificationDay(key, day, everyDays)), key).toHaveLength(1);
      }
    }
  });

  it('spreads the apps over the days: no day of a 7-day window takes more than twice its share', () => {
    const perDay = daysFrom(START, 7).map((day) => APP_KEYS.filter((key) => isVerificationDay(key, day, 7)).length);
    expect(Math.max(...perDay)).toBeLessThanOrEqual((2 * APP_KEYS.length) / 7);
    expect(perDay.reduce((sum, count) => sum + count, 0)).toBe(APP_KEYS.length);
  });

  it('keeps an app’s day whatever the hour of the run', () => {
    const key = APP_KEYS[0] ?? '';
    const day = daysFrom(START, 7).find((candidate) => isVerificationDay(key, candidate, 7)) ?? new Date(NaN);
    const midnight = Math.floor(day.getTime() / DAY_MS) * DAY_MS;
    for (const hour of [0, 5, 23]) expect(isVerificationDay(key, new Date(midnight + hour * 3_600_000), 7)).toBe(true);
  });

  it('never picks a day when turned off (0)', () => {
    expect(daysFrom(START, 30).some((day) => APP_KEYS.some((key) => isVerificationDay(key, day, 0)))).toBe(false);
  });
});
