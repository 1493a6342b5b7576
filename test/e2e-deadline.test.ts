/**
 * The step deadline end to end: a step's Lambda context says how long it has left, the step handler turns it into a
 * deadline, and the APIC client gives up at that deadline with a retryable error of its own instead of running on
 * until Lambda would stop it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { INVOCATION_SAFETY_MARGIN_MS } from '../functions/runtime/step-handler';
import { startLocalEnvironment, type LocalEnvironment } from '../tools/runner/local-environment';
import { acmeProdSeed } from './support/acme-seed';

const NOW = new Date('2025-03-01T03:00:00Z');

let env: LocalEnvironment | undefined;

afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe('step deadline', () => {
  it('makes the APIC client give up with ApicUnavailableError when APIC answers slower than the Lambda has time left', async () => {
    const seed = acmeProdSeed({ bank: [{ name: 'pay', title: 'Pay', credentials: [{ name: 'key', title: 'Key', ageDays: 90 }] }] });
    env = await startLocalEnvironment({ simulator: { seed, now: NOW, randomSeed: 7 }, randomSeed: 7 });
    // Every answer takes 3 s; each step has 2 s before its deadline (the client's own request timeout is 15 s).
    env.apic.faults.set({ latencyMs: 3000 });
    const states: string[] = [];
    const result = await env.run({ now: NOW, lambdaTimeoutMs: INVOCATION_SAFETY_MARGIN_MS + 2000, onStateEntered: (state) => states.push(state) });
    expect(result.status).toBe('FAILED');
    expect(result.error).toMatch(/no answer after 1 attempt\(s\)/);
    // PrepareRun, retried by Step Functions on the client's retryable error, never got further.
    expect(states).toEqual(['PrepareRun', 'RunFailed']);
  });
});
