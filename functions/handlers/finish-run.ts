import { finishRun } from '../domain/workflow/finish';
import { finishRunSchema } from '../domain/workflow/schemas';
import { logger } from '../runtime/observability';
import { stepHandler } from '../runtime/step-handler';

export const handler = stepHandler({
  step: 'finish-run',
  input: finishRunSchema,
  run: (ports, input, { deadline }) =>
    finishRun({ ...ports, clock: { now: () => new Date() }, log: (message, fields) => logger.info(message, fields) }, input, deadline),
  measure: ({ summary }) => ({
    CredentialsScanned: summary.credentialsScanned,
    AppsFailed: summary.appsFailed,
    SegmentsFailed: summary.segmentsFailed ?? 0,
    DeletionsHeld: summary.deletionsHeld,
    NoticesSent: summary.notices.sent,
    NoticesFailed: summary.notices.failed,
  }),
});
