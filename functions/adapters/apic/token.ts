/** The bearer token cache: one token shared by all calls, refreshed shortly before it expires or when APIC rejects it. */

export interface IssuedToken {
  readonly accessToken: string;
  readonly lifetimeMs: number;
}

/** Refresh this long before expiry so a token never expires in flight (at most half the lifetime). */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;

export class TokenCache {
  private cached?: { token: string; refreshAtMs: number };
  private inFlight?: Promise<string>;

  /** `nowMs` is the real clock on purpose: token lifetimes are wall-clock, even when the rotation clock is simulated. */
  constructor(
    private readonly issue: () => Promise<IssuedToken>,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** The cached token, or a new one; concurrent callers share a single token request. */
  get(): Promise<string> {
    if (this.cached && this.nowMs() < this.cached.refreshAtMs) return Promise.resolve(this.cached.token);
    this.inFlight ??= this.refresh().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Drops `token` if it is still the cached one (callers that already hold a newer token keep it). */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  private async refresh(): Promise<string> {
    const requestedAt = this.nowMs();
    const issued = await this.issue();
    const margin = Math.min(TOKEN_REFRESH_MARGIN_MS, issued.lifetimeMs / 2);
    this.cached = { token: issued.accessToken, refreshAtMs: requestedAt + issued.lifetimeMs - margin };
    return issued.accessToken;
  }
}
