/**
 * The step registry: every Lambda of both workflows, with the task state that runs it, its handler file, what it may
 * touch, its size and the metrics it publishes. lib/ builds the functions, their grants and the action routing from
 * it, the handlers take their state name and metric names from it, and the local runner and the bench find the
 * handlers through it. Adding a step is one entry here, its handler and its tests (and, unless it carries out a
 * policy action, its place in the workflow in lib/).
 *
 * Plain data on purpose: the handlers import it, so it must stay free of aws-cdk-lib and of anything with side
 * effects. IAM access is named here by string; lib/credential-rotator.ts maps each name to its grants.
 */
import type { RotationAction } from './domain/policy';

export type Workflow = 'rotation' | 'restore';

/** What a step reads and writes beyond the run config, which every step gets. Each names a binder in lib/. */
export type StepAccess =
  /** Call APIC: read the admin secret (that one only) and trust the configured CA bundle. */
  | 'apic'
  /** Describe and read credential secrets. */
  | 'credential-reads'
  /** Create, stage and promote credential secrets (and share them with consumers when `consumerAccess` is set). */
  | 'credential-writes'
  /** Stage a new value on an existing credential secret and promote it (shared with consumers like a created one). */
  | 'credential-repairs'
  /** Read credential secrets and promote a staged version. */
  | 'credential-promotion'
  /** Queue notices in the secrets' tags, creating a secret (with its placeholder version) where there is none yet. */
  | 'notice-ledger'
  /** Find queued notices, send the digests from the configured sender, mark them sent. */
  | 'notice-delivery'
  /** Publish rotation events to the event bus. */
  | 'rotation-events'
  /** Write report parts (objects under `reports/`). */
  | 'report-parts'
  /** Read report parts and write the assembled report. */
  | 'report-build'
  /** List credential secrets by name and tags (never values). */
  | 'secret-listing'
  /** Take the run lease objects (under `leases/`), asking whether a holder still runs, and give back a partial take. */
  | 'run-lease'
  /** Renew the run lease objects the run holds. */
  | 'run-lease-renewal'
  /** Release the run lease objects the run holds. */
  | 'run-lease-release';

export interface StepSpec {
  /** The task state that invokes the step; handlers also name themselves by it in logs and errors. */
  readonly state: string;
  readonly workflow: Workflow;
  /** Handler file in `functions/handlers/`, without extension; it exports `handler`. */
  readonly handler: string;
  readonly access: readonly StepAccess[];
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /**
   * Metrics the handler publishes when the step succeeds (namespace `ApicCredentialRotator`, dimension `service`);
   * every step also publishes `STEP_FAILURE_METRIC` when it fails.
   */
  readonly metrics: readonly string[];
  /** Carries out the policy's actions of the kind named like the step: the ActionKind choice routes them here. */
  readonly action?: true;
}

/** Most steps do a bounded amount of work: one app, one action, one secret. */
const SHORT = { timeoutSeconds: 60, memoryMb: 512 } as const;
/** Steps that page through whole catalogs, send every digest of a run or assemble its report. */
const LONG = { timeoutSeconds: 300, memoryMb: 512 } as const;
/**
 * The report build streams at bounded memory (about 310 MB at 1,000,000 rows) but needs about 40 s of CPU there,
 * and 512 MB buys a third of a vCPU: Lambda's longest timeout leaves room for S3's latency on top.
 */
const REPORT = { timeoutSeconds: 900, memoryMb: 512 } as const;

export const STEPS = {
  'prepare-run': {
    state: 'PrepareRun',
    workflow: 'rotation',
    handler: 'prepare-run',
    // Takes the run lease last, once the run is validated and planned.
    access: ['apic', 'run-lease'],
    ...SHORT,
    metrics: ['RunsStarted', 'DryRuns', 'Segments', 'RunsSkipped'],
  },
  'scan-page': {
    state: 'ScanPage',
    workflow: 'rotation',
    handler: 'scan-page',
    // Renews the run lease on every page.
    access: ['apic', 'report-parts', 'run-lease-renewal'],
    ...LONG,
    metrics: ['AppsNeedingAttention'],
  },
  'assess-app': {
    state: 'AssessApp',
    workflow: 'rotation',
    handler: 'assess-app',
    access: ['apic', 'credential-reads', 'report-parts', 'secret-listing'],
    ...SHORT,
    metrics: ['ActionsPlanned'],
  },
  'create-replacement': {
    state: 'CreateReplacement',
    workflow: 'rotation',
    handler: 'create-replacement',
    access: ['apic', 'credential-writes', 'rotation-events'],
    ...SHORT,
    metrics: ['ReplacementsCreated'],
    action: true,
  },
  'finish-replacement': {
    state: 'FinishReplacement',
    workflow: 'rotation',
    handler: 'finish-replacement',
    access: ['apic', 'credential-promotion', 'rotation-events'],
    ...SHORT,
    metrics: ['ReplacementsFinished'],
    action: true,
  },
  'repair-replacement': {
    state: 'RepairReplacement',
    workflow: 'rotation',
    handler: 'repair-replacement',
    access: ['apic', 'credential-repairs', 'rotation-events'],
    ...SHORT,
    metrics: ['ReplacementsRepaired'],
    action: true,
  },
  'delete-original': {
    state: 'DeleteOriginal',
    workflow: 'rotation',
    handler: 'delete-original',
    access: ['apic', 'credential-reads', 'rotation-events'],
    ...SHORT,
    metrics: ['OriginalsDeleted'],
    action: true,
  },
  'rename-replacement': {
    state: 'RenameReplacement',
    workflow: 'rotation',
    handler: 'rename-replacement',
    access: ['apic', 'credential-reads'],
    ...SHORT,
    metrics: ['ReplacementsRenamed'],
    action: true,
  },
  'queue-notice': {
    state: 'QueueNotice',
    workflow: 'rotation',
    handler: 'queue-notice',
    access: ['notice-ledger'],
    ...SHORT,
    metrics: ['NoticesQueued'],
    action: true,
  },
  'finish-run': {
    state: 'FinishRun',
    workflow: 'rotation',
    handler: 'finish-run',
    // Renews the run lease on every invocation: its loop may outlast the lease's TTL.
    access: ['notice-delivery', 'run-lease'],
    ...LONG,
    metrics: ['CredentialsScanned', 'AppsFailed', 'SegmentsFailed', 'DeletionsHeld', 'NoticesSent', 'NoticesFailed'],
  },
  'build-report': {
    state: 'BuildReport',
    workflow: 'rotation',
    handler: 'build-report',
    access: ['apic', 'report-build'],
    ...REPORT,
    metrics: ['ReportRows'],
  },
  'release-lease': {
    state: 'ReleaseLease',
    workflow: 'rotation',
    handler: 'release-lease',
    access: ['run-lease-release'],
    ...SHORT,
    metrics: ['LeasesReleased'],
  },
  'restore-prepare': {
    state: 'PrepareRestore',
    workflow: 'restore',
    handler: 'restore-prepare',
    access: ['run-lease'],
    ...SHORT,
    metrics: ['RestoresStarted', 'RestoreDryRuns', 'RunsSkipped'],
  },
  'restore-list-page': {
    state: 'ListSecretsPage',
    workflow: 'restore',
    handler: 'restore-list-page',
    access: ['secret-listing', 'run-lease-renewal'],
    ...LONG,
    metrics: ['RestoreSecretsListed'],
  },
  'restore-credential': {
    state: 'RestoreCredential',
    workflow: 'restore',
    handler: 'restore-credential',
    // Reads the stored pair and gives it back to APIC; the secrets themselves stay as they are.
    access: ['apic', 'credential-reads'],
    ...SHORT,
    // One per secret, named by its outcome.
    metrics: [
      'CredentialsRestored',
      'CredentialsToRestore',
      'CredentialSecretsRestored',
      'CredentialSecretMismatches',
      'CredentialsAlreadyPresent',
      'RestoreAppsMissing',
      'RestoreSecretsWithoutValue',
      'CredentialRestoreFailures',
    ],
  },
  'restore-finish': {
    state: 'FinishRestore',
    workflow: 'restore',
    handler: 'restore-finish',
    access: [],
    ...SHORT,
    metrics: ['RestoresFinished'],
  },
  'restore-release-lease': {
    state: 'ReleaseRestoreLease',
    workflow: 'restore',
    handler: 'restore-release-lease',
    access: ['run-lease-release'],
    ...SHORT,
    metrics: ['LeasesReleased'],
  },
} as const satisfies Record<string, StepSpec>;

export type StepId = keyof typeof STEPS;
type Spec<S extends StepId> = (typeof STEPS)[S];

/** The steps of one workflow. */
export type StepOf<W extends Workflow> = { [S in StepId]: Spec<S>['workflow'] extends W ? S : never }[StepId];
export type RotationStep = StepOf<'rotation'>;
export type RestoreStep = StepOf<'restore'>;

/** The metrics one step publishes on success. */
export type MetricOf<S extends StepId> = Spec<S>['metrics'][number];
/** Published by every step when it fails. */
export const STEP_FAILURE_METRIC = 'StepsFailed';
/** Every metric a step handler may publish. */
export type StepMetric = MetricOf<StepId> | typeof STEP_FAILURE_METRIC;

/** An action kind of the policy, which is also the id of the step that carries it out. */
export type ActionStep = { [S in StepId]: Spec<S> extends { readonly action: true } ? S : never }[StepId];
type SameUnion<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
/**
 * Type check only: a policy action without an action step here, or an action step the policy never asks for, makes
 * this `false` and fails the compilation ("Type 'false' does not satisfy the constraint 'true'").
 */
export type ActionStepsMatchPolicyActions = Holds<SameUnion<ActionStep | StateMachineAction, RotationAction['kind']>>;

/**
 * Policy actions the state machine carries out itself, without a Lambda: a held deletion fails the app with
 * `DELETION_HELD_ERROR` and the policy's reason, so the run lists it and the failed-apps alarm fires.
 */
export const STATE_MACHINE_ACTIONS = ['hold-deletion'] as const;
export type StateMachineAction = (typeof STATE_MACHINE_ACTIONS)[number];

/** Every step id, in registry order. */
export const STEP_IDS = Object.keys(STEPS) as StepId[];

export function stepsOf<W extends Workflow>(workflow: W): StepOf<W>[] {
  return STEP_IDS.filter((id) => STEPS[id].workflow === workflow) as StepOf<W>[];
}

export const ROTATION_STEPS: readonly RotationStep[] = stepsOf('rotation');
export const RESTORE_STEPS: readonly RestoreStep[] = stepsOf('restore');
/** The steps that carry out policy actions, in registry order. */
export const ACTION_STEPS = STEP_IDS.filter((id) => 'action' in STEPS[id]) as ActionStep[];

/** Task state name → step, for one workflow (the local runner puts the handlers behind the synthesized states). */
export function taskStateSteps<W extends Workflow>(workflow: W): Record<string, StepOf<W>> {
  return Object.fromEntries(stepsOf(workflow).map((id) => [STEPS[id].state, id]));
}

/** The steps granted `access`. */
export function stepsWithAccess(access: StepAccess): StepId[] {
  return STEP_IDS.filter((id) => (STEPS[id].access as readonly StepAccess[]).includes(access));
}
