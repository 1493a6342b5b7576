/**
 * Crash at every step boundary. A reference timeline counts the workflow's mutating port calls (APIC writes,
 * secret-store writes, mails, ...), so the boundaries come from the workflow itself: a new step adds boundaries
 * without touching this file. It also snapshots its world at the start of every day. Then, for every boundary, a
 * fresh world restores the snapshot of the boundary's day and runs that day with the boundary's call taking effect
 * and the Lambda dying right after it; the day is redriven and run again, the timeline continues, and the world must
 * hold the invariants after every run and end where the reference ended.
 *
 * Also the world the fault, crash and bad-input suites share: the local stack run by day, its invariants and its
 * end state.
 */
import '../../tools/polyfill';
import { secretNameFor } from '../../functions/domain/secrets';
import { decoratePorts, type Ports } from '../../functions/runtime/ports';
import type { ApicSimulator, InspectedCredential, SimulatorOptions, SimulatorSeed } from '../../tools/apic-simulator';
import { startLocalEnvironment, type LocalEnvironmentRunOptions, type LocalEnvironmentSnapshot } from '../../tools/runner/local-environment';
import type { SecretsManagerEmulator } from '../../tools/emulators/secrets-manager/emulator';
import type { SesEmulator } from '../../tools/emulators/ses/emulator';
import type { EventBridgeEmulator } from '../../tools/emulators/eventbridge/emulator';
import type { LocalRunResult } from '../../tools/runner/workflow-runner';
import { scanWorld, type SecretScan } from './faults-secrets';

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
  /**
   * Start from this snapshot of another world (taken with the same seed and config) instead of the seed alone: its
   * services' state, its evidence so far and its seeded credentials, all deep-copied.
   */
  readonly from?: WorldSnapshot;
}

/** A deep copy of a world between runs, as plain data: `startRotationWorld({ ..., from })` continues from it. */
export interface WorldSnapshot {
  readonly stack: LocalEnvironmentSnapshot;
  readonly evidence: readonly string[];
  readonly initial: readonly SeededApp[];
}

export type WorldRunOptions = Omit<LocalEnvironmentRunOptions, 'now'>;

export interface RotationWorld {
  readonly apic: ApicSimulator;
  readonly secretsManager: SecretsManagerEmulator;
  readonly ses: SesEmulator;
  /** Receives the rotation events the action steps publish. */
  readonly eventBridge: EventBridgeEmulator;
  readonly config: Record<string, unknown>;
  readonly start: Date;
  /** What the world held before any run: the credentials a consumer already holds the secrets of. */
  readonly initial: readonly SeededApp[];
  /** Every log line, state payload, summary and error of every run so far: the material of a secret scan. */
  readonly evidence: string[];
  /** Runs the workflow on `day` of the timeline (the simulator clock moves there first). */
  runDay(day: number, options?: WorldRunOptions): Promise<LocalRunResult>;
  /** A deep copy of the world as it is now (call it between runs). */
  snapshot(): Promise<WorldSnapshot>;
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
  const stack = await startLocalEnvironment({
    simulator: { ...options.simulator, seed: options.seed, now: options.start, randomSeed },
    randomSeed,
    ...(options.config ? { config: options.config } : {}),
  });
  if (options.from) stack.restore(options.from.stack);
  const initial = options.from ? structuredClone([...options.from.initial]) : seededApps(stack.apic, options.seed);
  const evidence: string[] = options.from ? [...options.from.evidence] : [];
  return {
    apic: stack.apic,
    secretsManager: stack.secretsManager,
    ses: stack.ses,
    eventBridge: stack.eventBridge,
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
    snapshot: async () => ({ stack: await stack.snapshot(), evidence: [...evidence], initial: structuredClone(initial) }),
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
 * and, when the armed call is reached, lets that call take effect and then throws `SimulatedCrash`.
 */
export class BoundaryCounter {
  readonly boundaries: string[] = [];
  private armed: { readonly boundary: string; readonly occurrence: number } | undefined;
  /** The call a crash was thrown after, and which call of its kind (since counting began) it was. */
  crashed: { readonly boundary: string; readonly occurrence: number } | undefined;

  /**
   * Crash right after the `occurrence`-th (1-based) call of `boundary` from now on; undefined only counts. Armed by
   * kind, not by position: apps run concurrently, so the order of calls of different kinds may vary between runs.
   */
  arm(target: { readonly boundary: string; readonly occurrence: number } | undefined): void {
    this.armed = target && { boundary: target.boundary, occurrence: this.count(target.boundary) + target.occurrence };
  }

  /** Calls of `boundary` so far. */
  count(boundary: string): number {
    return this.boundaries.filter((b) => b === boundary).length;
  }

  decorate = (ports: Ports): Ports => {
    const decorated: Record<string, unknown> = { ...ports };
    for (const [name, port] of Object.entries(ports)) {
      // The run lease is no step boundary: it guards runs against each other, not the world against a crash (a
      // lease left by a crashed run is freed by its holder's status or expiry; test/e2e-run-lease.test.ts).
      if (name !== 'config' && name !== 'leases' && typeof port === 'object' && port !== null) decorated[name] = this.wrap(name, port);
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
          const boundary = `${port}.${property}`;
          this.boundaries.push(boundary);
          if (boundary === this.armed?.boundary && this.count(boundary) === this.armed.occurrence) {
            this.crashed = this.armed;
            this.armed = undefined;
            throw new SimulatedCrash(boundary);
          }
          return outcome;
        };
      },
    });
  }
}

export interface CrashTimeline extends Omit<WorldOptions, 'from'> {
  /** Days of the timeline, ascending; the reference must be fully rotated after the last. */
  readonly days: readonly number[];
  /** Extra days after the timeline on which every crashed world must have caught up. */
  readonly settleDays: readonly number[];
}

/** One step boundary of the reference timeline: where a crash point crashes. */
export interface CrashPoint {
  /** 1-based position among every mutating call of the reference timeline. */
  readonly point: number;
  /** `port.method` of the call, e.g. "apic.deleteCredential". */
  readonly boundary: string;
  readonly day: number;
  /**
   * 1-based position among the calls of its kind on its day: the 2 in "apic.deleteCredential #2 on day 10". The crash
   * world crashes after that call of that kind (apps run concurrently: the position among all calls of the day may vary).
   */
  readonly occurrence: number;
}

export interface CrashPlan {
  readonly timeline: CrashTimeline;
  /** The mutating calls of the reference timeline, in order: the step boundaries. */
  readonly points: readonly CrashPoint[];
  readonly reference: {
    readonly endState: EndState;
    /** Invariant violations after each reference run, labelled by the run (none expected). */
    readonly violations: readonly string[];
    readonly secretScan: SecretScan;
  };
  /** The reference world at the start of each day of the timeline, before that day's run. Frozen. */
  readonly startOfDay: Readonly<Record<number, WorldSnapshot>>;
}

export interface CrashPointResult {
  /** How the run that crashed ended: FAILED, or the crash counted as a failed app or a failed notice. */
  readonly crashedRun: { readonly status: string; readonly appsFailed: number; readonly noticesFailed: number };
  /** The call the crash happened after and which of its kind that day it was; undefined when the run made fewer such calls. */
  readonly crashedAfter: { readonly boundary: string; readonly occurrence: number } | undefined;
  /** Invariant violations after each run, labelled by the run. */
  readonly violations: string[];
  readonly endState: EndState;
  /** The secret scan of the crashed world: everything said in it, from day 0 on, and every mail it sent. */
  readonly secretScan: SecretScan;
}

async function withCounter<T>(counter: BoundaryCounter, body: () => Promise<T>): Promise<T> {
  decoratePorts(counter.decorate);
  try {
    return await body();
  } finally {
    decoratePorts(undefined);
  }
}

async function withWorld<T>(options: WorldOptions, body: (world: RotationWorld) => Promise<T>): Promise<T> {
  const world = await startRotationWorld(options);
  try {
    return await body(world);
  } finally {
    await world.close();
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function allDays(timeline: CrashTimeline): number[] {
  return [...timeline.days, ...timeline.settleDays];
}

/**
 * Runs the reference timeline once: its boundaries, its end state, its invariants after every run, its secret scan,
 * and a snapshot of its world at the start of every day. The plan is deeply frozen, so the crash points that share
 * it cannot change it (restoring a snapshot copies it).
 */
export async function planCrashes(timeline: CrashTimeline): Promise<CrashPlan> {
  const counter = new BoundaryCounter();
  const points: CrashPoint[] = [];
  const startOfDay: Record<number, WorldSnapshot> = {};
  const violations: string[] = [];
  const reference = await withWorld(timeline, async (world) =>
    withCounter(counter, async () => {
      for (const day of allDays(timeline)) {
        startOfDay[day] = await world.snapshot();
        const before = counter.boundaries.length;
        await world.runDay(day);
        violations.push(...invariantViolations(world).map((v) => `day ${day}: ${v}`));
        const ofKind = new Map<string, number>();
        for (const boundary of counter.boundaries.slice(before)) {
          ofKind.set(boundary, (ofKind.get(boundary) ?? 0) + 1);
          points.push({ point: points.length + 1, boundary, day, occurrence: ofKind.get(boundary) ?? 0 });
        }
      }
      return { endState: endState(world), violations, secretScan: await scanWorld(world) };
    }),
  );
  return deepFreeze({ timeline, points, reference, startOfDay });
}

/**
 * One crash point in a world of its own: restores the reference world at the start of the point's day, crashes right
 * after the point's call, redrives the day, runs it again, and runs the rest of the timeline, checking the invariants
 * after every run.
 */
export async function runCrashPoint(plan: CrashPlan, crash: CrashPoint): Promise<CrashPointResult> {
  const from = plan.startOfDay[crash.day];
  if (!from) throw new Error(`the crash plan has no snapshot of day ${crash.day}`);
  const days = allDays(plan.timeline);
  return withWorld({ ...plan.timeline, from }, async (world) => {
    const violations: string[] = [];
    const check = (label: string) => violations.push(...invariantViolations(world).map((v) => `${label}: ${v}`));
    const counter = new BoundaryCounter();
    let crashedRun = { status: 'not run', appsFailed: 0, noticesFailed: 0 };
    await withCounter(counter, async () => {
      counter.arm(crash);
      const executionName = `crash-${crash.point}`;
      for (const day of days.slice(days.indexOf(crash.day))) {
        const crashed = await world.runDay(day, day === crash.day ? { executionName } : {});
        check(`day ${day}`);
        if (day !== crash.day) continue;
        crashedRun = {
          status: crashed.status,
          appsFailed: crashed.summary?.appsFailed ?? 0,
          noticesFailed: crashed.summary?.notices.failed ?? 0,
        };
        if (!counter.crashed) {
          const calls = counter.count(crash.boundary);
          violations.push(`day ${day}: crash point not reached (${calls} calls of ${crash.boundary}, run ${crashed.status})`);
        }
        await world.runDay(day, { executionName });
        check(`day ${day} redrive`);
        await world.runDay(day);
        check(`day ${day} run again`);
      }
    });
    return {
      crashedRun,
      crashedAfter: counter.crashed,
      violations,
      endState: endState(world),
      secretScan: await scanWorld(world),
    };
  });
}
