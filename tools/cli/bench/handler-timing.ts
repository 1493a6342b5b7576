/**
 * Sums the wall time of every Lambda handler invocation, by adding a middleware to each handler's middy instance
 * (the same module instances the local runner calls). Billed Lambda duration is estimated from it.
 */
import type { Context } from 'aws-lambda';
import { STEP_IDS } from '../../../functions/steps';
import { handlerModuleUrl } from '../../runner/workflow-runner';

interface TimedRequest {
  readonly context: Context;
}

interface MiddyHandler {
  use(middleware: {
    before?: (request: TimedRequest) => void;
    after?: (request: TimedRequest) => void;
    onError?: (request: TimedRequest) => void;
  }): unknown;
}

export class HandlerTiming {
  private totalMs = 0;
  private invocations = 0;
  private readonly started = new Map<string, number>();

  static async attach(): Promise<HandlerTiming> {
    const timing = new HandlerTiming();
    for (const step of STEP_IDS) {
      const module = (await import(handlerModuleUrl(step))) as { handler?: MiddyHandler };
      if (!module.handler || typeof module.handler.use !== 'function') throw new Error(`the ${step} handler is no middy handler`);
      const finish = (request: TimedRequest) => timing.finish(request.context.awsRequestId);
      module.handler.use({
        before: (request) => void timing.started.set(request.context.awsRequestId, performance.now()),
        after: finish,
        onError: finish,
      });
    }
    return timing;
  }

  /** Counts since the last call, then starts counting afresh. */
  take(): { readonly invocations: number; readonly totalMs: number } {
    const taken = { invocations: this.invocations, totalMs: this.totalMs };
    this.invocations = 0;
    this.totalMs = 0;
    return taken;
  }

  private finish(requestId: string): void {
    const start = this.started.get(requestId);
    if (start === undefined) return;
    this.started.delete(requestId);
    this.invocations += 1;
    this.totalMs += performance.now() - start;
  }
}
