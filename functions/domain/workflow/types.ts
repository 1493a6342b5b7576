/**
 * The payloads that travel between the states of the rotation workflow. They are small by design
 * (Step Functions caps a payload at 256 KiB) and never hold a secret.
 */
import type { ResolvedRunInput } from '../config';
import type { AppLocator } from '../model';
import type { RotationAction } from '../policy';

/** Everything a step needs to know about the run; decided once by PrepareRun from the execution input and config. */
export interface RunContext extends Omit<ResolvedRunInput, 'trigger'> {
  /** The execution name: names the run's report and makes retried steps reuse their idempotency tokens. */
  readonly runId: string;
  readonly trigger: string;
  readonly pageSize: number;
}

/**
 * Where a segment's scan resumes. A segment covers one target's listing from `offset` up to `end` (to the end of the
 * listing when absent). `consumerOrgIndex` is used only when the run is filtered to consumer orgs.
 */
export interface ScanCursor {
  readonly targetIndex: number;
  readonly offset: number;
  readonly end?: number;
  readonly consumerOrgIndex: number;
  readonly done: boolean;
}

/** An app the scan found needing attention; the assessment re-reads it so decisions use fresh data. */
export interface WorkItem {
  readonly targetIndex: number;
  readonly consumerOrg: string;
  readonly app: string;
}

/** The app as the action steps address it. */
export interface AppContext extends AppLocator {
  readonly targetIndex: number;
  readonly ownerEmail?: string;
}

/** Kept small: every app's results of a page travel in one payload. */
export interface ActionResult {
  readonly kind: RotationAction['kind'];
  readonly outcome: string;
}

export type AppResult =
  | { readonly status: 'done'; readonly item: WorkItem; readonly actions: readonly ActionResult[] }
  | { readonly status: 'planned'; readonly item: WorkItem; readonly actions: ReadonlyArray<{ readonly kind: RotationAction['kind'] }> }
  | { readonly status: 'failed'; readonly item: WorkItem; readonly error: string; readonly cause?: string };

export interface AppFailure extends AppLocator {
  readonly error: string;
  readonly cause?: string;
}

export interface RunSummary {
  readonly runId: string;
  readonly now: string;
  readonly dryRun: boolean;
  readonly pages: number;
  readonly appsScanned: number;
  readonly credentialsScanned: number;
  readonly appsNeedingAttention: number;
  readonly appsDone: number;
  readonly appsPlanned: number;
  readonly appsFailed: number;
  /** Executed actions per kind (planned ones in a dry run). */
  readonly actions: Readonly<Record<string, number>>;
  /** The first failures, each naming the app and why; `failuresNotListed` counts the rest. */
  readonly failures: readonly AppFailure[];
  readonly failuresNotListed: number;
  readonly notices: { readonly sent: number; readonly failed: number; readonly undeliverable: number };
  /** Where the run's inventory report was written (set by BuildReport). */
  readonly report?: { readonly bucket: string; readonly csvKey: string; readonly jsonKey: string; readonly manifestKey: string; readonly rows: number };
}

/** PrepareRun's output: the run, its segments (each the starting cursor of one child execution) and an empty summary. */
export interface PreparedRun {
  readonly run: RunContext;
  readonly segments: readonly ScanCursor[];
  readonly summary: RunSummary;
}

export interface ScanState {
  readonly run: RunContext;
  readonly cursor: ScanCursor;
  readonly summary: RunSummary;
  readonly lastResults: readonly AppResult[];
}

export interface ScanOutput extends ScanState {
  readonly items: readonly WorkItem[];
}

export interface Assessment {
  readonly app: AppContext;
  readonly actions: readonly RotationAction[];
  /** The kinds of `actions` alone: what a dry run reports, without the payload the full actions would take. */
  readonly plan: ReadonlyArray<{ readonly kind: RotationAction['kind'] }>;
}

export interface ActionInput<K extends RotationAction['kind'] = RotationAction['kind']> {
  readonly run: RunContext;
  readonly app: AppContext;
  readonly action: Extract<RotationAction, { kind: K }>;
}
