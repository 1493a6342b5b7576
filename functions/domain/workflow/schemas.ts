/**
 * Boundary validation of every step's input. A malformed payload (a hand-edited redrive, a definition drift)
 * fails fast with the field named, before anything is read or written.
 */
import * as z from 'zod';
import { NOTICE_KINDS } from '../model';

const name = z.string().min(1);
const isoInstant = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO-8601 date-time');

const target = z.object({ providerOrg: name, catalog: name });

export const runContextSchema = z.object({
  runId: name,
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
});

const workItem = z.object({ targetIndex: z.number().int().nonnegative(), consumerOrg: name, app: name });

const appResult = z.discriminatedUnion('status', [
  z.object({ status: z.literal('done'), item: workItem, actions: z.array(z.object({ kind: name, outcome: z.string() })) }),
  z.object({ status: z.literal('planned'), item: workItem, actions: z.array(z.object({ kind: name })) }),
  z.object({ status: z.literal('failed'), item: workItem, error: z.string(), cause: z.string().optional() }),
]);

const count = z.number().int().nonnegative();
const summary = z.object({
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
  actions: z.record(z.string(), count),
  failures: z.array(
    z.object({ providerOrg: z.string(), catalog: z.string(), consumerOrg: z.string(), app: z.string(), error: z.string(), cause: z.string().optional() }),
  ),
  failuresNotListed: count,
  notices: z.object({ sent: count, failed: count, undeliverable: count }),
});

export const scanStateSchema = z.object({
  run: runContextSchema,
  cursor: z.object({
    targetIndex: z.number().int().nonnegative(),
    offset: z.number().int().nonnegative(),
    end: z.number().int().nonnegative().optional(),
    consumerOrgIndex: z.number().int().nonnegative(),
    done: z.boolean(),
  }),
  summary,
  lastResults: z.array(appResult),
});

export const finishRunSchema = z.object({ run: runContextSchema, summary, segmentSummaries: z.array(summary) });

export const prepareRunSchema = z.object({
  input: z.unknown(),
  executionName: name,
  executionStartTime: isoInstant,
});

export const assessAppSchema = z.object({ run: runContextSchema, item: workItem });

const credentialRef = z.object({ id: name, name, title: z.string(), clientId: name });
const actionBase = { base: name, cycleId: name };

export const rotationActionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('create-replacement'), ...actionBase, original: credentialRef, replacementName: name, replacementTitle: z.string() }),
  z.object({ kind: z.literal('finish-replacement'), ...actionBase, replacement: credentialRef }),
  z.object({ kind: z.literal('repair-replacement'), ...actionBase, replacement: credentialRef }),
  z.object({ kind: z.literal('delete-original'), ...actionBase, original: credentialRef, replacement: credentialRef }),
  z.object({ kind: z.literal('rename-replacement'), ...actionBase, replacement: credentialRef, name, title: z.string() }),
  z.object({ kind: z.literal('hold-deletion'), ...actionBase, original: credentialRef, reason: z.string() }),
  z.object({
    kind: z.literal('queue-notice'),
    ...actionBase,
    notice: z.enum(NOTICE_KINDS),
    credentialName: name,
    dueDate: z.string().optional(),
    reason: z.string().optional(),
  }),
]);

export const appContextSchema = z.object({
  providerOrg: name,
  catalog: name,
  consumerOrg: name,
  app: name,
  targetIndex: z.number().int().nonnegative(),
  ownerEmail: z.string().optional(),
});

export function actionInputSchema<K extends z.infer<typeof rotationActionSchema>['kind']>(kind: K) {
  return z.object({
    run: runContextSchema,
    app: appContextSchema,
    action: rotationActionSchema.refine((action) => action.kind === kind, `must be a ${kind} action`),
  });
}

export const buildReportSchema = z.object({ run: runContextSchema, summary });
