/**
 * The payloads that travel between the states of the restore workflow. Like the rotation payloads they are small
 * and never hold a secret: items are secret names, results are outcomes.
 */

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

/** Decided once by PrepareRestore. */
export interface RestoreRun {
  readonly runId: string;
  readonly dryRun: boolean;
  readonly secretPrefix: string;
  /**
   * Secret name prefixes to list, one per target (narrowed to consumer orgs or apps when the input filters):
   * each ends in `/`, so a listing never strays into a neighbour whose name merely starts the same way.
   */
  readonly scopes: readonly string[];
}

/** Where the listing resumes. */
export interface RestoreCursor {
  readonly scopeIndex: number;
  /** Secrets Manager's token for the next page of `scopes[scopeIndex]`. */
  readonly nextToken?: string;
  readonly done: boolean;
}

/** One child of the per-page Map: the secret to restore from. */
export interface RestoreItem {
  readonly dryRun: boolean;
  readonly secretPrefix: string;
  readonly secretName: string;
}

/** What RestoreCredential returns, or the Catch turns a failure into. */
export type RestoreItemResult =
  | {
      readonly status: 'done';
      readonly secretName: string;
      readonly outcome: Exclude<RestoreOutcome, 'failed'>;
      /** Set when the stored name was taken by another credential and the credential got another name. */
      readonly restoredAs?: string;
    }
  | {
      readonly status: 'failed';
      readonly secretName: string;
      /** The error's name. */
      readonly error: string;
      /** Its message, cut short; absent when the step could not report the failure itself (e.g. a timeout). */
      readonly cause?: string;
    };

export interface RestoreReportEntry {
  readonly providerOrg: string;
  readonly catalog: string;
  readonly consumerOrg: string;
  readonly app: string;
  readonly credential: string;
  readonly outcome: Exclude<RestoreOutcome, 'failed'>;
  readonly restoredAs?: string;
}

export interface RestoreFailure {
  readonly secretName: string;
  readonly error: string;
  readonly reason?: string;
}

/** The execution output: counts per outcome, and the first results and failures by name (never a secret). */
export interface RestoreSummary {
  readonly runId: string;
  readonly dryRun: boolean;
  readonly secretsInScope: number;
  readonly outcomes: Readonly<Record<RestoreOutcome, number>>;
  readonly results: readonly RestoreReportEntry[];
  readonly resultsNotListed: number;
  readonly failures: readonly RestoreFailure[];
  readonly failuresNotListed: number;
}

export interface RestoreState {
  readonly run: RestoreRun;
  readonly cursor: RestoreCursor;
  readonly summary: RestoreSummary;
  /** The previous page's per-secret results, folded into the summary by the next step. */
  readonly lastResults: readonly RestoreItemResult[];
}

export interface RestorePageOutput extends RestoreState {
  /** Names of the secrets on this page that are in scope. */
  readonly items: readonly string[];
}
