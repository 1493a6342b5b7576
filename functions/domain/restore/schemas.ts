/** Boundary validation of every restore step's input: a malformed payload fails with the field named. */
import * as z from 'zod';
import { RESTORE_OUTCOMES } from './types';

const name = z.string().min(1);
const count = z.number().int().nonnegative();
const doneOutcome = z.enum(RESTORE_OUTCOMES).exclude(['failed']);

const run = z.object({ runId: name, dryRun: z.boolean(), secretPrefix: name, scopes: z.array(name) });

const itemResult = z.discriminatedUnion('status', [
  z.object({ status: z.literal('done'), secretName: name, outcome: doneOutcome, restoredAs: name.optional() }),
  z.object({ status: z.literal('failed'), secretName: name, error: z.string(), cause: z.string().optional() }),
]);

const located = { providerOrg: z.string(), catalog: z.string(), consumerOrg: z.string(), app: z.string(), credential: z.string() };

const summary = z.object({
  runId: z.string(),
  dryRun: z.boolean(),
  secretsInScope: count,
  outcomes: z.record(z.enum(RESTORE_OUTCOMES), count),
  results: z.array(z.object({ ...located, outcome: doneOutcome, restoredAs: z.string().optional() })),
  resultsNotListed: count,
  failures: z.array(z.object({ secretName: z.string(), error: z.string(), reason: z.string().optional() })),
  failuresNotListed: count,
});

export const prepareRestoreSchema = z.object({ input: z.unknown(), executionName: name });

export const restoreStateSchema = z.object({
  run,
  cursor: z.object({ scopeIndex: count, nextToken: z.string().optional(), done: z.boolean() }),
  summary,
  lastResults: z.array(itemResult),
});

export const restoreItemSchema = z.object({ dryRun: z.boolean(), secretPrefix: name, secretName: name });
