import { parseExecutionInput, type RotatorConfig } from '../config';
import { emptySummary } from './summary';
import type { RunContext, ScanState } from './types';

export interface PrepareRunEvent {
  /** The execution input as started by the schedule or by hand in the console. */
  readonly input: unknown;
  readonly executionName: string;
  readonly executionStartTime: string;
}

/**
 * The PrepareRun step: validates the execution input against the deployed config and fixes the run's clock,
 * policy and scope once, so every later step decides from the same facts.
 */
export function prepareRun(config: RotatorConfig, event: PrepareRunEvent, allowClockOverride: boolean): ScanState {
  const resolved = parseExecutionInput(event.input, config, {
    allowClockOverride,
    executionStartTime: event.executionStartTime,
  });
  const run: RunContext = {
    runId: event.executionName,
    now: resolved.now,
    dryRun: resolved.dryRun,
    trigger: resolved.trigger,
    targets: resolved.targets,
    policy: resolved.policy,
    consumerOrgOverrides: resolved.consumerOrgOverrides,
    filter: resolved.filter,
    pageSize: config.pageSize,
  };
  return {
    run,
    cursor: { targetIndex: 0, offset: 0, consumerOrgIndex: 0, done: run.targets.length === 0 },
    summary: emptySummary(run),
    lastResults: [],
  };
}
