/**
 * The payloads that travel between the states of the rotation workflow. They are small by design
 * (Step Functions caps a payload at 256 KiB) and never hold a secret. Each type is read off the schema that
 * validates it (./schemas, where the fields are documented); the outputs no step parses are built from those.
 */
import type * as z from 'zod';
import type { Payload } from '../payload';
import type { RotationAction, RotationActionKind } from '../policy';
import type {
  ActionInputSchema,
  actionResultSchema,
  appContextSchema,
  appFailureSchema,
  appResultSchema,
  buildReportSchema,
  failedSegmentSchema,
  finishRunSchema,
  noticeDeliverySchema,
  prepareRunSchema,
  runContextSchema,
  runSummarySchema,
  scanCursorSchema,
  scanStateSchema,
  segmentResultSchema,
  undeliverableNoticeSchema,
  workItemSchema,
} from './schemas';

/** Everything a step needs to know about the run; decided once by PrepareRun from the execution input and config. */
export type RunContext = Payload<typeof runContextSchema>;
export type ScanCursor = Payload<typeof scanCursorSchema>;
export type WorkItem = Payload<typeof workItemSchema>;
export type AppContext = Payload<typeof appContextSchema>;
export type ActionResult = Payload<typeof actionResultSchema>;
export type AppResult = Payload<typeof appResultSchema>;
export type AppFailure = Payload<typeof appFailureSchema>;
export type RunSummary = Payload<typeof runSummarySchema>;
export type ScanState = Payload<typeof scanStateSchema>;
export type NoticeDelivery = Payload<typeof noticeDeliverySchema>;
export type FailedSegment = Payload<typeof failedSegmentSchema>;
export type SegmentResult = Payload<typeof segmentResultSchema>;
export type UndeliverableNotice = Payload<typeof undeliverableNoticeSchema>;

export type PrepareRunEvent = Payload<typeof prepareRunSchema>;
export type FinishRunInput = Payload<typeof finishRunSchema>;
export type BuildReportInput = Payload<typeof buildReportSchema>;
export type ActionInput<Kind extends RotationActionKind = RotationActionKind> = Payload<ActionInputSchema<Kind>>;
/**
 * `ActionInput<Kind>` as parsed, before it is read as readonly: the step factory, generic in the kind, takes this
 * (the compiler cannot relate a deferred `DeepReadonly` to its argument); each action function, for its own kind, is
 * then checked to accept it.
 */
export type ParsedActionInput<Kind extends RotationActionKind> = z.output<ActionInputSchema<Kind>>;

/** PrepareRun's output: the run, its segments (each the starting cursor of one child execution) and an empty summary. */
export interface PreparedRun {
  readonly run: RunContext;
  readonly segments: readonly ScanCursor[];
  readonly summary: RunSummary;
}

export type ScanOutput = ScanState & { readonly items: readonly WorkItem[] };

export interface Assessment {
  readonly app: AppContext;
  readonly actions: readonly RotationAction[];
  /** The kinds of `actions` alone: what a dry run reports, without the payload the full actions would take. */
  readonly plan: ReadonlyArray<{ readonly kind: RotationActionKind }>;
}
