/**
 * The catalog the end-to-end tests rotate, built explicitly, and the schedule docs/design.md predicts for it:
 * on which day each credential is warned about, replaced and removed, and which notices each run sends.
 */
import { randomBytes } from 'node:crypto';
import type { NoticeKind } from '../../functions/domain/model';
import type { SimulatorSeed } from '../../tools/apic-simulator';
import { DAY_MS } from '../../functions/domain/time';

export const PROVIDER_ORG = 'e2e-porg';
export const CATALOG = 'live';
export const TARGET = { providerOrg: PROVIDER_ORG, catalog: CATALOG } as const;
export const SUFFIX = '_new';
export const POLICY = { expiryDays: 90, deletionDays: 100, warnDays: 14, replacementSuffix: SUFFIX } as const;
export const GRACE_DAYS = POLICY.deletionDays - POLICY.expiryDays;
export const OPERATOR_EMAIL = 'apic-operators@provider.example.com';
export const TIMELINE_START = new Date('2025-01-01T03:00:00.000Z');
export const HORIZON_DAYS = 120;

export function dayAt(day: number): Date {
  return new Date(TIMELINE_START.getTime() + day * DAY_MS);
}

/** One seeded credential, with the client id and secret its consumer already holds. */
export interface SeededCredential {
  readonly consumerOrg: string;
  readonly app: string;
  readonly name: string;
  readonly title: string;
  readonly ageDays: number;
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface SeededConsumerOrg {
  readonly name: string;
  readonly ownerEmail?: string;
}

export interface TimelineCatalog {
  readonly seed: SimulatorSeed;
  readonly consumerOrgs: readonly SeededConsumerOrg[];
  readonly credentials: readonly SeededCredential[];
}

interface CredentialSpec {
  readonly name: string;
  readonly title: string;
  readonly ageDays: number;
}

interface ConsumerOrgSpec {
  readonly name: string;
  readonly title: string;
  readonly ownerEmail?: string;
  readonly apps: ReadonlyArray<{ readonly name: string; readonly title: string; readonly credentials: readonly CredentialSpec[] }>;
}

/**
 * Ages at day 0 cover every lifecycle entry point: fresh (0, 30), inside the warning window (76, 80, 89), due
 * (90) and overdue (95, 99, 130). `multi` rotates three credentials on three schedules; one name has a space and
 * one is not ASCII; `orphan-org`'s owner has no e-mail.
 */
const CONSUMER_ORGS: readonly ConsumerOrgSpec[] = [
  {
    name: 'north-bank',
    title: 'North Bank',
    ownerEmail: 'alice@north-bank.example.com',
    apps: [
      { name: 'mobile', title: 'Mobile', credentials: [{ name: 'mobile-key', title: 'Mobile key', ageDays: 89 }] },
      {
        name: 'multi',
        title: 'Multi',
        credentials: [
          { name: 'alpha', title: 'Alpha', ageDays: 0 },
          { name: 'beta', title: 'Beta', ageDays: 30 },
          { name: 'gamma', title: 'Gamma', ageDays: 95 },
        ],
      },
    ],
  },
  {
    name: 'south-ins',
    title: 'South Insurance',
    ownerEmail: 'bob@south-ins.example.org',
    apps: [
      {
        name: 'claims',
        title: 'Claims',
        credentials: [
          { name: 'Credential for Claims', title: 'Credential for Claims', ageDays: 76 },
          { name: 'zürich-büro', title: 'Zürich Büro', ageDays: 80 },
        ],
      },
    ],
  },
  {
    name: 'east-trade',
    title: 'East Trade',
    ownerEmail: 'carol@east-trade.example.net',
    apps: [
      { name: 'tracker', title: 'Tracker', credentials: [{ name: 'tracker-key', title: 'Tracker key', ageDays: 90 }] },
      { name: 'legacy', title: 'Legacy', credentials: [{ name: 'legacy-key', title: 'Legacy key', ageDays: 130 }] },
    ],
  },
  {
    name: 'orphan-org',
    title: 'Orphan Org',
    apps: [{ name: 'sync', title: 'Sync', credentials: [{ name: 'sync-key', title: 'Sync key', ageDays: 99 }] }],
  },
];

/** A fresh catalog: every call issues new client ids and secrets. */
export function timelineCatalog(): TimelineCatalog {
  const credentials: SeededCredential[] = CONSUMER_ORGS.flatMap((org) =>
    org.apps.flatMap((app) =>
      app.credentials.map((spec) => ({
        consumerOrg: org.name,
        app: app.name,
        ...spec,
        clientId: randomBytes(16).toString('hex'),
        clientSecret: randomBytes(24).toString('base64url'),
      })),
    ),
  );
  const seedOf = (org: string, app: string) =>
    credentials
      .filter((c) => c.consumerOrg === org && c.app === app)
      .map(({ name, title, ageDays, clientId, clientSecret }) => ({ name, title, ageDays, clientId, clientSecret }));
  return {
    seed: {
      catalogs: [
        {
          ...TARGET,
          consumerOrgs: CONSUMER_ORGS.map((org) => ({
            name: org.name,
            title: org.title,
            owner: { username: `${org.name}-owner`, ...(org.ownerEmail ? { email: org.ownerEmail } : {}) },
            apps: org.apps.map((app) => ({ name: app.name, title: app.title, credentials: seedOf(org.name, app.name) })),
          })),
        },
      ],
    },
    consumerOrgs: CONSUMER_ORGS.map(({ name, ownerEmail }) => (ownerEmail ? { name, ownerEmail } : { name })),
    credentials,
  };
}

/** The local stack config the timeline runs with: the policy is spelled out rather than left to defaults. */
export function timelineConfig(options: { operatorEmail?: string } = {}): Record<string, unknown> {
  return {
    policy: { ...POLICY },
    ...(options.operatorEmail ? { operatorEmail: options.operatorEmail } : {}),
  };
}

/** One rotation cycle of one credential, in days from the start of the timeline. */
export interface Cycle {
  /** Undefined when the credential was already due when first seen: it is replaced without a warning. */
  readonly warnDay?: number;
  readonly createDay: number;
  readonly deleteDay: number;
}

export interface CredentialSchedule {
  readonly credential: SeededCredential;
  readonly cycles: readonly Cycle[];
}

/**
 * The lifecycle of docs/design.md for daily runs: warn at age `expiry − warn`, replace at age `expiry` (at once when
 * already older), remove the original when the replacement is `grace` days old. The renamed replacement keeps its
 * creation date, so the next cycle is due `expiry` days after the replacement was created.
 */
export function scheduleOf(credential: SeededCredential, horizonDays = HORIZON_DAYS): CredentialSchedule {
  const cycles: Cycle[] = [];
  const firstCreate = Math.max(0, POLICY.expiryDays - credential.ageDays);
  for (let createDay = firstCreate; createDay - POLICY.warnDays <= horizonDays; createDay += POLICY.expiryDays) {
    // A credential first seen already due (created on day 0) was never inside its warning window.
    const warnDay = createDay > 0 ? Math.max(0, createDay - POLICY.warnDays) : undefined;
    cycles.push({ ...(warnDay === undefined ? {} : { warnDay }), createDay, deleteDay: createDay + GRACE_DAYS });
  }
  return { credential, cycles };
}

export interface ExpectedNotice {
  readonly kind: NoticeKind;
  readonly consumerOrg: string;
  readonly app: string;
  readonly credential: string;
}

export interface DayPlan {
  readonly created: readonly SeededCredential[];
  readonly deleted: readonly SeededCredential[];
  readonly notices: readonly ExpectedNotice[];
}

export class TimelineModel {
  readonly schedules: readonly CredentialSchedule[];

  constructor(
    readonly catalog: TimelineCatalog,
    readonly horizonDays = HORIZON_DAYS,
  ) {
    this.schedules = catalog.credentials.map((credential) => scheduleOf(credential, horizonDays));
  }

  /** Days on which something happens, the day before each (to see it has not happened early), and every week. */
  runDays(): number[] {
    const days = new Set<number>([this.horizonDays]);
    for (let day = 0; day <= this.horizonDays; day += 7) days.add(day);
    for (const { cycles } of this.schedules) {
      for (const { warnDay, createDay, deleteDay } of cycles) {
        for (const day of [warnDay, createDay, deleteDay]) {
          if (day === undefined) continue;
          days.add(day);
          if (day > 0) days.add(day - 1);
        }
      }
    }
    return [...days].filter((day) => day <= this.horizonDays).sort((a, b) => a - b);
  }

  /** Whether the credential's replacement exists next to its original at the end of that day's run. */
  inFlight(credential: SeededCredential, day: number): boolean {
    return this.scheduleFor(credential).cycles.some((c) => c.createDay <= day && day < c.deleteDay);
  }

  /** Whether the credential has been replaced at least once by the end of that day's run. */
  rotatedBy(credential: SeededCredential, day: number): boolean {
    return this.scheduleFor(credential).cycles.some((c) => c.createDay <= day);
  }

  /** Whether the original the consumer held before the timeline still exists at the end of that day's run. */
  originalPresent(credential: SeededCredential, day: number): boolean {
    const first = this.scheduleFor(credential).cycles[0];
    return !first || day < first.deleteDay;
  }

  plan(day: number): DayPlan {
    const created: SeededCredential[] = [];
    const deleted: SeededCredential[] = [];
    const notices: ExpectedNotice[] = [];
    for (const { credential, cycles } of this.schedules) {
      const notice = (kind: NoticeKind) =>
        notices.push({ kind, consumerOrg: credential.consumerOrg, app: credential.app, credential: credential.name });
      for (const cycle of cycles) {
        if (cycle.warnDay === day) notice('warn');
        if (cycle.createDay === day) {
          created.push(credential);
          notice('replacement-ready');
        }
        if (cycle.deleteDay === day) {
          deleted.push(credential);
          notice('old-removed');
        }
      }
    }
    return { created, deleted, notices };
  }

  /** The address the notices of a consumer org go to: its owner, else the operator (if any). */
  recipientOf(consumerOrg: string, operatorEmail?: string): string | undefined {
    return this.catalog.consumerOrgs.find((org) => org.name === consumerOrg)?.ownerEmail ?? operatorEmail;
  }

  private scheduleFor(credential: SeededCredential): CredentialSchedule {
    const found = this.schedules.find((s) => s.credential === credential);
    if (!found) throw new RangeError(`credential ${credential.name} is not part of this catalog`);
    return found;
  }
}
