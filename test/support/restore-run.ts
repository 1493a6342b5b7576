/**
 * Running the restore definition against a local stack, and what the restore tests look at: APIC mutations by
 * route, and every text a run produced (logs, state payloads, the summary) for the secret scan.
 */
import type { RestoreSummary } from '../../functions/domain/restore';
import type { LocalEnvironment } from '../../tools/runner/local-environment';
import type { LocalRunResult } from '../../tools/runner/workflow-runner';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { CollectedText } from './e2e-observe';

export class RestoreRunner {
  /** Every log line, state payload and summary of every run so far. */
  readonly collected: CollectedText[] = [];
  private runs = 0;

  constructor(
    private readonly stack: LocalEnvironment,
    private readonly definition: StateMachineDefinition,
  ) {}

  /** `options.definition` replaces the runner's own for this run (e.g. with smaller segments). */
  async run(
    input: Record<string, unknown>,
    options: { readonly definition?: StateMachineDefinition; readonly onStateEntered?: (state: string) => void } = {},
  ): Promise<LocalRunResult<RestoreSummary>> {
    this.runs += 1;
    const label = `restore run ${this.runs}`;
    const result = await this.stack.runRestore({
      definition: options.definition ?? this.definition,
      ...(options.onStateEntered && { onStateEntered: options.onStateEntered }),
      input,
      onLogLine: (text) => this.collected.push({ source: `log line of ${label}`, text }),
      recordPayloads: (text) => this.collected.push({ source: `payload of ${label}`, text }),
    });
    this.collected.push({ source: `result of ${label}`, text: JSON.stringify(result) });
    return result;
  }
}

/** APIC calls that change something, by route: everything but reads, token requests and verify-client-secret. */
export function apicMutations(counters: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counters).filter(([route, count]) => count > 0 && !route.startsWith('GET ') && route !== 'POST /token' && !route.endsWith('/verify-client-secret')),
  );
}
