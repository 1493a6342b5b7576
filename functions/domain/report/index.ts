export { buildReport, type BuildReportInput, type BuiltReport, type ReportManifest } from './build';
export { ReportFormatError, parseJsonLine, parseJsonLines, toCsv, toJsonLines } from './format';
export { REPORT_PREFIX, encodeKeySegment, partFileName, partsPrefix, reportKeys, sortedRunKey, type ReportFileKind, type ReportKeys } from './keys';
export {
  FAILED_ACTION,
  REPORT_COLUMNS,
  actionLabel,
  ownerKey,
  postRunReportRows,
  quietAppRows,
  reportRows,
  type PostRunRowsInput,
  type QuietAppRowsInput,
  type ReportRow,
  type ReportRowsInput,
} from './rows';
export { AGE_BUCKET_DAYS, UPCOMING_DAYS, ageHistogram, attentionReason, escapeHtml, renderHtmlReport, type HtmlReportInput } from './html';
export { UPLOAD_PART_BYTES } from './upload';
