/**
 * Crash at every step boundary. A reference timeline counts the workflow's mutating port calls (APIC writes,
 * secret-store writes, mails), so the boundaries come from the workflow itself: a new step adds boundaries without
 * touching this file. Then, for every boundary N, a fresh world replays the timeline with the N-th mutating call
 * taking effect and the Lambda dying right after it; the day is redriven and run again, the timeline continues,
 * and the world must hold the invariants after every run and end where the reference ended.
 *
 * Also the world the fault, crash and bad-input suites share: the local stack run by day, its invariants and its
 * end state.
 */
import '../../tools/polyfill';
import { secretNameFor } from '../../functions/domain/secrets';
import { decoratePorts, type Ports } from '../../functions/runtime/ports';
import type { ApicSimulator, InspectedCredential, SimulatorOptions, SimulatorSeed } from '../../tools/apic-simulator';
import { startLocalStack, type LocalStackRunOptions } from '../../tools/runner/local-environment';
import type { SecretsManagerEmulator } from '../../tools/emulators/secrets-manager/emulator';
import type { SesEmulator } from '../../tools/emulators/ses/emulator';
import type { LocalRunResult } from '../../tools/runner/workflow-runner';

import { DAY_MS } from '../../functions/domain/time';
const SUFFIX = '_new';
const SECRET_PREFIX = 'apic-rotator';
const STAGE_CURRENT = 'AWSCURRENT';
const STAGE_PENDING = 'AWSPENDING';

/** The error a crash plan throws right after a mutating call took effect: what Step Functions reports for a dead Lambda. */
export class SimulatedCrash extends Error {
  constructor(readonly boundary: string) {
    super(`simulated Lambda crash right after ${boundary}`);
    this.name = 'Lambda.Unknown';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The world

export interface WorldOptions {
  readonly seed: SimulatorSeed;
  /** Day 0 of the timeline: the simulator clock starts here and seeded ages count from it. */
  readonly start: Date;
  readonly randomSeed?: number;
  readonly simulator?: Omit<SimulatorOptions, 'seed' | 'now' | 'randomSeed'>;
  /** Config fields over the local defaults. */
  readonly config?: Record<string, unknown>;
}

export type WorldRunOptions = Omit<LocalStackRunOptions, 'now'>;

export interface RotationWorld {
  readonly apic: ApicSimulator;
  readonly secretsManager: SecretsManagerEmulator;
  readonly ses: SesEmulator;
  readonly config: Record<string, unknown>;
  readonly start: Date;
  /** What the world held before any run: the credentials a consumer already holds the secrets of. */
  readonly initial: readonly SeededApp[];
  /** Every log line, state payload, summary and error of every run so far: the material of a secret scan. */
  readonly evidence: string[];
  /** Runs the workflow on `day` of the timeline (the simulator clock moves there first). */
  runDay(day: number, options?: WorldRunOptions): Promise<LocalRunResult>;
  close(): Promise<void>;
}

export interface SeededApp {
  readonly providerOrg: string;
  readonly catalog: string;
  readonly consumerOrg: string;
  readonly app: string;
  readonly credentials: readonly InspectedCredential[];
}

export async function startRotationWorld(options: WorldOptions): Promise<RotationWorld> {
  const randomSeed = options.randomSeed ?? 1;
  const stack = await startLocalStack({
    simulator: { ...options.simulator, seed: options.seed, now: options.start, randomSeed },
    randomSeed,
    ...(options.config ? { config: options.config } : {}),
  });
  const initial = seededApps(stack.apic, options.seed);
  const evidence: string[] = [];
  return {
    apic: stack.apic,
    secretsManager: stack.secretsManager,
    ses: stack.ses,
    config: stack.config,
    start: options.start,
    initial,
    evidence,
    async runDay(day, runOptions = {}) {
      const now = new Date(options.start.getTime() + day * DAY_MS);
      stack.apic.clock.set(now);
      const result = await stack.run({
        ...runOptions,
        now,
        onLogLine: (line) => {
          evidence.push(line);
          runOptions.onLogLine?.(line);
        },
        recordPayloads: (payload) => {
          evidence.push(payload);
          runOptions.recordPayloads?.(payload);
        },
      });
      evidence.push(JSON.stringify(result));
      return result;
    },
    close: () => stack.close(),
  };
}

function seededApps(apic: ApicSimulator, seed: SimulatorSeed): SeededApp[] {
  return seed.catalogs.flatMap(({ providerOrg, catalog, consumerOrgs }) =>
    consumerOrgs.flatMap((org) =>
      org.apps.map((app) => ({
        providerOrg,
        catalog,
        consumerOrg: org.name,
        app: app.name,
        credentials: apic.inspect.credentials(providerOrg, catalog, org.name, app.name),
      })),
    ),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Invariants and end state

interface StoredVersionValue {
  readonly versionId: string;
  readonly stages: readonly string[];
  readonly clientId: string;
  readonly clientSecret: string;
}

function baseOf(name: string): string {
  return name.length > SUFFIX.length && name.endsWith(SUFFIX) ? name.slice(0, -SUFFIX.length) : name;
}

function secretNameOf(app: SeededApp, credential: string): string {
  return secretNameFor(SECRET_PREFIX, { ...app, credential });
}

/** The versions of a credential's secret that hold a value, with their labels. */
function storedVersions(world: RotationWorld, app: SeededApp, base: string): StoredVersionValue[] {
  const name = secretNameOf(app, base);
  if (!world.secretsManager.inspect.secretNames().includes(name)) return [];
  return world.secretsManager.inspect.versions(name).flatMap((version) => {
    if (version.value === undefined) return [];
    const value = JSON.parse(version.value) as { client_id: string; client_secret: string };
    return [{ versionId: version.versionId, stages: version.stages, clientId: value.client_id, clientSecret: value.client_secret }];
  });
}

/**
 * The stored versions that may hold a credential's secret: under its own name (an original, or a renamed
 * replacement) and under the name without the suffix (a replacement in flight).
 */
function versionsFor(world: RotationWorld, app: SeededApp, credentialName: string): StoredVersionValue[] {
  const base = baseOf(credentialName);
  return [credentialName, ...(base === credentialName ? [] : [base])].flatMap((name) => storedVersions(world, app, name));
}

function accepted(world: RotationWorld, app: SeededApp, version: StoredVersionValue): boolean {
  return world.apic.inspect.accepts(app.providerOrg, app.catalog, app.consumerOrg, app.app, version.clientId, version.clientSecret);
}

function appKey(app: SeededApp): string {
  return `${app.consumerOrg}/${app.app}`;
}

/**
 * What must hold after every run, however it ended. Returns the violations (empty when all hold):
 * - no lost secret: each credential the rotator created has its secret stored (AWSCURRENT or AWSPENDING), and APIC
 *   accepts every AWSCURRENT secret of a credential it holds;
 * - no credential without a usable credential: each seeded credential is still there, or its base's AWSCURRENT
 *   secret belongs to a credential of the app and APIC accepts it;
 * - no duplicate: at most two credentials per base name, never a replacement of a replacement.
 */
export function invariantViolations(world: RotationWorld): string[] {
  const violations: string[] = [];
  for (const app of world.initial) {
    const seededIds = new Set(app.credentials.map((c) => c.id));
    const credentials = world.apic.inspect.credentials(app.providerOrg, app.catalog, app.consumerOrg, app.app);
    const perBase = new Map<string, number>();
    for (const credential of credentials) {
      const base = baseOf(credential.name);
      perBase.set(base, (perBase.get(base) ?? 0) + 1);
      // X_new_new is a duplicate unless X_new is a credential someone else named so (then it is rotated like any other).
      if (base.endsWith(SUFFIX) && !app.credentials.some((c) => c.name === base)) {
        violations.push(`${appKey(app)}: replacement of a replacement ${credential.name}`);
      }
      if (seededIds.has(credential.id)) continue;
      const holder = versionsFor(world, app, credential.name).find(
        (v) => v.clientId === credential.clientId && (v.stages.includes(STAGE_CURRENT) || v.stages.includes(STAGE_PENDING)),
      );
      if (!holder) violations.push(`${appKey(app)}: lost secret: ${credential.name} (client id ${credential.clientId}) has no stored secret`);
      else if (holder.stages.includes(STAGE_CURRENT) && !accepted(world, app, holder)) {
        violations.push(`${appKey(app)}: APIC rejects the current stored secret of ${credential.name}`);
      }
    }
    for (const [base, count] of perBase) if (count > 2) violations.push(`${appKey(app)}: ${count} credentials for base ${base}`);
    for (const seeded of app.credentials) {
      if (credentials.some((c) => c.id === seeded.id)) continue;
      const current = storedVersions(world, app, seeded.name).find((v) => v.stages.includes(STAGE_CURRENT));
      const usable = current && credentials.some((c) => c.clientId === current.clientId) && accepted(world, app, current);
      if (!usable) violations.push(`${appKey(app)}: no usable credential for ${seeded.name}: original deleted, no accepted current secret`);
    }
  }
  return violations;
}

export interface EndState {
  /** Per app: the credentials' names and titles, sorted. */
  readonly apps: Record<string, string[]>;
  /** Per app: seeded credentials still present (0 once every one was rotated). */
  readonly unrotated: Record<string, number>;
  /** Credentials whose AWSCURRENT secret APIC does not accept, or that have none. */
  readonly withoutAcceptedCurrent: string[];
  /** Secrets still carrying an AWSPENDING label. */
  readonly pendingVersions: string[];
  /** Secrets with a notice queued but not sent. */
  readonly unsentNotices: string[];
}

export function endState(world: RotationWorld): EndState {
  const apps: Record<string, string[]> = {};
  const unrotated: Record<string, number> = {};
  const withoutAcceptedCurrent: string[] = [];
  const pendingVersions: string[] = [];
  for (const app of world.initial) {
    const credentials = world.apic.inspect.credentials(app.providerOrg, app.catalog, app.consumerOrg, app.app);
    apps[appKey(app)] = credentials.map((c) => `${c.name} | ${c.title}`).sort();
    unrotated[appKey(app)] = credentials.filter((c) => app.credentials.some((s) => s.id === c.id)).length;
    for (const credential of credentials) {
      const versions = versionsFor(world, app, credential.name);
      const current = versions.find((v) => v.stages.includes(STAGE_CURRENT) && v.clientId === credential.clientId);
      if (!current || !accepted(world, app, current)) {
        withoutAcceptedCurrent.push(`${appKey(app)}/${credential.name}`);
      }
      if (versions.some((v) => v.stages.includes(STAGE_PENDING))) pendingVersions.push(`${appKey(app)}/${credential.name}`);
    }
  }
  const unsentNotices = world.secretsManager.inspect
    .secretNames()
    .filter((name) => world.secretsManager.inspect.tags(name)['rotator:notice-pending'] !== undefined);
  return { apps, unrotated, withoutAcceptedCurrent, pendingVersions, unsentNotices };
}

// ---------------------------------------------------------------------------------------------------------------
// Crash points

/** Port methods that only read; every other method of every port is a step boundary, new ports included. */
const READ_ONLY = /^(list|get|describe|read|verify|secretName)/;

/**
 * Counts mutating port calls across every handler invocation (ports are decorated per invocation, the count is not)
 * and, when the armed point is reached, lets that call take effect and then throws `SimulatedCrash`.
 */
export class BoundaryCounter {
  readonly boundaries: string[] = [];
  private armed: number | undefined;

  /** Crash right after the `n`-th (1-based) mutating call from now on; undefined only counts. */
  arm(n: number | undefined): void {
    this.armed = n === undefined ? undefined : this.boundaries.length + n;
  }

  decorate = (ports: Ports): Ports => {
    const decorated: Record<string, unknown> = { ...ports };
    for (const [name, port] of Object.entries(ports)) {
      if (name !== 'config' && typeof port === 'object' && port !== null) decorated[name] = this.wrap(name, port);
    }
    return decorated as unknown as Ports;
  };

  private wrap<T extends object>(port: string, target: T): T {
    return new Proxy(target, {
      get: (object, property, receiver) => {
        const value: unknown = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        if (typeof property !== 'string' || READ_ONLY.test(property)) return (value as (...args: unknown[]) => unknown).bind(object);
        return async (...args: unknown[]) => {
          const outcome: unknown = await (value as (...args: unknown[]) => Promise<unknown>).apply(object, args);
          this.boundaries.push(`${port}.${property}`);
          if (this.boundaries.length === this.armed) throw new SimulatedCrash(`${port}.${property}`);
          return outcome;
        };
      },
    });
  }
}

export interface CrashPlanOptions extends Omit<WorldOptions, 'start'> {
  readonly start: Date;
  /** Days of the timeline, ascending; the reference must be fully rotated after the last. */
  readonly days: readonly number[];
  /** Extra days after the timeline on which every crashed world must have caught up. */
  readonly settleDays: readonly number[];
  /** Only these crash points (1-based); default all. Lets a suite split the points across files. */
  readonly select?: (point: number, total: number) => boolean;
  /** Called with every crashed world once its timeline is over, before it closes (e.g. to scan it for secrets). */
  readonly beforeClose?: (world: RotationWorld) => Promise<void>;
}

export interface CrashPointResult {
  readonly point: number;
  readonly boundary: string;
  readonly day: number;
  /** How the run that crashed ended: FAILED, or the crash counted as a failed app or a failed notice. */
  readonly crashedRun: { readonly status: string; readonly appsFailed: number; readonly noticesFailed: number };
  /** Invariant violations after each run, labelled by the run. */
  readonly violations: string[];
  readonly endState: EndState;
}

export interface CrashPlanReport {
  /** The mutating calls of the reference timeline, in order: the step boundaries. */
  readonly boundaries: readonly { readonly boundary: string; readonly day: number }[];
  readonly reference: EndState;
  readonly results: readonly CrashPointResult[];
}

async function withCounter<T>(counter: BoundaryCounter, body: () => Promise<T>): Promise<T> {
  decoratePorts(counter.decorate);
  try {
    return await body();
  } finally {
    decoratePorts(undefined);
  }
}

export async function runCrashPlan(options: CrashPlanOptions): Promise<CrashPlanReport> {
  const allDays = [...options.days, ...options.settleDays];
  const counter = new BoundaryCounter();
  const boundaries: { boundary: string; day: number }[] = [];
  const reference = await withWorld(options, async (world) =>
    withCounter(counter, async () => {
      for (const day of allDays) {
        const before = counter.boundaries.length;
        await world.runDay(day);
        for (const boundary of counter.boundaries.slice(before)) boundaries.push({ boundary, day });
      }
      return endState(world);
    }),
  );

  const results: CrashPointResult[] = [];
  for (const [index, { boundary, day }] of boundaries.entries()) {
    const point = index + 1;
    if (options.select && !options.select(point, boundaries.length)) continue;
    results.push(await withWorld(options, (world) => crashAt(world, options, allDays, point, boundary, day)));
  }
  return { boundaries, reference, results };
}

async function withWorld<T>(options: CrashPlanOptions, body: (world: RotationWorld) => Promise<T>): Promise<T> {
  const world = await startRotationWorld(options);
  try {
    return await body(world);
  } finally {
    await world.close();
  }
}

async function crashAt(
  world: RotationWorld,
  options: CrashPlanOptions,
  days: readonly number[],
  point: number,
  boundary: string,
  crashDay: number,
): Promise<CrashPointResult> {
  const violations: string[] = [];
  const check = (label: string) => violations.push(...invariantViolations(world).map((v) => `${label}: ${v}`));
  const counter = new BoundaryCounter();
  let crashedRun = { status: 'not run', appsFailed: 0, noticesFailed: 0 };
  await withCounter(counter, async () => {
    counter.arm(point);
    const executionName = `crash-${point}`;
    for (const day of days) {
      const crashed = await world.runDay(day, day === crashDay ? { executionName } : {});
      check(`day ${day}`);
      if (day !== crashDay) continue;
      crashedRun = {
        status: crashed.status,
        appsFailed: crashed.summary?.appsFailed ?? 0,
        noticesFailed: crashed.summary?.notices.failed ?? 0,
      };
      if (counter.boundaries.length < point) {
        violations.push(`day ${day}: crash point ${point} not reached (${counter.boundaries.length} boundaries, run ${crashed.status})`);
      }
      await world.runDay(day, { executionName });
      check(`day ${day} redrive`);
      await world.runDay(day);
      check(`day ${day} run again`);
    }
  });
  await options.beforeClose?.(world);
  return { point, boundary, day: crashDay, crashedRun, violations, endState: endState(world) };
}
