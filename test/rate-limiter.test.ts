import { describe, expect, it } from 'vitest';
import { RateLimiter, type Timer } from '../functions/adapters/rate-limiter';

/** A clock that moves only when someone sleeps. */
function fakeTimer(): Timer & { readonly slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

describe('RateLimiter', () => {
  it('lets concurrent callers start at most perSecond calls in any second, in the order they asked', async () => {
    const timer = fakeTimer();
    const limiter = new RateLimiter(5, timer);
    const starts: Array<{ caller: number; at: number }> = [];
    await Promise.all(Array.from({ length: 12 }, (_, caller) => limiter.take().then(() => starts.push({ caller, at: timer.now() }))));
    expect(starts.map((start) => start.caller)).toEqual([...Array(12).keys()]);
    expect(starts.map((start) => start.at)).toEqual([0, 0, 0, 0, 0, 1000, 1000, 1000, 1000, 1000, 2000, 2000]);
  });

  it('does not wait while the last second holds fewer calls than allowed', async () => {
    const timer = fakeTimer();
    const limiter = new RateLimiter(3, timer);
    for (let call = 0; call < 3; call++) await limiter.take();
    await timer.sleep(400);
    await limiter.take();
    // Only the fourth call waited: until the first call's second was over.
    expect(timer.slept).toEqual([400, 600]);
  });

  it.each([0, -1, 1.5])('refuses %s calls per second', (perSecond) => {
    expect(() => new RateLimiter(perSecond)).toThrow(RangeError);
  });
});
