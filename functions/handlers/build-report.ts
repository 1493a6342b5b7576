import { buildReportSchema } from '../domain/workflow/schemas';
import { buildRunReport } from '../domain/workflow/report';
import { stepHandler } from '../runtime/step-handler';

export const handler = stepHandler({
  step: 'build-report',
  input: buildReportSchema,
  run: (ports, input) => buildRunReport(ports, input),
  measure: (summary) => ({ ReportRows: summary.report?.rows ?? 0 }),
});
