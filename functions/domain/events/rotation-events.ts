/**
 * The events consumers automate on: a replacement credential is ready to use, and an old credential was removed.
 * Details identify the credential and where its secret lives; they never carry a secret.
 */

export const ROTATION_EVENT_SOURCE = 'apic.credential-rotator';

export const REPLACEMENT_READY = 'Replacement Ready';
export const OLD_CREDENTIAL_REMOVED = 'Old Credential Removed';
export type RotationEventType = typeof REPLACEMENT_READY | typeof OLD_CREDENTIAL_REMOVED;

export interface RotationEventDetail {
  readonly providerOrg: string;
  readonly catalog: string;
  readonly consumerOrg: string;
  readonly app: string;
  /** The credential's base name, which is also the last segment of the secret name. */
  readonly credential: string;
  /** Client id of the credential consumers should use from now on. */
  readonly clientId: string;
  readonly secretName: string;
  /** Absent only when the secret's ARN could not be read. */
  readonly secretArn?: string;
  /** APIC id of the original credential this rotation replaces. */
  readonly cycleId: string;
  /** The run's clock (ISO-8601) when the step ran. */
  readonly occurredAt: string;
  /** Replacement Ready only: YYYY-MM-DD from which the old credential may be removed. */
  readonly oldCredentialRemovalDate?: string;
  /** Replacement Ready of an emergency rotation (`rotateNow`) only: true. */
  readonly urgent?: true;
  /** Replacement Ready of an emergency rotation only: the instant (ISO-8601) from which the old credential may be removed. */
  readonly oldCredentialRemovalTime?: string;
}

export interface RotationEvent {
  readonly detailType: RotationEventType;
  readonly detail: RotationEventDetail;
}
