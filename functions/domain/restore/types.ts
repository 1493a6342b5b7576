/**
 * The payloads that travel between the states of the restore workflow. Like the rotation payloads they are small
 * and never hold a secret: items are secret names, results are outcomes. Each type is read off the schema that
 * validates it (./schemas, where the fields are documented).
 */
import type { Payload } from '../payload';
import type {
  finishRestoreSchema,
  prepareRestoreSchema,
  restoreCursorSchema,
  restoreFailureSchema,
  restoreItemResultSchema,
  restoreItemSchema,
  restoreReportEntrySchema,
  restoreRunSchema,
  restoreSegmentSchema,
  restoreStateSchema,
  restoreSummarySchema,
} from './schemas';

/** What happened (or, in a dry run, would happen) to one credential secret. */
export const RESTORE_OUTCOMES = [
  'restored',
  'would-restore',
  'secret-restored',
  'secret-mismatch',
  'already-present',
  'app-missing',
  'no-value',
  'failed',
] as const;
export type RestoreOutcome = (typeof RESTORE_OUTCOMES)[number];

export type PrepareRestoreEvent = Payload<typeof prepareRestoreSchema>;
export type RestoreRun = Payload<typeof restoreRunSchema>;
export type RestoreCursor = Payload<typeof restoreCursorSchema>;
export type RestoreItem = Payload<typeof restoreItemSchema>;
export type RestoreItemResult = Payload<typeof restoreItemResultSchema>;
export type RestoreReportEntry = Payload<typeof restoreReportEntrySchema>;
export type RestoreFailure = Payload<typeof restoreFailureSchema>;
export type RestoreSummary = Payload<typeof restoreSummarySchema>;
export type RestoreSegment = Payload<typeof restoreSegmentSchema>;
export type RestoreState = Payload<typeof restoreStateSchema>;
export type FinishRestoreEvent = Payload<typeof finishRestoreSchema>;

/**
 * The restore execution's own state. Secrets Manager's pages follow one another by NextToken, so segments run one
 * after the other: the next one waits here alone, in the list a Distributed Map takes.
 */
export interface PreparedRestore {
  readonly run: RestoreRun;
  readonly segments: readonly [RestoreSegment];
}

export type RestorePageOutput = RestoreState & {
  /** Names of the secrets on this page that are in scope. */
  readonly items: readonly string[];
};
