/** Decides, per request and before routing, whether to answer with a fault instead of (or after) the real answer. */
import type { SeededRandom } from './random';
import type { FaultConfig, RouteMatch } from './types';

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'fail'; status: number }
  | { kind: 'throttle'; retryAfterSeconds: number }
  | { kind: 'drop'; afterCommit: boolean };

export interface QueuedFault {
  match: RouteMatch;
  remaining: number;
  decision: Exclude<FaultDecision, { kind: 'none' }>;
}

export interface FaultInjectorSnapshot {
  readonly config: FaultConfig;
  readonly queued: QueuedFault[];
}

const DEFAULT_ERROR_STATUS = 503;
const DEFAULT_RETRY_AFTER_SECONDS = 1;

export class FaultInjector {
  private config: FaultConfig = {};
  private queued: QueuedFault[] = [];

  constructor(private readonly random: SeededRandom) {}

  set(config: FaultConfig): void {
    this.config = { ...config };
  }

  clear(): void {
    this.config = {};
    this.queued = [];
  }

  enqueue(match: RouteMatch, count: number, decision: QueuedFault['decision']): void {
    if (count > 0) this.queued.push({ match: { ...match }, remaining: count, decision });
  }

  /** The configuration and the queued one-shot faults, as plain data. */
  snapshot(): FaultInjectorSnapshot {
    return structuredClone({ config: this.config, queued: this.queued });
  }

  restore(snapshot: FaultInjectorSnapshot): void {
    const copy = structuredClone(snapshot);
    this.config = copy.config;
    this.queued = copy.queued;
  }

  latencyMs(): number {
    const jitter = this.config.latencyJitterMs ?? 0;
    return (this.config.latencyMs ?? 0) + (jitter > 0 ? this.random.next() * jitter : 0);
  }

  /** One-shot faults win over random ones; the first queued fault that matches is consumed. */
  decide(method: string, routeKey: string, mutates: boolean): FaultDecision {
    const queued = this.queued.find((fault) => matches(fault.match, method, routeKey));
    if (queued) {
      queued.remaining -= 1;
      if (queued.remaining === 0) this.queued = this.queued.filter((fault) => fault !== queued);
      return queued.decision;
    }
    return this.decideRandomly(routeKey, mutates);
  }

  private decideRandomly(routeKey: string, mutates: boolean): FaultDecision {
    const { throttleRate = 0, errorRate = 0, dropRate = 0 } = this.config;
    if (throttleRate > 0 && this.random.next() < throttleRate) {
      return { kind: 'throttle', retryAfterSeconds: this.config.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS };
    }
    const routeErrorRate = typeof errorRate === 'number' ? errorRate : (errorRate[routeKey] ?? 0);
    if (routeErrorRate > 0 && this.random.next() < routeErrorRate) {
      return { kind: 'fail', status: DEFAULT_ERROR_STATUS };
    }
    if (dropRate > 0 && this.random.next() < dropRate) {
      return { kind: 'drop', afterCommit: mutates && this.random.next() < 0.5 };
    }
    return { kind: 'none' };
  }
}

function matches(match: RouteMatch, method: string, routeKey: string): boolean {
  return (
    (match.method === undefined || match.method.toUpperCase() === method) &&
    (match.route === undefined || match.route === routeKey)
  );
}
