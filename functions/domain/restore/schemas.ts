/**
 * Boundary validation of every restore step's input: a malformed payload fails with the field named. The restore
 * payload types (./types) are read off these schemas.
 */
import * as z from 'zod';
import { heldLeasesSchema } from '../lease/schema';
import { RESTORE_OUTCOMES } from './types';

const name = z.string().min(1);
const count = z.number().int().nonnegative();
const doneOutcome = z.enum(RESTORE_OUTCOMES).exclude(['failed']);

/** Decided once by PrepareRestore. */
export const restoreRunSchema = z.object({
  runId: name,
  dryRun: z.boolean(),
  secretPrefix: name,
  /**
   * The secret name prefixes to list, as two lists whose product they are: scope `i` is
   * `targetScopes[⌊i / narrowings.length⌋] + narrowings[i mod narrowings.length]` (see `scopeAt`). A target scope is
   * `<secretPrefix>/<providerOrg>/<catalog>/`; a narrowing is `''`, or `<consumerOrg>/` or `<consumerOrg>/<app>/` when
   * the input filters. Each scope ends in `/`, so a listing never strays into a neighbour whose name merely starts
   * the same way. Kept apart, the payload grows with targets plus filter entries rather than their product, which
   * at 50 targets and a 100-app filter would pass Step Functions' 256 KiB.
   */
  targetScopes: z.array(name),
  narrowings: z.array(z.string()).min(1),
  /** The lease keys of the restored targets, taken when the restore is not a dry run. */
  leaseKeys: z.array(name).optional(),
  /** The run leases it holds (see docs/design.md "Run lease"). */
  lease: heldLeasesSchema.optional(),
});

/** Where the listing resumes. */
export const restoreCursorSchema = z.object({
  scopeIndex: count,
  /** Secrets Manager's token for the next page of scope `scopeIndex` (see `restoreRunSchema`). */
  nextToken: z.string().optional(),
  done: z.boolean(),
});

/** What RestoreCredential returns, or the Catch turns a failure into. */
export const restoreItemResultSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('done'),
    secretName: name,
    outcome: doneOutcome,
    /** Set when the stored name was taken by another credential and the credential got another name. */
    restoredAs: name.optional(),
  }),
  z.object({
    status: z.literal('failed'),
    secretName: name,
    /** The error's name. */
    error: z.string(),
    /** Its message, cut short; absent when the step could not report the failure itself (e.g. a timeout). */
    cause: z.string().optional(),
  }),
]);

export const restoreReportEntrySchema = z.object({
  providerOrg: z.string(),
  catalog: z.string(),
  consumerOrg: z.string(),
  app: z.string(),
  credential: z.string(),
  outcome: doneOutcome,
  restoredAs: z.string().optional(),
});

export const restoreFailureSchema = z.object({ secretName: z.string(), error: z.string(), reason: z.string().optional() });

/** The execution output: counts per outcome, and the first results and failures by name (never a secret). */
export const restoreSummarySchema = z.object({
  runId: z.string(),
  dryRun: z.boolean(),
  secretsInScope: count,
  outcomes: z.record(z.enum(RESTORE_OUTCOMES), count),
  results: z.array(restoreReportEntrySchema),
  resultsNotListed: count,
  failures: z.array(restoreFailureSchema),
  failuresNotListed: count,
});

export const prepareRestoreSchema = z.object({ input: z.unknown(), executionName: name, executionArn: name.optional() });

/** What one segment of the listing hands to the next: where the listing goes on, and the summary so far. */
export const restoreSegmentSchema = z.object({ cursor: restoreCursorSchema, summary: restoreSummarySchema });

/** The state of a segment's child execution, from one page to the next. */
export const restoreStateSchema = z.object({
  run: restoreRunSchema,
  cursor: restoreCursorSchema,
  summary: restoreSummarySchema,
  /** The previous page's per-secret results, folded into the summary by the next step. */
  lastResults: z.array(restoreItemResultSchema),
  /** Pages the segment may still list; at 0 it ends and hands its cursor on (this bounds its history). */
  pagesLeft: count,
});

export const finishRestoreSchema = z.object({ run: restoreRunSchema, summary: restoreSummarySchema });

/** One child of the per-page Map: the secret to restore from. */
export const restoreItemSchema = z.object({ dryRun: z.boolean(), secretPrefix: name, secretName: name });
