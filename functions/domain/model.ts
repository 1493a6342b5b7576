/**
 * The vocabulary shared by the APIC client, the rotation policy, the secret store and the workflow.
 * Everything here is plain data: safe to put in a Step Functions payload, never holding a secret.
 */

/** One provider organization and catalog whose consumer apps are rotated. */
export interface CatalogTarget {
  readonly providerOrg: string;
  readonly catalog: string;
}

/** A client credential as APIC lists it. `clientSecret` is deliberately absent: APIC shows it once. */
export interface ApicCredential {
  readonly id: string;
  readonly name: string;
  readonly title: string;
  readonly clientId: string;
  /** ISO-8601 UTC timestamp set by APIC. */
  readonly createdAt: string;
}

export interface ConsumerOrgRef {
  readonly id: string;
  readonly name: string;
}

export interface ConsumerOrg extends ConsumerOrgRef {
  readonly title: string;
  /** Undefined when APIC returns no owner or the owner has no e-mail. */
  readonly ownerEmail?: string;
}

export interface ApicApp {
  readonly id: string;
  readonly name: string;
  readonly title: string;
  readonly consumerOrg: ConsumerOrgRef;
  readonly credentials: readonly ApicCredential[];
}

/** The freshly issued half of a credential. Only ever held in memory and in Secrets Manager. */
export interface ClientSecretPair {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Where one app lives: used to address APIC paths, secret names and notices. */
export interface AppLocator {
  readonly providerOrg: string;
  readonly catalog: string;
  readonly consumerOrg: string;
  readonly app: string;
}

/**
 * Notice kinds, in the order a rotation cycle produces them. `urgent-replacement` announces an emergency rotation
 * (`rotateNow`) in place of `replacement-ready`; its due date is the removal instant (`YYYY-MM-DDTHH:MMZ`).
 */
export const NOTICE_KINDS = ['warn', 'replacement-ready', 'urgent-replacement', 'old-removed', 'action-needed'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];
