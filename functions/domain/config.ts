/**
 * The rotator's configuration schema, shared by CDK synth (`lib/`, `bin/`) and the Lambdas (`functions/`).
 * Parsing reports every problem at once, each naming the field path and how to fix it, so a bad config fails
 * at synth or at the start of a run rather than half way through a rotation.
 */
import * as z from 'zod';
import type { CatalogTarget } from './model';

export interface ConfigProblem {
  /** Dotted path of the offending field, e.g. `policy.deletionDays` or `targets[1].catalog`; `(root)` for the whole input. */
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(subject: string, problems: readonly ConfigProblem[], options?: { cause?: unknown }) {
    super(`Invalid ${subject}:\n${problems.map((p) => `- ${p.path}: ${p.message}`).join('\n')}`, options);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const TLS_DISABLING_KEY = /insecure|rejectunauthori[sz]ed|tls.?verify|verify.?(tls|ssl|cert)|ssl.?verify|skip.?(tls|ssl|verify)/i;
const TLS_DISABLING_MESSAGE =
  'TLS verification cannot be disabled; remove this key and, if APIC uses a private CA, put its PEM certificate in apicCaBundle';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const SECRET_NAME_CHARS = /^[A-Za-z0-9/_+=.@-]+$/;
const SUFFIX_CHARS = /^[A-Za-z0-9_.-]*$/;
const IAM_PRINCIPAL_ARN = /^arn:aws[a-z-]*:(iam::\d{12}:(root|user\/\S+|role\/\S+)|sts::\d{12}:assumed-role\/\S+)$/;
const SECRETS_MANAGER_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$/;
/** Outside the default `secretPrefix`, so the steps that read credentials cannot read it. */
const DEFAULT_ADMIN_SECRET_NAME = 'apic-rotator-admin';

/** A strict object whose unknown-key issue lists the keys allowed at that place. */
function strictObject<T extends z.ZodRawShape>(shape: T) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return `allowed keys here are: ${allowed}`;
      if (issue.code === 'invalid_type') return `must be an object with keys among: ${allowed}`;
      return undefined;
    },
  });
}

function wholeNumber(range: { min: number; max?: number; example: number; unit?: string }) {
  const unit = range.unit ? ` ${range.unit}` : '';
  const schema = z
    .int({ error: () => `must be a whole number${unit}, e.g. ${range.example}` })
    .min(range.min, `must be at least ${range.min}; set it to ${range.min} or more`);
  return range.max === undefined ? schema : schema.max(range.max, `must be at most ${range.max}; set it to ${range.max} or less`);
}

function text(what: string, example: string) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? `is required; set it to ${what}, e.g. ${example}` : `must be a string: ${what}`) })
    .trim()
    .min(1, `must not be empty; set it to ${what}, e.g. ${example}`);
}

function email(what: string) {
  return z.email({
    error: (issue) =>
      issue.input === undefined ? `is required; set it to ${what}, e.g. apis@example.com` : `must be an e-mail address (${what}), e.g. apis@example.com`,
  });
}

/** Catalogs one rotator may serve: test/quota.test.ts proves every payload of a run within the quota up to this many. */
export const MAX_TARGETS = 50;

const targetSchema = strictObject({
  providerOrg: text('the APIC provider organization name', 'acme'),
  catalog: text('the APIC catalog name', 'production'),
});

const apicBaseUrlSchema = text('the APIC platform API base URL', 'https://apic.example.com/api').superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an absolute URL, e.g. https://apic.example.com/api' });
    return;
  }
  if (url.username || url.password) {
    ctx.addIssue({ code: 'custom', message: 'must not carry credentials; keep them in the adminSecretName secret' });
  }
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return;
  ctx.addIssue({
    code: 'custom',
    message:
      url.protocol === 'http:'
        ? 'must use https:// (plain http:// is only accepted for 127.0.0.1, localhost or [::1] in local runs)'
        : 'must start with https://',
  });
});

const policyFields = {
  /** Age in days at which a credential is replaced. @default 90 */
  expiryDays: wholeNumber({ min: 1, example: 90, unit: '(days)' }),
  /** Age in days at which the original is deleted; the grace period is `deletionDays − expiryDays`. @default 100 */
  deletionDays: wholeNumber({ min: 2, example: 100, unit: '(days)' }),
  /** Days before expiry at which the consumer is warned; 0 sends no warning. @default 14 */
  warnDays: wholeNumber({ min: 0, example: 14, unit: '(days)' }),
};

export const POLICY_DEFAULTS = { expiryDays: 90, deletionDays: 100, warnDays: 14, replacementSuffix: '_new' } as const;

const policySchema = strictObject({
  expiryDays: policyFields.expiryDays.default(POLICY_DEFAULTS.expiryDays),
  deletionDays: policyFields.deletionDays.default(POLICY_DEFAULTS.deletionDays),
  warnDays: policyFields.warnDays.default(POLICY_DEFAULTS.warnDays),
  /** Appended to a credential's name and title to name its replacement. @default '_new' */
  replacementSuffix: z
    .string({ error: () => "must be a string, e.g. '_new'" })
    .min(1, "must not be empty; set it to e.g. '_new'")
    .max(32, 'must be at most 32 characters')
    .regex(SUFFIX_CHARS, 'may only contain letters, digits, _ . and -')
    .default(POLICY_DEFAULTS.replacementSuffix),
});

const overrideSchema = strictObject({
  expiryDays: policyFields.expiryDays.optional(),
  deletionDays: policyFields.deletionDays.optional(),
  warnDays: policyFields.warnDays.optional(),
  /** True skips every credential of the consumer org: no notice, no rotation, in-flight rotations stay as they are. */
  exempt: z.boolean({ error: () => 'must be true or false' }).optional(),
  /**
   * True when the consumer org's apps read their credential from Secrets Manager (or act on the rotation events):
   * an original may then be deleted after the grace without a delivered replacement-ready notice. @default false
   */
  readsSecretsManager: z.boolean({ error: () => 'must be true or false' }).optional(),
});

const consumerOrgName = z.string().min(1, 'consumer org names must not be empty');

const cronSchema = z
  .string({ error: () => "must be an EventBridge cron expression, e.g. 'cron(0 3 * * ? *)'" })
  .superRefine((value, ctx) => {
    const fields = /^cron\((.*)\)$/.exec(value.trim())?.[1]?.trim().split(/\s+/);
    if (!fields || fields.length !== 6 || fields.some((f) => !/^[0-9A-Za-z*?,/#-]+$/.test(f))) {
      ctx.addIssue({
        code: 'custom',
        message: "must be an EventBridge cron with 6 fields (minutes hours day-of-month month day-of-week year), e.g. 'cron(0 3 * * ? *)'",
      });
      return;
    }
    if ((fields[2] === '?') === (fields[4] === '?')) {
      ctx.addIssue({ code: 'custom', message: "exactly one of day-of-month and day-of-week must be '?', e.g. 'cron(0 3 * * ? *)'" });
    }
  });

const timeZoneSchema = z.string({ error: () => "must be an IANA time zone name, e.g. 'Europe/Paris'" }).refine(isTimeZone, {
  error: "must be an IANA time zone name, e.g. 'UTC' or 'Europe/Paris'",
});

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const rotatorConfigSchema = strictObject({
  /** Provider org / catalog pairs whose consumer apps are rotated. Required, at least one, at most `MAX_TARGETS` (50). */
  targets: z
    .array(targetSchema, { error: () => "is required: a list like [{ providerOrg: 'acme', catalog: 'production' }]" })
    .min(1, "must list at least one { providerOrg, catalog }, e.g. [{ providerOrg: 'acme', catalog: 'production' }]")
    .max(MAX_TARGETS, `must list at most ${MAX_TARGETS} catalogs: a run carries every target in its payloads; deploy a second rotator for more`),
  /** APIC platform API base URL. Required; https:// (http:// only for loopback hosts in local runs). */
  apicBaseUrl: apicBaseUrlSchema,
  /** PEM CA certificate(s) trusted for the APIC endpoint in addition to the public roots. @default none */
  apicCaBundle: z
    .string({ error: () => 'must be PEM text' })
    .refine((pem) => pem.includes('-----BEGIN CERTIFICATE-----'), { error: 'must contain a PEM certificate (-----BEGIN CERTIFICATE-----)' })
    .optional(),
  /**
   * Secrets Manager name or ARN of the secret holding the APIC admin credentials; never under `secretPrefix`/.
   * @default 'apic-rotator-admin'
   */
  adminSecretName: z
    .string({ error: () => 'must be a Secrets Manager secret name or ARN' })
    .refine((v) => SECRETS_MANAGER_ARN.test(v) || (SECRET_NAME_CHARS.test(v) && v.length <= 512), {
      error: 'must be a Secrets Manager secret name (letters, digits, /_+=.@-) or a secret ARN',
    })
    .default(DEFAULT_ADMIN_SECRET_NAME),
  /** ARN of the customer-managed KMS key of the admin secret, when it is not encrypted with `aws/secretsmanager`. @default none */
  adminSecretKeyArn: z
    .string({ error: () => 'must be a KMS key ARN' })
    .regex(KMS_KEY_ARN, 'must be a KMS key ARN, e.g. arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab (not an alias)')
    .optional(),
  /** Rotation policy (see each field). @default { expiryDays: 90, deletionDays: 100, warnDays: 14, replacementSuffix: '_new' } */
  policy: policySchema.prefault({}),
  /** Per consumer org changes to the policy, merged over `policy`, or `exempt: true`. @default {} */
  consumerOrgOverrides: z.record(consumerOrgName, overrideSchema).default({}),
  /** SES-verified sender address of the notices. Required. */
  notificationSender: email('the SES-verified sender of the notices'),
  /** Operator address copied on action-needed notices and sent notices whose consumer org has no owner e-mail. @default none */
  operatorEmail: email('the operator mailbox').optional(),
  /** Addresses subscribed by e-mail to the alarm topic the stack creates (each confirms once). @default [] */
  alarmEmails: z.array(email('an alarm recipient'), { error: () => "must be a list of e-mail addresses, e.g. ['platform-oncall@example.com']" }).default([]),
  /** An existing SNS topic for the alarms, instead of the one the stack creates. @default none */
  alarmTopicArn: z
    .string({ error: () => 'must be an SNS topic ARN' })
    .regex(SNS_TOPIC_ARN, 'must be an SNS topic ARN, e.g. arn:aws:sns:eu-west-1:123456789012:platform-alarms')
    .optional(),
  /** The scheduled run. @default { enabled: true, cron: 'cron(0 3 * * ? *)', timeZone: 'UTC' } */
  schedule: strictObject({
    /** @default true */
    enabled: z.boolean({ error: () => 'must be true or false' }).default(true),
    /** EventBridge Scheduler cron expression. @default 'cron(0 3 * * ? *)' */
    cron: cronSchema.default('cron(0 3 * * ? *)'),
    /** IANA time zone of the cron expression. @default 'UTC' */
    timeZone: timeZoneSchema.default('UTC'),
  }).prefault({}),
  /** Apps processed in parallel. @default 10 */
  maxConcurrentApps: wholeNumber({ min: 1, max: 100, example: 10 }).default(10),
  /** APIC list page size. @default 100 */
  pageSize: wholeNumber({ min: 1, max: 1000, example: 100 }).default(100),
  /** First segment of every credential secret name. @default 'apic-rotator' */
  secretPrefix: z
    .string({ error: () => "must be a string, e.g. 'apic-rotator'" })
    .min(1, "must not be empty; e.g. 'apic-rotator'")
    .max(256, 'must be at most 256 characters')
    .regex(SECRET_NAME_CHARS, 'may only contain letters, digits and /_+=.@-')
    .refine((v) => !v.startsWith('/') && !v.endsWith('/'), { error: "must not start or end with '/'" })
    .default('apic-rotator'),
  /** IAM principal ARNs allowed to read the secrets of each consumer org. @default {} */
  consumerAccess: z
    .record(
      consumerOrgName,
      z.array(
        z.string().regex(IAM_PRINCIPAL_ARN, 'must be an IAM principal ARN, e.g. arn:aws:iam::123456789012:role/consumer-app'),
        { error: () => 'must be a list of IAM principal ARNs' },
      ),
    )
    .default({}),
  /**
   * Every app (also one a person left without credentials) is assessed at least once in this many days even when nothing of it is due, so a
   * secret reset in the API Manager UI after its rotation finished is found (AWSCURRENT verified against APIC) and
   * repaired. 0 turns it off. @default 7
   */
  verifyEveryDays: wholeNumber({ min: 0, max: 365, example: 7, unit: '(days)' }).default(7),
  /** Days the run reports are kept. @default 400 */
  reportRetentionDays: wholeNumber({ min: 1, max: 3650, example: 400, unit: '(days)' }).default(400),
});

export type RotatorConfig = z.output<typeof rotatorConfigSchema>;
export type RotatorConfigInput = z.input<typeof rotatorConfigSchema>;
export type PolicyConfig = RotatorConfig['policy'];
export type ConsumerOrgOverride = z.output<typeof overrideSchema>;

export function parseRotatorConfig(raw: unknown): RotatorConfig {
  const parsed = rotatorConfigSchema.safeParse(raw);
  const problems = parsed.success ? [] : problemsOf(parsed.error);
  problems.push(...configRelationProblems(raw));
  if (!parsed.success || problems.length > 0) throw new ConfigError('rotator config', problems);
  return parsed.data;
}

function configRelationProblems(raw: unknown): ConfigProblem[] {
  if (!isRecord(raw)) return [];
  const problems: ConfigProblem[] = [];
  const targets = z.array(targetSchema).safeParse(raw.targets);
  if (targets.success) problems.push(...duplicateTargetProblems(targets.data, 'targets'));
  problems.push(...adminSecretPlacementProblems(raw));
  if (raw.alarmTopicArn !== undefined && Array.isArray(raw.alarmEmails) && raw.alarmEmails.length > 0) {
    problems.push({
      path: 'alarmEmails',
      message: 'only subscribes to the topic the stack creates; subscribe these addresses to alarmTopicArn yourself, or remove alarmTopicArn',
    });
  }

  const rawPolicy = raw.policy ?? {};
  const policy = policySchema.safeParse(rawPolicy);
  if (!policy.success || !isRecord(rawPolicy)) return problems;
  const userLayer: PolicyLayer = { path: 'policy', values: pickDefined(policy.data, Object.keys(rawPolicy)) };
  const baseLayers: PolicyLayer[] = [{ path: 'policy', note: 'the default', values: POLICY_DEFAULTS }, userLayer];
  problems.push(...policyOrderProblems(baseLayers, userLayer));

  if (!isRecord(raw.consumerOrgOverrides)) return problems;
  for (const [name, rawOverride] of Object.entries(raw.consumerOrgOverrides)) {
    const override = overrideSchema.safeParse(rawOverride);
    if (!override.success || override.data.exempt) continue;
    const overrideLayer: PolicyLayer = { path: `consumerOrgOverrides.${name}`, values: override.data };
    problems.push(...policyOrderProblems([...baseLayers, overrideLayer], overrideLayer));
  }
  return problems;
}

/**
 * Every step that reads credentials may read any secret under `secretPrefix/`: the admin secret must live elsewhere.
 * Checked on the values as parsed, defaults included.
 */
function adminSecretPlacementProblems(raw: Record<string, unknown>): ConfigProblem[] {
  const adminSecret = rotatorConfigSchema.shape.adminSecretName.safeParse(raw.adminSecretName);
  const prefix = rotatorConfigSchema.shape.secretPrefix.safeParse(raw.secretPrefix);
  if (!adminSecret.success || !prefix.success) return [];
  // In an ARN the name follows `:secret:`.
  const name = SECRETS_MANAGER_ARN.test(adminSecret.data) ? adminSecret.data.split(':secret:')[1] ?? '' : adminSecret.data;
  if (!name.startsWith(`${prefix.data}/`)) return [];
  return [
    {
      path: 'adminSecretName',
      message:
        `"${name}" is under secretPrefix ("${prefix.data}/"), where every step that reads credentials could read the APIC admin ` +
        `password; move the admin secret outside it (e.g. "${prefix.data}-admin") or change secretPrefix`,
    },
  ];
}

function duplicateTargetProblems(targets: readonly CatalogTarget[], path: string): ConfigProblem[] {
  const seen = new Map<string, number>();
  return targets.flatMap((target, index) => {
    const key = `${target.providerOrg}/${target.catalog}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, index);
      return [];
    }
    return [{ path: `${path}[${index}]`, message: `duplicates ${path}[${first}] (${key}); remove one of them` }];
  });
}

/** The numeric policy fields a run may change. */
type PolicyDays = { expiryDays: number; deletionDays: number; warnDays: number };

/** One layer of policy values; later layers win. */
interface PolicyLayer {
  readonly path: string;
  readonly note?: string;
  readonly values: Partial<PolicyDays>;
}

interface SourcedValue {
  readonly value: number;
  readonly label: string;
  readonly local: boolean;
  /** This field's path in the layer being validated. */
  readonly path: string;
  /** Whether setting `path` would change the merged value (no later layer fixes it). */
  readonly overridable: boolean;
}

/** Checks the merged layers, reporting only clashes that involve a value set in `validated`. */
function policyOrderProblems(layers: readonly PolicyLayer[], validated: PolicyLayer): ConfigProblem[] {
  const field = (name: keyof PolicyDays): SourcedValue | undefined => {
    const layer = layers.findLast((l) => l.values[name] !== undefined);
    const value = layer?.values[name];
    if (!layer || value === undefined) return undefined;
    const source = `${layer.path}.${name}`;
    return {
      value,
      label: layer.note ? `${source} (${value}, ${layer.note})` : `${source} (${value})`,
      local: layer === validated,
      path: `${validated.path}.${name}`,
      overridable: layers.indexOf(layer) <= layers.indexOf(validated),
    };
  };
  const warn = field('warnDays');
  const expiry = field('expiryDays');
  const deletion = field('deletionDays');
  const problems: ConfigProblem[] = [];
  if (warn && expiry) pushDefined(problems, strictlyBelow(warn, expiry, 'lower'));
  if (expiry && deletion) pushDefined(problems, strictlyBelow(expiry, deletion, 'upper'));
  return problems;
}

/**
 * Reports `lower < upper` being violated on the side the user set in the layer being validated, preferring
 * `blame` when both were set there.
 */
function strictlyBelow(lower: SourcedValue, upper: SourcedValue, blame: 'lower' | 'upper'): ConfigProblem | undefined {
  if (lower.value < upper.value || (!lower.local && !upper.local)) return undefined;
  const onUpper = upper.local && (blame === 'upper' || !lower.local);
  if (onUpper) {
    const alternative = lower.local || !lower.overridable ? '' : ` or set ${lower.path} to at most ${upper.value - 1}`;
    return {
      path: upper.path,
      message: `must be greater than ${lower.label}; set it to at least ${lower.value + 1}${alternative}`,
    };
  }
  const alternative = upper.local || !upper.overridable ? '' : ` or set ${upper.path} to at least ${lower.value + 1}`;
  return {
    path: lower.path,
    message: `must be less than ${upper.label}; set it to at most ${upper.value - 1}${alternative}`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Execution input (a manual start from the console, or the schedule)

const executionInputSchema = strictObject({
  /** Assess and report only; nothing is created, deleted, renamed, staged or queued. @default false */
  dryRun: z.boolean({ error: () => 'must be true or false' }).optional(),
  /** Only these consumer orgs (by name). @default every consumer org */
  consumerOrgs: z.array(z.string().min(1, 'must not be empty'), { error: () => "must be a list of consumer org names, e.g. ['acme-partner']" }).optional(),
  /** Only these apps, each written `consumerOrg/app`. @default every app */
  apps: z
    .array(z.string().regex(/^[^/]+\/[^/]+$/, "must be written 'consumerOrg/app', e.g. 'acme-partner/billing'"), {
      error: () => "must be a list like ['acme-partner/billing']",
    })
    .optional(),
  /** A subset of the configured targets. @default every configured target */
  targets: z.array(targetSchema, { error: () => "must be a list like [{ providerOrg: 'acme', catalog: 'production' }]" }).min(1, 'must not be empty; omit it to run every target').optional(),
  /** Policy days for this run only, merged over the config with the same rules. @default the config's policy */
  policy: strictObject({
    expiryDays: policyFields.expiryDays.optional(),
    deletionDays: policyFields.deletionDays.optional(),
    warnDays: policyFields.warnDays.optional(),
  }).optional(),
  /** ISO-8601 instant the run treats as now. Only honoured by local runs; a deployed stack always uses the execution start time. */
  now: z.iso.datetime({ offset: true, error: () => "must be an ISO-8601 date-time, e.g. '2025-01-31T03:00:00Z'" }).optional(),
  /** Who started the run. @default 'manual' */
  trigger: z.enum(['schedule', 'manual'], { error: () => "must be 'schedule' or 'manual'" }).optional(),
  /**
   * Emergency rotation: these credentials, each written `consumerOrg/app/credential` (the credential name may
   * contain '/'), are replaced in this run whatever their age. @default none
   */
  rotateNow: z
    .array(z.string({ error: () => "must be a string 'consumerOrg/app/credential'" }), {
      error: () => "must be a list like ['acme-partner/billing/main']",
    })
    .min(1, 'must not be empty; omit it for an ordinary run')
    .optional(),
  /** Hours after the emergency replacement's creation at which the original is deleted. @default 24 */
  graceHours: wholeNumber({ min: 0, example: 24, unit: '(hours)' }).optional(),
  /** Required with `graceHours: 0`: the original is deleted as soon as the replacement works, without waiting for the announcement. */
  confirmRevoke: z.boolean({ error: () => 'must be true or false' }).optional(),
});

/** Grace of an emergency rotation when the input names none. */
export const EMERGENCY_GRACE_HOURS_DEFAULT = 24;

/** One credential named in `rotateNow`. */
export interface EmergencyCredential {
  readonly consumerOrg: string;
  readonly app: string;
  readonly credential: string;
}

export interface EmergencyRotation {
  readonly credentials: readonly EmergencyCredential[];
  readonly graceHours: number;
  readonly confirmRevoke: boolean;
}

/** Splits `consumerOrg/app/credential` on its first two '/': credential names may contain '/', org and app names may not. */
export function parseEmergencyEntry(entry: string): EmergencyCredential | undefined {
  const first = entry.indexOf('/');
  const second = first < 0 ? -1 : entry.indexOf('/', first + 1);
  if (first <= 0 || second <= first + 1 || second === entry.length - 1) return undefined;
  return { consumerOrg: entry.slice(0, first), app: entry.slice(first + 1, second), credential: entry.slice(second + 1) };
}

function emergencyProblems(input: z.output<typeof executionInputSchema>, config: RotatorConfig): { problems: ConfigProblem[]; emergency?: EmergencyRotation } {
  const problems: ConfigProblem[] = [];
  if (!input.rotateNow) {
    for (const key of ['graceHours', 'confirmRevoke'] as const) {
      if (input[key] !== undefined) problems.push({ path: key, message: 'only applies with rotateNow; add rotateNow or remove it' });
    }
    return { problems };
  }
  const credentials: EmergencyCredential[] = [];
  const seen = new Set<string>();
  input.rotateNow.forEach((entry, index) => {
    const parsed = parseEmergencyEntry(entry);
    if (!parsed) {
      problems.push({
        path: `rotateNow[${index}]`,
        message: `"${entry}" must be written 'consumerOrg/app/credential', e.g. 'acme-partner/billing/main'`,
      });
      return;
    }
    if (seen.has(entry)) {
      problems.push({ path: `rotateNow[${index}]`, message: `"${entry}" is listed twice; remove one` });
      return;
    }
    seen.add(entry);
    credentials.push(parsed);
    if (Object.hasOwn(config.consumerOrgOverrides, parsed.consumerOrg) && config.consumerOrgOverrides[parsed.consumerOrg]?.exempt) {
      problems.push({
        path: `rotateNow[${index}]`,
        message: `"${entry}" is in consumer org ${parsed.consumerOrg}, which the config exempts from rotation; remove the exemption first`,
      });
    }
    if (input.consumerOrgs && !input.consumerOrgs.includes(parsed.consumerOrg)) {
      problems.push({
        path: `rotateNow[${index}]`,
        message: `"${entry}" is in consumer org ${parsed.consumerOrg}, which the consumerOrgs filter excludes; add it there or remove the filter`,
      });
    }
    if (input.apps && !input.apps.includes(`${parsed.consumerOrg}/${parsed.app}`)) {
      problems.push({
        path: `rotateNow[${index}]`,
        message: `"${entry}" is in app ${parsed.consumerOrg}/${parsed.app}, which the apps filter excludes; add it there or remove the filter`,
      });
    }
  });
  const graceHours = input.graceHours ?? EMERGENCY_GRACE_HOURS_DEFAULT;
  if (graceHours === 0 && input.confirmRevoke !== true) {
    problems.push({
      path: 'graceHours',
      message: 'graceHours 0 deletes the old credential without any grace; add "confirmRevoke": true to confirm, or give consumers some hours',
    });
  }
  return { problems, emergency: { credentials, graceHours, confirmRevoke: input.confirmRevoke ?? false } };
}

export type ExecutionInput = z.input<typeof executionInputSchema>;

export interface ResolvedPolicy {
  readonly expiryDays: number;
  readonly deletionDays: number;
  readonly warnDays: number;
  readonly replacementSuffix: string;
}

export interface ResolvedRunInput {
  readonly dryRun: boolean;
  /** ISO-8601 instant every age is measured against. */
  readonly now: string;
  readonly policy: ResolvedPolicy;
  readonly consumerOrgOverrides: Readonly<Record<string, ConsumerOrgOverride>>;
  readonly targets: readonly CatalogTarget[];
  readonly filter: { readonly consumerOrgs?: readonly string[]; readonly apps?: readonly string[] };
  readonly trigger: 'schedule' | 'manual';
  /** The credentials this run rotates at once (`rotateNow`), absent on ordinary runs. */
  readonly emergency?: EmergencyRotation;
}

export interface ExecutionContext {
  /** True only for local runs, where tests and demos move the clock. */
  readonly allowClockOverride: boolean;
  /** The Step Functions execution start time (ISO-8601). */
  readonly executionStartTime: string;
}

export function parseExecutionInput(raw: unknown, config: RotatorConfig, context: ExecutionContext): ResolvedRunInput {
  const parsed = executionInputSchema.safeParse(raw ?? {});
  const problems = parsed.success ? [] : problemsOf(parsed.error);
  if (!parsed.success) throw new ConfigError('execution input', problems);
  const input = parsed.data;

  if (input.now !== undefined && !context.allowClockOverride) {
    problems.push({
      path: 'now',
      message: 'the clock cannot be moved in a deployed stack; remove now (runs measure ages from the execution start time)',
    });
  }
  const targets = input.targets ?? config.targets;
  problems.push(...duplicateTargetProblems(targets, 'targets'));
  targets.forEach((target, index) => {
    if (!config.targets.some((t) => t.providerOrg === target.providerOrg && t.catalog === target.catalog)) {
      problems.push({
        path: `targets[${index}]`,
        message: `${target.providerOrg}/${target.catalog} is not a configured target; use one of: ${config.targets.map((t) => `${t.providerOrg}/${t.catalog}`).join(', ')}`,
      });
    }
  });

  const configLayer: PolicyLayer = { path: 'policy', note: 'from the config', values: config.policy };
  if (input.policy) {
    const runLayer: PolicyLayer = { path: 'policy', values: input.policy };
    problems.push(...policyOrderProblems([configLayer, runLayer], runLayer));
    for (const [name, override] of Object.entries(config.consumerOrgOverrides)) {
      if (override.exempt) continue;
      const overrideLayer: PolicyLayer = { path: `consumerOrgOverrides.${name}`, note: 'from the config', values: override };
      const clashes = policyOrderProblems([configLayer, runLayer, overrideLayer], runLayer);
      problems.push(...clashes.map((p) => ({ ...p, message: `${p.message} (consumer org ${name} keeps its override)` })));
    }
  }
  const emergency = emergencyProblems(input, config);
  problems.push(...emergency.problems);
  if (problems.length > 0) throw new ConfigError('execution input', problems);

  return {
    dryRun: input.dryRun ?? false,
    now: new Date(input.now ?? context.executionStartTime).toISOString(),
    policy: { ...config.policy, ...input.policy },
    consumerOrgOverrides: config.consumerOrgOverrides,
    targets,
    filter: {
      ...(input.consumerOrgs ? { consumerOrgs: input.consumerOrgs } : {}),
      ...(input.apps ? { apps: input.apps } : {}),
    },
    trigger: input.trigger ?? 'manual',
    ...(emergency.emergency && { emergency: emergency.emergency }),
  };
}

// ---------------------------------------------------------------------------------------------------------------

function problemsOf(error: z.ZodError): ConfigProblem[] {
  return error.issues.flatMap((issue) => {
    const path = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: path ? `${path}.${key}` : key,
        message: TLS_DISABLING_KEY.test(key) ? TLS_DISABLING_MESSAGE : `unknown key; ${issue.message}`,
      }));
    }
    return [{ path: path || '(root)', message: issue.message }];
  });
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    return acc ? `${acc}.${String(key)}` : String(key);
  }, '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pickDefined<T extends object>(values: T, keys: readonly string[]): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([key]) => keys.includes(key))) as Partial<T>;
}

function pushDefined<T>(list: T[], item: T | undefined): void {
  if (item !== undefined) list.push(item);
}
