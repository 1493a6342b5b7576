/**
 * Boundary validation of every step's input. A malformed payload (a hand-edited redrive, a definition drift)
 * fails fast with the field named, before anything is read or written. The payload types (./types) are read off
 * these schemas, so what a step parses is exactly what the domain function it runs takes.
 */
import * as z from 'zod';
import { NOTICE_KINDS } from '../model';
import type { CredentialRef, RotationAction, RotationActionKind } from '../policy';
import { heldLeasesSchema } from '../lease/schema';

const name = z.string().min(1);
const isoInstant = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO-8601 date-time');
const count = z.number().int().nonnegative();

const target = z.object({ providerOrg: name, catalog: name });

export const runContextSchema = z.object({
  /** The execution name: names the run's report and makes retried steps reuse their idempotency tokens. */
  runId: name,
  /** ISO-8601 instant every age is measured against. */
  now: isoInstant,
  dryRun: z.boolean(),
  trigger: z.string(),
  targets: z.array(target),
  policy: z.object({
    expiryDays: z.number().int(),
    deletionDays: z.number().int(),
    warnDays: z.number().int(),
    replacementSuffix: name,
  }),
  consumerOrgOverrides: z.record(
    z.string(),
    z.object({
      expiryDays: z.number().int().optional(),
      deletionDays: z.number().int().optional(),
      warnDays: z.number().int().optional(),
      exempt: z.boolean().optional(),
      readsSecretsManager: z.boolean().optional(),
    }),
  ),
  filter: z.object({ consumerOrgs: z.array(name).optional(), apps: z.array(name).optional() }),
  pageSize: z.number().int().positive(),
  /** Every app is assessed once in this many days whatever its age (config `verifyEveryDays`); absent or 0: never. */
  verifyEveryDays: count.optional(),
  /** Failures each segment's summary lists, fewer the more segments the run has (absent: `MAX_FAILURES_PER_SEGMENT`). */
  failuresPerSegment: count.optional(),
  /** Emergency rotation (`rotateNow`): the credentials replaced in this run whatever their age. */
  emergency: z
    .object({
      credentials: z.array(z.object({ consumerOrg: name, app: name, credential: name })),
      graceHours: z.number().int().nonnegative(),
      confirmRevoke: z.boolean(),
    })
    .optional(),
  /** The run leases it holds (non-dry runs; see docs/design.md "Run lease"). */
  lease: heldLeasesSchema.optional(),
});

/**
 * Where a segment's scan resumes. A segment covers one target's listing from `offset` up to `end` (to the end of the
 * listing when absent). `consumerOrgIndex` is used only when the run is filtered to consumer orgs.
 */
export const scanCursorSchema = z.object({
  targetIndex: count,
  offset: count,
  end: count.optional(),
  consumerOrgIndex: count,
  done: z.boolean(),
});

/** An app the scan found needing attention; the assessment re-reads it so decisions use fresh data. */
export const workItemSchema = z.object({ targetIndex: count, consumerOrg: name, app: name });

/** The app as the action steps address it. */
export const appContextSchema = z.object({
  providerOrg: name,
  catalog: name,
  consumerOrg: name,
  app: name,
  targetIndex: count,
  ownerEmail: z.string().optional(),
});

const credentialRef = z.object({ id: name, name, title: z.string(), clientId: name }) satisfies z.ZodType<CredentialRef>;
const actionBase = { base: name, cycleId: name };

/** One schema per action kind, each mirroring its `RotationAction` variant (the policy's type, documented there). */
export const rotationActionSchemas = {
  'create-replacement': z.object({
    kind: z.literal('create-replacement'),
    ...actionBase,
    original: credentialRef,
    replacementName: name,
    replacementTitle: z.string(),
    emergency: z.object({ graceHours: z.number().int().nonnegative(), confirmRevoke: z.boolean() }).optional(),
  }),
  'finish-replacement': z.object({ kind: z.literal('finish-replacement'), ...actionBase, replacement: credentialRef }),
  'repair-replacement': z.object({ kind: z.literal('repair-replacement'), ...actionBase, replacement: credentialRef, original: credentialRef.optional() }),
  'delete-original': z.object({ kind: z.literal('delete-original'), ...actionBase, original: credentialRef, replacement: credentialRef }),
  'rename-replacement': z.object({ kind: z.literal('rename-replacement'), ...actionBase, replacement: credentialRef, name, title: z.string() }),
  'hold-deletion': z.object({ kind: z.literal('hold-deletion'), ...actionBase, original: credentialRef, reason: z.string() }),
  'queue-notice': z.object({
    kind: z.literal('queue-notice'),
    ...actionBase,
    notice: z.enum(NOTICE_KINDS),
    credentialName: name,
    dueDate: z.string().optional(),
    reason: z.string().optional(),
    emergency: z.object({ graceHours: z.number().int().nonnegative(), confirmRevoke: z.boolean() }).optional(),
  }),
} satisfies { readonly [Kind in RotationActionKind]: z.ZodType<Extract<RotationAction, { kind: Kind }>> };

/** Every action kind, read off the schemas above. */
const actionKind = z.object(rotationActionSchemas).keyof();

/** Kept small: every app's results of a page travel in one payload. */
export const actionResultSchema = z.object({ kind: actionKind, outcome: z.string() });

export const appResultSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('done'), item: workItemSchema, actions: z.array(actionResultSchema) }),
  z.object({ status: z.literal('planned'), item: workItemSchema, actions: z.array(z.object({ kind: actionKind })) }),
  z.object({ status: z.literal('failed'), item: workItemSchema, error: z.string(), cause: z.string().optional() }),
]);

export const appFailureSchema = z.object({
  providerOrg: z.string(),
  catalog: z.string(),
  consumerOrg: z.string(),
  app: z.string(),
  error: z.string(),
  cause: z.string().optional(),
});

/** A notice no one could be sent (see FinishRun): where it belongs, its kind and why. */
export const undeliverableNoticeSchema = z.object({ consumerOrg: z.string(), app: z.string(), credential: z.string(), kind: z.string(), reason: z.string() });

/** A credential a dry run would act on: where it is and the actions (`action` as in the report, joined with '+'). */
export const plannedCredentialSchema = z.object({ consumerOrg: z.string(), app: z.string(), credential: z.string(), action: z.string() });

/**
 * A segment the run could not finish: its scan or its map of apps failed after every retry. Where it stopped (when
 * the segment's own execution caught the failure) and the error's name, never its cause (a stack or APIC's words).
 */
export const failedSegmentSchema = z.object({
  providerOrg: z.string().optional(),
  catalog: z.string().optional(),
  /** The listing offset the segment had reached, and where it would have ended (absent: the end of the listing). */
  stoppedAt: count.optional(),
  end: count.optional(),
  /** The consumer org it was scanning, in a run filtered to consumer orgs. */
  consumerOrg: z.string().optional(),
  error: z.string(),
});

export const runSummarySchema = z.object({
  runId: z.string(),
  now: isoInstant,
  dryRun: z.boolean(),
  pages: count,
  appsScanned: count,
  credentialsScanned: count,
  appsNeedingAttention: count,
  appsDone: count,
  appsPlanned: count,
  appsFailed: count,
  /** Failed apps whose original was kept because its replacement-ready notice never reached anyone. */
  deletionsHeld: count,
  /** Executed actions per kind (planned ones in a dry run). */
  actions: z.record(z.string(), count),
  /** The first failures, each naming the app and why; `failuresNotListed` counts the rest. */
  failures: z.array(appFailureSchema),
  failuresNotListed: count,
  /** Segments that failed for good (set by FinishRun); their apps not reached are retried by the next run. */
  segmentsFailed: count.optional(),
  /** The first failed segments, `MAX_LISTED_FAILED_SEGMENTS` at most. */
  failedSegments: z.array(failedSegmentSchema).optional(),
  /**
   * Notices sent, failed (queued again) and undeliverable; FinishRun lists the first undeliverable ones, each naming
   * the consumer org and why, and counts the rest in `undeliverableNotListed`.
   */
  notices: z.object({
    sent: count,
    failed: count,
    undeliverable: count,
    undeliverableNotices: z.array(undeliverableNoticeSchema).optional(),
    undeliverableNotListed: count.optional(),
    /** FinishRun reached its invocation limit with notices still queued: the next run sends them. */
    leftQueued: z.boolean().optional(),
  }),
  /**
   * A dry run's planned actions per credential (set by BuildReport from the report's rows): the first
   * `MAX_LISTED_PLANNED`, in report order; `plannedNotListed` counts the rest, which the report lists.
   */
  planned: z.array(plannedCredentialSchema).optional(),
  plannedNotListed: count.optional(),
  /** Where the run's inventory report was written (set by BuildReport). */
  report: z
    .object({ bucket: z.string(), csvKey: z.string(), jsonKey: z.string(), manifestKey: z.string(), rows: count })
    .optional(),
});

export const scanStateSchema = z.object({
  run: runContextSchema,
  cursor: scanCursorSchema,
  summary: runSummarySchema,
  lastResults: z.array(appResultSchema),
});

/** What a segment's execution returns when it caught a failure of its scan or of its map: where, and the summary so far. */
export const caughtSegmentFailureSchema = z.object({
  failedSegment: z.object({ cursor: scanCursorSchema, error: z.string() }),
  summary: runSummarySchema,
});

/** A segment's execution that failed itself, tolerated by ForEachSegment: Step Functions' error object in its place. */
export const failedSegmentExecutionSchema = z.object({ Error: z.string(), Cause: z.string().optional() });

export const segmentResultSchema = z.union([runSummarySchema, caughtSegmentFailureSchema, failedSegmentExecutionSchema]);

/** Where FinishRun's sending stands between its invocations. */
export const noticeDeliverySchema = z.object({
  /** The page of pending notices the next invocation starts at; absent at the start. */
  pageToken: z.string().optional(),
  /** Invocations so far. */
  invocations: count,
  /** Set by FinishRun: true once no page is left (or the invocation limit is reached). */
  done: z.boolean().optional(),
});

export const finishRunSchema = z.object({
  run: runContextSchema,
  summary: runSummarySchema,
  /** What each segment's child execution returned (empty after the first invocation, which merged them). */
  segmentSummaries: z.array(segmentResultSchema),
  delivery: noticeDeliverySchema,
});

export const prepareRunSchema = z.object({
  /** The execution input as started by the schedule or by hand in the console. */
  input: z.unknown(),
  executionName: name,
  executionStartTime: isoInstant,
  /** The execution's ARN: the run lease names its holder by it, so other runs can ask whether it still runs. */
  executionArn: name.optional(),
});

export const assessAppSchema = z.object({ run: runContextSchema, item: workItemSchema });

/** The input of the action step that runs `kind`: an action of any other kind is refused. */
export function actionInputSchema<Kind extends RotationActionKind>(kind: Kind) {
  return z.object({ run: runContextSchema, app: appContextSchema, action: rotationActionSchemas[kind] });
}

export type ActionInputSchema<Kind extends RotationActionKind> = ReturnType<typeof actionInputSchema<Kind>>;

export const buildReportSchema = z.object({ run: runContextSchema, summary: runSummarySchema });
