/**
 * The restore workflow's execution input and the PrepareRestore step. A restore is started by hand after an API
 * Manager rebuild, so it is a dry run unless the input says `dryRun: false`.
 */
import { leaseKeys } from '../lease/decide';
import * as z from 'zod';
import { ConfigError, type ConfigProblem, type RotatorConfig } from '../config';
import type { CatalogTarget } from '../model';
import { encodeSegment } from '../secrets/naming';
import { scopeCount } from './listing';
import { RESTORE_OUTCOMES, type PrepareRestoreEvent, type PreparedRestore, type RestoreRun, type RestoreSummary } from './types';

const INPUT_KEYS = ['dryRun', 'targets', 'consumerOrgs', 'apps'] as const;

const restoreInputSchema = z.strictObject(
  {
    /** Report only; nothing is created or changed in APIC. @default true */
    dryRun: z.boolean({ error: () => 'must be true or false (a restore is a dry run unless dryRun is false)' }).default(true),
    /** A subset of the configured targets. @default every configured target */
    targets: z
      .array(z.strictObject({ providerOrg: z.string().min(1), catalog: z.string().min(1) }), {
        error: () => "must be a list like [{ providerOrg: 'acme', catalog: 'production' }]",
      })
      .min(1, 'must not be empty; omit it to restore every configured target')
      .optional(),
    /** Only these consumer orgs (by name). @default every consumer org */
    consumerOrgs: z
      .array(z.string().min(1, 'must not be empty'), { error: () => "must be a list of consumer org names, e.g. ['acme-partner']" })
      .min(1, 'must not be empty; omit it to restore every consumer org')
      .optional(),
    /** Only these apps, each written `consumerOrg/app`. @default every app */
    apps: z
      .array(z.string().regex(/^[^/]+\/[^/]+$/, "must be written 'consumerOrg/app', e.g. 'acme-partner/billing'"), {
        error: () => "must be a list like ['acme-partner/billing']",
      })
      .min(1, 'must not be empty; omit it to restore every app')
      .optional(),
  },
  {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return `allowed keys here are: ${INPUT_KEYS.join(', ')}`;
      if (issue.code === 'invalid_type') return `must be an object with keys among: ${INPUT_KEYS.join(', ')}`;
      return undefined;
    },
  },
);

export type RestoreInput = z.input<typeof restoreInputSchema>;

function pathOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), '');
}

function problemsOf(error: z.ZodError): ConfigProblem[] {
  return error.issues.flatMap((issue) => {
    const path = pathOf(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: path ? `${path}.${key}` : key, message: `unknown key; ${issue.message}` }));
    }
    return [{ path: path || '(root)', message: issue.message }];
  });
}

const sameTarget = (a: CatalogTarget, b: CatalogTarget) => a.providerOrg === b.providerOrg && a.catalog === b.catalog;

/** What a restore lists (see `restoreRunSchema`): a scope per target, narrowed to the filtered consumer orgs or apps. */
function scopesOf(
  prefix: string,
  targets: readonly CatalogTarget[],
  consumerOrgs?: readonly string[],
  apps?: readonly string[],
): Pick<RestoreRun, 'targetScopes' | 'narrowings'> {
  const wantedApps = apps?.map((entry) => entry.split('/') as [string, string]).filter(([consumerOrg]) => !consumerOrgs || consumerOrgs.includes(consumerOrg));
  const narrowings = wantedApps
    ? wantedApps.map(([consumerOrg, app]) => `${encodeSegment(consumerOrg)}/${encodeSegment(app)}/`)
    : consumerOrgs
      ? consumerOrgs.map((consumerOrg) => `${encodeSegment(consumerOrg)}/`)
      : [''];
  const targetScopes = targets.map((target) => `${prefix}/${encodeSegment(target.providerOrg)}/${encodeSegment(target.catalog)}/`);
  return { targetScopes: [...new Set(targetScopes)], narrowings: [...new Set(narrowings)] };
}

export function emptyRestoreSummary(run: RestoreRun): RestoreSummary {
  return {
    runId: run.runId,
    dryRun: run.dryRun,
    secretsInScope: 0,
    outcomes: Object.fromEntries(RESTORE_OUTCOMES.map((outcome) => [outcome, 0])) as RestoreSummary['outcomes'],
    results: [],
    resultsNotListed: 0,
    failures: [],
    failuresNotListed: 0,
  };
}

/** The PrepareRestore step: validates the input against the config and fixes the run's scope. */
export function prepareRestore(config: RotatorConfig, event: PrepareRestoreEvent): PreparedRestore {
  const parsed = restoreInputSchema.safeParse(event.input ?? {});
  if (!parsed.success) throw new ConfigError('restore input', problemsOf(parsed.error));
  const input = parsed.data;
  const problems: ConfigProblem[] = [];
  const targets = input.targets ?? config.targets;
  targets.forEach((target, index) => {
    if (!config.targets.some((configured) => sameTarget(configured, target))) {
      problems.push({
        path: `targets[${index}]`,
        message: `${target.providerOrg}/${target.catalog} is not a configured target; use one of: ${config.targets.map((t) => `${t.providerOrg}/${t.catalog}`).join(', ')}`,
      });
    }
  });
  const { consumerOrgs, apps } = input;
  if (consumerOrgs && apps && !apps.some((entry) => consumerOrgs.includes(entry.split('/')[0] ?? ''))) {
    problems.push({ path: 'apps', message: 'none of these apps belongs to one of consumerOrgs, so nothing would be restored; drop one of the two filters' });
  }
  if (problems.length > 0) throw new ConfigError('restore input', problems);

  const run: RestoreRun = {
    runId: event.executionName,
    dryRun: input.dryRun,
    secretPrefix: config.secretPrefix,
    ...scopesOf(config.secretPrefix, targets, consumerOrgs, apps),
    leaseKeys: leaseKeys(targets),
  };
  return { run, segments: [{ cursor: { scopeIndex: 0, done: scopeCount(run) === 0 }, summary: emptyRestoreSummary(run) }] };
}
