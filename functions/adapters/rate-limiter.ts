/** A limit on calls per second, kept by making each caller wait for its turn. */

/** Where the limiter reads the time and waits: the real clock in production, a fake one in tests. */
export interface Timer {
  /** Epoch milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realTimer: Timer = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

const WINDOW_MS = 1000;

/**
 * At most `perSecond` calls start in any window of one second. Callers are served in the order they ask, so
 * concurrent callers share the rate instead of racing for it.
 */
export class RateLimiter {
  /** Start times of the calls of the last second, oldest first. */
  private readonly recent: number[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly perSecond: number,
    private readonly timer: Timer = realTimer,
  ) {
    if (!Number.isInteger(perSecond) || perSecond < 1) throw new RangeError(`perSecond must be a positive integer, got ${perSecond}`);
  }

  /** Resolves when the caller may start its call. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.waitForSlot());
    this.queue = turn;
    return turn;
  }

  private async waitForSlot(): Promise<void> {
    for (;;) {
      const now = this.timer.now();
      while (this.recent.length > 0 && (this.recent[0] ?? now) <= now - WINDOW_MS) this.recent.shift();
      const oldest = this.recent[0];
      if (oldest === undefined || this.recent.length < this.perSecond) {
        this.recent.push(now);
        return;
      }
      await this.timer.sleep(oldest + WINDOW_MS - now);
    }
  }
}
