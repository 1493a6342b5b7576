import { finishRun } from '../domain/workflow/finish';
import { finishRunSchema } from '../domain/workflow/schemas';
import { renewHeldLeases } from '../runtime/lease';
import { logger } from '../runtime/observability';
import { stepHandler } from '../runtime/step-handler';

export const handler = stepHandler({
  step: 'finish-run',
  input: finishRunSchema,
  run: async (ports, input, { deadline }) => {
    // Every invocation renews the run lease (the loop may outlast its TTL): a run that lost it sends nothing more.
    await renewHeldLeases(ports, input.run.lease);
    return finishRun({ ...ports, clock: { now: () => new Date() }, log: (message, fields) => logger.info(message, fields) }, input, deadline);
  },
  // FinishRun runs once per batch: the run's counts are published by the first invocation (so the alarms fire even if
  // a later one fails), the notice totals by the last, each once.
  measure: ({ summary, delivery }) => {
    const first = delivery.invocations === 1;
    const last = delivery.done === true;
    return {
      CredentialsScanned: first ? summary.credentialsScanned : undefined,
      AppsFailed: first ? summary.appsFailed : undefined,
      SegmentsFailed: first ? (summary.segmentsFailed ?? 0) : undefined,
      DeletionsHeld: first ? summary.deletionsHeld : undefined,
      NoticesSent: last ? summary.notices.sent : undefined,
      NoticesFailed: last ? summary.notices.failed : undefined,
    };
  },
});
