import type { NoticeKind } from '../model';

/** The policy in force for one consumer org. */
export interface PolicySettings {
  /** Age in days at which a credential is replaced. */
  readonly expiryDays: number;
  /** Age in days of the original at which it is deleted; `deletionDays − expiryDays` is the grace given to consumers. */
  readonly deletionDays: number;
  /** Days before expiry at which the consumer is warned; 0 means no warning. */
  readonly warnDays: number;
  /**
   * Appended to a credential's name and title to name its replacement; when that name is taken by a credential the
   * rotator does not own, a counter follows (`_new2`, `_new3`, …).
   */
  readonly replacementSuffix: string;
  /**
   * The consumer org reads its credentials from Secrets Manager (or its event bus), so an original may be deleted
   * without a delivered replacement-ready notice. Default: false, deletion waits for a delivered notice.
   */
  readonly readsSecretsManager?: boolean;
}

/** A consumer org the rotator leaves alone. */
export interface ExemptSettings {
  readonly exempt: true;
}

export type EffectiveSettings = PolicySettings | ExemptSettings;

export interface CredentialRef {
  readonly id: string;
  readonly name: string;
  readonly title: string;
  readonly clientId: string;
}

/**
 * One step of a rotation. `base` is the credential base name (the secret the step works on);
 * `cycleId` is the APIC id of the original being replaced.
 */
export type RotationAction =
  | {
      readonly kind: 'create-replacement';
      readonly base: string;
      readonly cycleId: string;
      readonly original: CredentialRef;
      readonly replacementName: string;
      readonly replacementTitle: string;
      /** An emergency rotation (`rotateNow`) made this replacement whatever the original's age. */
      readonly emergency?: { readonly graceHours: number; readonly confirmRevoke: boolean };
    }
  /** The replacement is in APIC and its client id is staged (AWSPENDING) but not current. */
  | { readonly kind: 'finish-replacement'; readonly base: string; readonly cycleId: string; readonly replacement: CredentialRef }
  /** The replacement is ours but its secret was never stored: stage a new secret, patch it on, promote. */
  | {
      readonly kind: 'repair-replacement';
      readonly base: string;
      readonly cycleId: string;
      readonly replacement: CredentialRef;
      /** The cycle's original, still in APIC, that the replacement is to replace; absent when none is left to move away from. */
      readonly original?: CredentialRef;
    }
  | {
      readonly kind: 'delete-original';
      readonly base: string;
      readonly cycleId: string;
      readonly original: CredentialRef;
      readonly replacement: CredentialRef;
    }
  | {
      readonly kind: 'rename-replacement';
      readonly base: string;
      readonly cycleId: string;
      readonly replacement: CredentialRef;
      readonly name: string;
      readonly title: string;
    }
  /**
   * The grace is over but the deletion may not happen yet (the replacement-ready notice never reached anyone): the
   * app stays as it is and the run reports it as failed so the alarm fires. Executed by the state machine, no Lambda.
   */
  | {
      readonly kind: 'hold-deletion';
      readonly base: string;
      readonly cycleId: string;
      readonly original: CredentialRef;
      readonly reason: string;
    }
  | {
      readonly kind: 'queue-notice';
      readonly base: string;
      readonly cycleId: string;
      readonly notice: NoticeKind;
      /** The name the consumer knows the credential by. */
      readonly credentialName: string;
      /** YYYY-MM-DD of the next step (expiry, removal), if any. */
      readonly dueDate?: string;
      /** Why an operator or consumer must act (action-needed only). */
      readonly reason?: string;
      /** The emergency rotation's terms (urgent-replacement only), recorded with the notice. */
      readonly emergency?: { readonly graceHours: number; readonly confirmRevoke: boolean };
    };

export type RotationActionKind = RotationAction['kind'];

/**
 * `kept`: a replacement the rotator made whose cycle was closed without deleting the original's name-holder (a person
 * re-created the original); it keeps working and stays until a person removes it.
 */
export type CredentialRole = 'original' | 'replacement' | 'independent' | 'kept';

export type CredentialStage = 'active' | 'warning' | 'due' | 'in-grace' | 'held' | 'completing' | 'repair' | 'exempt' | 'blocked';

/** One credential's place in its lifecycle, for the inventory report. */
export interface CredentialAssessment {
  readonly credentialId: string;
  readonly name: string;
  readonly baseName: string;
  readonly role: CredentialRole;
  readonly ageDays: number;
  readonly stage: CredentialStage;
  /** The next thing the rotator will do to this credential, named like the action kind. */
  readonly nextAction?: string;
  /** YYYY-MM-DD (UTC) on which `nextAction` becomes due. */
  readonly nextActionDate?: string;
}

export interface AppAssessment {
  readonly actions: RotationAction[];
  readonly credentials: CredentialAssessment[];
}
