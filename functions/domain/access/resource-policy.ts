/**
 * Who may read a credential secret besides the rotator: the consumer org's own AWS principals, as configured in
 * `consumerAccess`. The secret's resource policy is what keeps the orgs apart: it names only that org's principals,
 * so a principal listed for one org cannot read another org's secret. The key policy (see the construct) lets every
 * consumer principal decrypt through Secrets Manager under the credential prefix, which only helps a principal whose
 * GetSecretValue the secret's own policy already allows.
 */
import type { CredentialSecretLocator } from '../ports';

/** Consumer org name (as in APIC) to the IAM principal ARNs allowed to read that org's credential secrets. */
export type ConsumerAccess = Readonly<Record<string, readonly string[]>>;

/** Stages a consumer may read: the live credential and, during the grace, the one it replaces. */
export const CONSUMER_READABLE_STAGES = ['AWSCURRENT', 'AWSPREVIOUS'] as const;

export class ConsumerAccessError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConsumerAccessError';
  }
}

export interface ConsumerReadPolicyInput {
  readonly principals: readonly string[];
  /** The secret the policy is attached to; `*` (the secret itself, in a resource policy) when absent. */
  readonly secretArn?: string;
}

/**
 * The resource policy (JSON) that lets exactly `principals` describe the secret and read its AWSCURRENT or
 * AWSPREVIOUS value. Reads by version id are not granted: that would reach a staged (AWSPENDING) secret that APIC
 * may not accept yet.
 */
export function consumerReadPolicy({ principals, secretArn }: ConsumerReadPolicyInput): string {
  if (principals.length === 0) throw new ConsumerAccessError('a consumer read policy needs at least one principal');
  const principal = { AWS: [...new Set(principals)].sort() };
  const resource = secretArn ?? '*';
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ConsumerDescribe',
        Effect: 'Allow',
        Principal: principal,
        Action: 'secretsmanager:DescribeSecret',
        Resource: resource,
      },
      {
        Sid: 'ConsumerReadCurrentOrPrevious',
        Effect: 'Allow',
        Principal: principal,
        Action: 'secretsmanager:GetSecretValue',
        Resource: resource,
        Condition: {
          // A request without VersionStage reads AWSCURRENT, so an absent stage is allowed; a version id is not.
          StringEqualsIfExists: { 'secretsmanager:VersionStage': [...CONSUMER_READABLE_STAGES] },
          Null: { 'secretsmanager:VersionId': 'true' },
        },
      },
    ],
  });
}

/** The resource policy for a credential secret: its consumer org's principals, or none when the org has no entry. */
export function consumerPolicyResolver(access: ConsumerAccess): (locator: CredentialSecretLocator) => string | undefined {
  return (locator) => {
    const principals = Object.hasOwn(access, locator.consumerOrg) ? access[locator.consumerOrg] : undefined;
    return principals && principals.length > 0 ? consumerReadPolicy({ principals }) : undefined;
  };
}
