/**
 * The inventory report's rows: one per credential of every scanned app, saying where it is in its lifecycle and
 * what this run did (or, in a dry run, would do) to it. Rows are plain data built from APIC listings and the
 * policy's assessment; a row has no field that could hold a client secret.
 */
import type { ApicApp, CatalogTarget } from '../model';
import { assessApp, dateAfter, needsAttention, replacesAnOriginal, type AppAssessment, type EffectiveSettings, type RotationAction } from '../policy';

export interface ReportRow {
  readonly providerOrg: string;
  readonly catalog: string;
  readonly consumerOrg: string;
  /** The consumer org owner's e-mail; '' until `buildReport` joins it, and when APIC knows none. */
  readonly ownerEmail: string;
  readonly app: string;
  /** The credential's APIC name. */
  readonly credential: string;
  /** `original`, `replacement`, `independent` or `kept`. */
  readonly role: string;
  /** The public client id; the secret is never part of a row. */
  readonly clientId: string;
  /** ISO-8601 timestamp APIC set when the credential was created. */
  readonly createdAt: string;
  readonly ageDays: number;
  /** The policy's stage (`active`, `warning`, `due`, `in-grace`, `held`, `completing`, `repair`, `exempt`, `blocked`). */
  readonly stage: string;
  /**
   * What the run decided for this credential, '' if nothing: action kinds (`create-replacement`,
   * `delete-original`, ...) and notices as `queue-notice:<kind>`, joined with '+' in the order they run.
   * In a real run this is the plan the actions were started from; whether each one succeeded is in the run summary.
   */
  readonly action: string;
  /** The next thing the rotator will do to this credential, '' if nothing is scheduled. */
  readonly nextAction: string;
  /** YYYY-MM-DD (UTC) on which `nextAction` becomes due, '' if none. */
  readonly nextActionDate: string;
}

/** The row fields in report column order. */
export const REPORT_COLUMNS = [
  'providerOrg',
  'catalog',
  'consumerOrg',
  'ownerEmail',
  'app',
  'credential',
  'role',
  'clientId',
  'createdAt',
  'ageDays',
  'stage',
  'action',
  'nextAction',
  'nextActionDate',
] as const satisfies ReadonlyArray<keyof ReportRow>;

export const ACTION_SEPARATOR = '+';

export interface ReportRowsInput {
  readonly target: CatalogTarget;
  readonly app: ApicApp;
  readonly assessment: AppAssessment;
}

/** The label an action gets in the `action` column. */
export function actionLabel(action: RotationAction): string {
  if (action.kind === 'queue-notice') return `${action.kind}:${action.notice}`;
  return action.kind === 'create-replacement' && action.emergency ? `${action.kind}:emergency` : action.kind;
}

/**
 * Which credentials of the assessment an action concerns. Actions that name a credential by APIC id match by id;
 * a notice names the credential its consumer knows, which after a crash between delete and rename may be gone, so it
 * then falls back to the credentials of its base name (the orphaned replacement).
 */
function concernedCredentialIds(action: RotationAction, assessment: AppAssessment): string[] {
  switch (action.kind) {
    case 'create-replacement':
    case 'delete-original':
    case 'hold-deletion':
      return [action.original.id];
    case 'finish-replacement':
    case 'repair-replacement':
    case 'rename-replacement':
      return [action.replacement.id];
    case 'queue-notice': {
      const named = assessment.credentials.filter((credential) => credential.name === action.credentialName);
      const concerned = named.length > 0 ? named : assessment.credentials.filter((credential) => credential.baseName === action.base);
      return concerned.map((credential) => credential.credentialId);
    }
  }
}

/** The report rows of one app: one per assessed credential, in the assessment's order. */
export function reportRows(input: ReportRowsInput): ReportRow[] {
  const { target, app, assessment } = input;
  const labelsById = new Map<string, string[]>();
  for (const action of assessment.actions) {
    const label = actionLabel(action);
    for (const id of concernedCredentialIds(action, assessment)) {
      const labels = labelsById.get(id) ?? [];
      if (!labels.includes(label)) labels.push(label);
      labelsById.set(id, labels);
    }
  }
  const listed = new Map(app.credentials.map((credential) => [credential.id, credential]));
  return assessment.credentials.map((assessed) => {
    const credential = listed.get(assessed.credentialId);
    // Pick fields explicitly: the inputs may carry more than the row is meant to show.
    return {
      providerOrg: target.providerOrg,
      catalog: target.catalog,
      consumerOrg: app.consumerOrg.name,
      ownerEmail: '',
      app: app.name,
      credential: assessed.name,
      role: assessed.role,
      clientId: credential?.clientId ?? '',
      createdAt: credential?.createdAt ?? '',
      ageDays: assessed.ageDays,
      stage: assessed.stage,
      action: (labelsById.get(assessed.credentialId) ?? []).join(ACTION_SEPARATOR),
      nextAction: assessed.nextAction ?? '',
      nextActionDate: assessed.nextActionDate ?? '',
    };
  });
}

export interface QuietAppRowsInput {
  readonly target: CatalogTarget;
  readonly app: ApicApp;
  /** The run's clock. */
  readonly now: Date;
  readonly settings: EffectiveSettings;
}

/**
 * The rows of an app the scan found needing no attention, without reading the secret store: no credential of such an
 * app is near expiry or named like a replacement, so the store's view cannot change its assessment. Throws for an app
 * that needs attention, whose rows must come from the full assessment (AssessApp).
 */
export function quietAppRows(input: QuietAppRowsInput): ReportRow[] {
  const { target, app, now, settings } = input;
  if (needsAttention(app, now, settings)) {
    throw new RangeError(`app ${app.consumerOrg.name}/${app.name} needs attention: report it from its full assessment`);
  }
  const assessment = assessApp({ app, store: new Map(), verifiedCurrent: new Map(), now, settings, ownerEmailKnown: true });
  return reportRows({ target, app, assessment });
}

/** The key `buildReport` looks owner e-mails up by: `<providerOrg>/<catalog>/<consumerOrg>`. */
export function ownerKey(location: { readonly providerOrg: string; readonly catalog: string; readonly consumerOrg: string }): string {
  return `${location.providerOrg}/${location.catalog}/${location.consumerOrg}`;
}

export interface PostRunRowsInput extends ReportRowsInput {
  /** The run's clock. */
  readonly now: Date;
  readonly settings: EffectiveSettings;
}

/**
 * The report rows of one app as it stands after the run's actions: `reportRows` with the assessment's planned actions
 * applied, purely from the assessment (nothing is read back from APIC). In a dry run they are the state the plan
 * would produce. Per action:
 * - `create-replacement`: the original goes `in-grace` with `delete-original` due on now + grace, and a row is added
 *   for the replacement (created now, age 0, `in-grace`, `delete-original` on now + grace; its client id is generated
 *   when the action runs, so it is '' here);
 * - `finish-replacement`, `repair-replacement` of a replacement: it and its original are `in-grace`,
 *   `delete-original` due on the replacement's creation + grace (or today when that has passed); a repaired
 *   credential that replaces nothing (a finished cycle's, or a kept one) keeps its stage;
 * - `delete-original`: the original's row is dropped and its labels move to the replacement's row;
 * - `rename-replacement`: the replacement is shown under its new name as an `active` original, its next step the
 *   warning (or the replacement when there is no warning) counted from its own creation;
 * - `hold-deletion`, `queue-notice`: the credential's state is unchanged.
 * A non-dry run's action can fail after this part was written: `buildReport` marks the rows of the apps the run
 * summary lists as failed (see `FAILED_ACTION`).
 */
export function postRunReportRows(input: PostRunRowsInput): ReportRow[] {
  const { assessment, settings, now } = input;
  const before = reportRows(input);
  if ('exempt' in settings) return before;
  const grace = settings.deletionDays - settings.expiryDays;
  const today = dateAfter(now, 0);
  const later = (date: string): string => (date < today ? today : date);
  type Entry = { id: string; baseName: string; row: ReportRow };
  let entries: Entry[] = before.map((row, index) => {
    const assessed = assessment.credentials[index];
    return { id: assessed?.credentialId ?? '', baseName: assessed?.baseName ?? row.credential, row };
  });
  const update = (id: string, change: (row: ReportRow) => Partial<ReportRow>): void => {
    entries = entries.map((entry) => (entry.id === id ? { ...entry, row: { ...entry.row, ...change(entry.row) } } : entry));
  };
  const withLabel = (action: string, label: string): string => {
    const labels = action === '' ? [] : action.split(ACTION_SEPARATOR);
    return (labels.includes(label) ? labels : [...labels, label]).join(ACTION_SEPARATOR);
  };
  for (const action of assessment.actions) {
    switch (action.kind) {
      case 'create-replacement': {
        const removal = dateAfter(now, grace);
        update(action.original.id, () => ({ stage: 'in-grace', nextAction: 'delete-original', nextActionDate: removal }));
        const index = entries.findIndex((entry) => entry.id === action.original.id);
        const origin = entries[index];
        if (!origin) break;
        const created: Entry = {
          id: `new:${action.cycleId}`,
          baseName: action.base,
          row: {
            ...origin.row,
            credential: action.replacementName,
            role: 'replacement',
            clientId: '',
            createdAt: now.toISOString(),
            ageDays: 0,
            stage: 'in-grace',
            action: actionLabel(action),
            nextAction: 'delete-original',
            nextActionDate: removal,
          },
        };
        entries = [...entries.slice(0, index + 1), created, ...entries.slice(index + 1)];
        break;
      }
      case 'finish-replacement':
      case 'repair-replacement': {
        const replacement = entries.find((entry) => entry.id === action.replacement.id);
        // A repair of a finished cycle's credential (the app's current one) leaves it where it was: nothing to delete.
        if (!replacement || !replacesAnOriginal(action)) break;
        const removal = later(dateAfter(replacement.row.createdAt || now, grace));
        const inGrace = { stage: 'in-grace', nextAction: 'delete-original', nextActionDate: removal };
        update(action.replacement.id, () => inGrace);
        for (const entry of entries) {
          if (entry.baseName === action.base && entry.row.role === 'original' && entry.id !== action.replacement.id) update(entry.id, () => inGrace);
        }
        break;
      }
      case 'delete-original': {
        const original = entries.find((entry) => entry.id === action.original.id);
        entries = entries.filter((entry) => entry.id !== action.original.id);
        const labels = original && original.row.action !== '' ? original.row.action.split(ACTION_SEPARATOR) : [actionLabel(action)];
        update(action.replacement.id, (row) => ({ action: labels.reduce(withLabel, row.action) }));
        break;
      }
      case 'rename-replacement': {
        const warns = settings.warnDays > 0;
        update(action.replacement.id, (row) => {
          const from = row.createdAt || now.toISOString();
          const next = warns ? dateAfter(from, settings.expiryDays - settings.warnDays) : dateAfter(from, settings.expiryDays);
          return {
            credential: action.name,
            role: 'original',
            stage: 'active',
            action: withLabel(row.action, actionLabel(action)),
            nextAction: warns ? 'warn' : 'create-replacement',
            nextActionDate: later(next),
          };
        });
        break;
      }
      case 'hold-deletion':
      case 'queue-notice':
        break;
    }
  }
  return entries.map((entry) => entry.row);
}

/** The label `buildReport` adds to the `action` of every row of an app the run summary lists as failed. */
export const FAILED_ACTION = 'app-failed';
