import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  canRetry,
  isRetryableStatus,
  isTransientNetworkError,
  parseRetryAfterMs,
  retryDelayMs,
} from '../functions/adapters/apic/retry';
import { TokenCache } from '../functions/adapters/apic/token';

const settings = { baseDelayMs: 200, maxDelayMs: 10_000 };
const NOW = new Date('2025-03-01T12:00:00.000Z');

describe('backoffDelayMs (full jitter)', () => {
  it('doubles the ceiling per attempt, starting at the base delay', () => {
    const almostOne = () => 0.999_999;
    expect([1, 2, 3, 4].map((attempt) => backoffDelayMs(attempt, settings, almostOne))).toEqual([199, 399, 799, 1599]);
  });

  it('never exceeds maxDelayMs, however many attempts', () => {
    expect(backoffDelayMs(30, settings, () => 0.999_999)).toBe(9999);
    expect(backoffDelayMs(2000, settings, () => 0.5)).toBe(5000);
  });

  it('is zero when the random draw is zero (full jitter reaches down to no wait)', () => {
    expect(backoffDelayMs(5, settings, () => 0)).toBe(0);
  });

  it('clamps a misbehaving random source into [0, ceiling]', () => {
    expect(backoffDelayMs(1, settings, () => 7)).toBe(200);
    expect(backoffDelayMs(1, settings, () => -1)).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses attempt %s', (attempt) => {
    expect(() => backoffDelayMs(attempt, settings, () => 0.5)).toThrow(RangeError);
  });

  it('stays within [0, min(max, base * 2^(n-1))) for any attempt and draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 100_000 }),
        (attempt, draw, base, max) => {
          const delay = backoffDelayMs(attempt, { baseDelayMs: base, maxDelayMs: max }, () => draw);
          const ceiling = Math.min(max, base * 2 ** (attempt - 1));
          return Number.isInteger(delay) && delay >= 0 && delay <= ceiling && (delay < ceiling || ceiling === 0);
        },
      ),
    );
  });
});

describe('parseRetryAfterMs', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfterMs('3', NOW)).toBe(3000);
    expect(parseRetryAfterMs(' 0 ', NOW)).toBe(0);
    expect(parseRetryAfterMs('120', NOW)).toBe(120_000);
  });

  it('reads an HTTP date relative to now', () => {
    expect(parseRetryAfterMs('Sat, 01 Mar 2025 12:00:07 GMT', NOW)).toBe(7000);
  });

  it('treats a date in the past as no wait', () => {
    expect(parseRetryAfterMs('Sat, 01 Mar 2025 11:59:00 GMT', NOW)).toBe(0);
  });

  it.each([undefined, '', '   ', '-3', '1.5', 'soon', '2e3', 'Sun, 99 Foo 2025'])('ignores %j', (header) => {
    expect(parseRetryAfterMs(header, NOW)).toBeUndefined();
  });
});

describe('retryDelayMs', () => {
  it('waits at least what Retry-After asks, even above maxDelayMs', () => {
    expect(retryDelayMs(1, settings, () => 0, 30_000)).toBe(30_000);
  });

  it('keeps the larger jittered backoff when Retry-After is shorter', () => {
    expect(retryDelayMs(4, settings, () => 0.5, 100)).toBe(800);
  });

  it('is the plain backoff without Retry-After', () => {
    expect(retryDelayMs(2, settings, () => 0.5)).toBe(200);
  });

  it('is never below Retry-After nor below the backoff (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 0, max: 600_000 }),
        (attempt, draw, asked) => {
          const delay = retryDelayMs(attempt, settings, () => draw, asked);
          return delay >= asked && delay >= backoffDelayMs(attempt, settings, () => draw);
        },
      ),
    );
  });
});

describe('canRetry', () => {
  const budget = { maxAttempts: 3, maxRetryTimeMs: 1000 };

  it('allows another attempt while attempts and time remain', () => {
    expect(canRetry(1, 0, 500, budget)).toBe(true);
    expect(canRetry(2, 500, 500, budget)).toBe(true);
  });

  it('stops when the attempts are used up', () => {
    expect(canRetry(3, 0, 0, budget)).toBe(false);
  });

  it('stops when the wait would pass the time budget', () => {
    expect(canRetry(1, 600, 401, budget)).toBe(false);
  });
});

describe('what is worth retrying', () => {
  it.each([429, 502, 503, 504])('retries status %i', (status) => {
    expect(isRetryableStatus(status)).toBe(true);
  });

  it.each([200, 201, 400, 401, 403, 404, 409, 500, 501])('does not retry status %i', (status) => {
    expect(isRetryableStatus(status)).toBe(false);
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN'])('retries network error %s', (code) => {
    expect(isTransientNetworkError(Object.assign(new Error('boom'), { code }))).toBe(true);
  });

  it('retries "socket hang up" and timeouts', () => {
    expect(isTransientNetworkError(new Error('socket hang up'))).toBe(true);
    const timeout = new Error('late');
    timeout.name = 'TimeoutError';
    expect(isTransientNetworkError(timeout)).toBe(true);
  });

  it('does not retry certificate failures, unknown hosts or non-errors', () => {
    expect(isTransientNetworkError(Object.assign(new Error('self-signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }))).toBe(
      false,
    );
    expect(isTransientNetworkError(Object.assign(new Error('nope'), { code: 'ENOTFOUND' }))).toBe(false);
    expect(isTransientNetworkError('ECONNRESET')).toBe(false);
  });
});

describe('TokenCache', () => {
  function setup(lifetimeMs = 3_600_000) {
    let now = 1_000_000;
    let issued = 0;
    let release: (() => void) | undefined;
    let hold = false;
    const cache = new TokenCache(
      async () => {
        issued += 1;
        if (hold) await new Promise<void>((resolve) => (release = resolve));
        return { accessToken: `token-${issued}`, lifetimeMs };
      },
      () => now,
    );
    return {
      cache,
      issued: () => issued,
      advance: (ms: number) => (now += ms),
      holdNext: () => (hold = true),
      release: () => {
        hold = false;
        release?.();
      },
    };
  }

  it('reuses the token until 60 s before it expires', async () => {
    const t = setup();
    expect(await t.cache.get()).toBe('token-1');
    t.advance(3_600_000 - 60_001);
    expect(await t.cache.get()).toBe('token-1');
    t.advance(1);
    expect(await t.cache.get()).toBe('token-2');
  });

  it('refreshes short-lived tokens at half their lifetime', async () => {
    const t = setup(10_000);
    await t.cache.get();
    t.advance(4_999);
    expect(await t.cache.get()).toBe('token-1');
    t.advance(1);
    expect(await t.cache.get()).toBe('token-2');
  });

  it('lets concurrent callers share one request', async () => {
    const t = setup();
    t.holdNext();
    const waiting = [t.cache.get(), t.cache.get(), t.cache.get()];
    t.release();
    expect(await Promise.all(waiting)).toEqual(['token-1', 'token-1', 'token-1']);
    expect(t.issued()).toBe(1);
  });

  it('invalidates only the token that failed', async () => {
    const t = setup();
    await t.cache.get();
    t.cache.invalidate('token-1');
    expect(await t.cache.get()).toBe('token-2');
    t.cache.invalidate('token-1');
    expect(await t.cache.get()).toBe('token-2');
  });

  it('tries again after a failed token request', async () => {
    let calls = 0;
    const cache = new TokenCache(async () => {
      calls += 1;
      if (calls === 1) throw new Error('down');
      return { accessToken: 'ok', lifetimeMs: 60_000 };
    });
    await expect(cache.get()).rejects.toThrow('down');
    expect(await cache.get()).toBe('ok');
  });
});
