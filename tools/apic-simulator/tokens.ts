/** Bearer tokens with a wall-clock lifetime (the simulator clock only drives APIC timestamps). */
import { randomBytes } from 'node:crypto';

export class TokenIssuer {
  private readonly expiries = new Map<string, number>();

  constructor(
    readonly ttlSeconds: number,
    private readonly recordSecret: (secret: string) => void,
  ) {}

  issue(): string {
    const token = randomBytes(32).toString('base64url');
    this.expiries.set(token, Date.now() + this.ttlSeconds * 1000);
    this.recordSecret(token);
    return token;
  }

  isValid(token: string): boolean {
    const expiry = this.expiries.get(token);
    if (expiry === undefined) return false;
    if (Date.now() < expiry) return true;
    this.expiries.delete(token);
    return false;
  }

  expireAll(): void {
    this.expiries.clear();
  }

  /** Every token issued and not yet seen expired, with its wall-clock expiry (ms). */
  snapshot(): Array<[string, number]> {
    return [...this.expiries];
  }

  restore(entries: ReadonlyArray<readonly [string, number]>): void {
    this.expiries.clear();
    for (const [token, expiry] of entries) this.expiries.set(token, expiry);
  }
}
