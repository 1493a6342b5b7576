export { buildReport, type BuildReportInput, type BuiltReport, type ReportManifest } from './build';
export { ReportFormatError, parseJsonLines, toCsv, toJsonLines } from './format';
export {
  ReportStoreError,
  S3ReportStore,
  encodeKeySegment,
  partFileName,
  partsPrefix,
  reportKeys,
  type ReportFiles,
  type ReportKeys,
  type ReportStorePort,
  type S3ReportStoreOptions,
} from './report-store';
export {
  REPORT_COLUMNS,
  actionLabel,
  ownerKey,
  quietAppRows,
  reportRows,
  type QuietAppRowsInput,
  type ReportRow,
  type ReportRowsInput,
} from './rows';
