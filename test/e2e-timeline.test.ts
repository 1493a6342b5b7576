/**
 * The synthesized state machine run locally over 120 days against the APIC simulator and the AWS emulators:
 * what consumers can use after every run, when replacements appear and originals go, which notices reach whom,
 * dry runs, execution-input filters and the run summary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalEnvironment, type LocalEnvironment } from '../tools/runner/local-environment';
import type { LocalRunResult } from '../tools/runner/workflow-runner';
import type { CapturedEmail } from '../tools/emulators/ses/emulator';
import { DAY_MS } from '../functions/domain/time';
import {
  GRACE_DAYS,
  OPERATOR_EMAIL,
  POLICY,
  SUFFIX,
  TARGET,
  TIMELINE_START,
  TimelineModel,
  dayAt,
  timelineCatalog,
  timelineConfig,
  type SeededCredential,
} from './support/e2e-catalog';
import {
  findSecretLeaks,
  observeCredential,
  parseDigest,
  snapshotWorld,
  storedClientSecrets,
  verifyOverHttp,
  type CredentialObservation,
} from './support/e2e-observe';

interface TimelineRun {
  readonly day: number;
  readonly result: LocalRunResult;
  /** Mail sent by this run only. */
  readonly mails: readonly CapturedEmail[];
  readonly observations: ReadonlyMap<SeededCredential, CredentialObservation>;
}

function ageOn(day: number, createdAt: string): number {
  return Math.floor((dayAt(day).getTime() - Date.parse(createdAt)) / DAY_MS);
}

function label(credential: SeededCredential): string {
  return `${credential.consumerOrg}/${credential.app}/${credential.name}`;
}

async function startTimelineStack(catalog = timelineCatalog(), options: { operatorEmail?: string } = { operatorEmail: OPERATOR_EMAIL }) {
  const stack = await startLocalEnvironment({ simulator: { seed: catalog.seed, now: TIMELINE_START }, config: timelineConfig(options) });
  return { stack, catalog, model: new TimelineModel(catalog) };
}

async function runOn(stack: LocalEnvironment, day: number, input?: Record<string, unknown>): Promise<LocalRunResult> {
  const at = dayAt(day);
  stack.apic.clock.set(at);
  return stack.run({ now: at, ...(input ? { input } : {}) });
}

function expectedActionCounts(plan: ReturnType<TimelineModel['plan']>): Record<string, number> {
  const counts: Record<string, number> = {
    'create-replacement': plan.created.length,
    'delete-original': plan.deleted.length,
    'rename-replacement': plan.deleted.length,
    'queue-notice': plan.notices.length,
  };
  return Object.fromEntries(Object.entries(counts).filter(([, count]) => count > 0));
}

describe('a 120-day timeline of the synthesized workflow', () => {
  let stack: LocalEnvironment;
  let model: TimelineModel;
  const runs: TimelineRun[] = [];

  beforeAll(async () => {
    ({ stack, model } = await startTimelineStack());
    let mailsSeen = 0;
    for (const day of model.runDays()) {
      const result = await runOn(stack, day);
      const allMails = await stack.ses.emails();
      const mails = allMails.slice(mailsSeen);
      mailsSeen = allMails.length;
      const observations = new Map<SeededCredential, CredentialObservation>();
      for (const credential of model.catalog.credentials) observations.set(credential, await observeCredential(stack, credential));
      runs.push({ day, result, mails, observations });
    }
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('runs on every critical day and the day before it, and every run succeeds without a failed app', () => {
    expect(runs.map((r) => r.day)).toEqual(expect.arrayContaining([0, 1, 9, 10, 13, 14, 45, 46, 59, 60, 75, 76, 89, 90, 99, 100, 120]));
    const failures = runs.flatMap(({ day, result }) =>
      result.status === 'SUCCEEDED' && result.summary?.appsFailed === 0 ? [] : [{ day, error: result.error, failures: result.summary?.failures }],
    );
    expect(failures).toEqual([]);
  });

  it('leaves every credential usable after every run: the original a consumer holds, or an AWSCURRENT secret APIC accepts', () => {
    const problems: string[] = [];
    for (const { day, observations } of runs) {
      for (const [credential, seen] of observations) {
        const where = `day ${day} ${label(credential)}`;
        if (!seen.originalUsable && !seen.currentAccepted) problems.push(`${where}: no credential a consumer can use`);
        if (model.originalPresent(credential, day) && !seen.originalUsable) problems.push(`${where}: the original was disabled too early`);
        if (!model.rotatedBy(credential, day)) continue;
        if (!seen.current) {
          problems.push(`${where}: rotated but no AWSCURRENT secret`);
          continue;
        }
        if (!seen.currentAccepted) problems.push(`${where}: APIC rejects the AWSCURRENT secret`);
        const servedBy = model.inFlight(credential, day) ? seen.replacement : seen.named;
        if (seen.current.client_id !== servedBy?.clientId) problems.push(`${where}: AWSCURRENT is not the newest credential's client id`);
        const { consumer_org: consumerOrg, app, credential: base } = seen.current;
        if (consumerOrg !== credential.consumerOrg || app !== credential.app || base !== credential.name) {
          problems.push(`${where}: the secret value names ${consumerOrg}/${app}/${base}`);
        }
      }
    }
    expect(problems).toEqual([]);
    const rotated = runs.at(-1)?.observations;
    expect([...(rotated?.values() ?? [])].filter((seen) => seen.currentAccepted).length).toBe(model.catalog.credentials.length);
  });

  it('serves secrets that verify-client-secret accepts over HTTP, names with a space or non-ASCII letters included', async () => {
    const last = runs.at(-1);
    const picks = model.catalog.credentials.filter((c) => ['Credential for Claims', 'zürich-büro', 'legacy-key'].includes(c.name));
    expect(picks).toHaveLength(3);
    for (const credential of picks) {
      const current = last?.observations.get(credential)?.current;
      expect(current, label(credential)).toBeDefined();
      if (!current) continue;
      const pair = { clientId: current.client_id, clientSecret: current.client_secret };
      expect(await verifyOverHttp(stack, credential, credential.name, pair), label(credential)).toBe(200);
      expect(await verifyOverHttp(stack, credential, credential.name, { ...pair, clientSecret: `${pair.clientSecret}x` })).toBe(400);
    }
  });

  it('creates <name>_new titled <title>_new on the run where the age reaches expiryDays, and not a run earlier', () => {
    const problems: string[] = [];
    for (const { day, observations } of runs) {
      for (const [credential, seen] of observations) {
        const where = `day ${day} ${label(credential)}`;
        const expected = model.inFlight(credential, day);
        if (Boolean(seen.replacement) !== expected) problems.push(`${where}: replacement ${expected ? 'missing' : 'unexpected'}`);
        if (seen.replacement && seen.replacement.title !== credential.title + SUFFIX) problems.push(`${where}: replacement title ${seen.replacement.title}`);
        if (seen.replacement && ageOn(day, seen.replacement.createdAt) >= GRACE_DAYS) problems.push(`${where}: replacement kept past the grace`);
        const originalAge = seen.named ? ageOn(day, seen.named.createdAt) : undefined;
        if (!seen.replacement && originalAge !== undefined && originalAge >= POLICY.expiryDays) problems.push(`${where}: ${originalAge} days old, not replaced`);
        if (seen.replacement && originalAge !== undefined && originalAge < POLICY.expiryDays) problems.push(`${where}: replaced at age ${originalAge}`);
      }
    }
    expect(problems).toEqual([]);
    expect(runs.some(({ observations }) => [...observations.values()].some((seen) => seen.replacement))).toBe(true);
  });

  it('removes the original once the replacement is grace days old and gives the replacement the original name and title back', () => {
    const problems: string[] = [];
    runs.forEach(({ day, observations }, index) => {
      const previous = runs[index - 1];
      for (const [credential, seen] of observations) {
        const where = `day ${day} ${label(credential)}`;
        if (seen.sameBase > 2) problems.push(`${where}: ${seen.sameBase} credentials share the base name`);
        if (!seen.named) problems.push(`${where}: nothing carries the original name`);
        else if (seen.named.title !== credential.title) problems.push(`${where}: title ${seen.named.title}`);
        const before = previous?.observations.get(credential);
        if (!before?.replacement || seen.replacement) continue;
        // The replacement of the previous run now carries the original name: renamed, not recreated.
        if (seen.named?.id !== before.replacement.id || seen.named.clientId !== before.replacement.clientId) {
          problems.push(`${where}: the original name is not on the former replacement`);
        }
        if (before.named && ageOn(day, before.replacement.createdAt) < GRACE_DAYS) problems.push(`${where}: original removed within the grace`);
      }
    });
    expect(problems).toEqual([]);
  });

  it('rotates each credential of a multi-credential app on its own schedule', () => {
    const multi = model.catalog.credentials.filter((c) => c.app === 'multi');
    const inFlightDays = (name: string) =>
      runs.filter(({ observations }) => [...observations].some(([c, seen]) => c.name === name && seen.replacement)).map((r) => r.day);
    const byName = Object.fromEntries(multi.map((c) => [c.name, inFlightDays(c.name)]));
    expect(byName.gamma?.[0]).toBe(0);
    expect(byName.beta?.[0]).toBe(60);
    expect(byName.alpha?.[0]).toBe(90);
    expect(Math.max(...(byName.gamma ?? []).filter((day) => day < 60))).toBeLessThan(GRACE_DAYS);
    expect(byName.gamma).toContain(90);
  });

  it('sends each expected notice once, in the run it becomes due, to the owner or, without one, to the operator', () => {
    const received = runs.flatMap(({ day, mails }) =>
      mails.flatMap((mail) => {
        const digest = parseDigest(mail);
        return digest.notices.map((notice) => ({ day, to: digest.to.join(','), audience: digest.audience, ...notice }));
      }),
    );
    const expected = runs.flatMap(({ day }) =>
      model.plan(day).notices.map((notice) => {
        const owner = model.recipientOf(notice.consumerOrg);
        return { day, to: owner ?? OPERATOR_EMAIL, audience: owner ? ('owner' as const) : ('operator' as const), ...notice };
      }),
    );
    const order = (list: typeof received) => [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(order(received)).toEqual(order(expected));
    expect(new Set(received.map((n) => n.kind))).toEqual(new Set(['warn', 'replacement-ready', 'old-removed']));
    expect(received.filter((n) => n.audience === 'operator').map((n) => n.consumerOrg)).toContain('orphan-org');
    const legacy = received.filter((n) => n.credential === 'legacy-key').map((n) => `${n.day}:${n.kind}`);
    expect(legacy).toEqual(['0:replacement-ready', '10:old-removed', '76:warn', '90:replacement-ready', '100:old-removed']);
  });

  it('sends at most one digest per recipient per run', () => {
    const repeated = runs.flatMap(({ day, mails }) => {
      const recipients = mails.map((mail) => mail.to.join(','));
      return recipients.filter((to, index) => recipients.indexOf(to) !== index).map((to) => `day ${day}: ${to}`);
    });
    expect(repeated).toEqual([]);
    expect(runs.every(({ mails }) => mails.every((mail) => mail.to.length === 1))).toBe(true);
  });

  it('never puts a client secret in a mail', () => {
    const secrets = [...new Set([...stack.apic.issuedSecrets(), ...storedClientSecrets(stack)])];
    expect(storedClientSecrets(stack).length).toBeGreaterThanOrEqual(model.catalog.credentials.length);
    const mails = runs.flatMap(({ day, mails: sent }) =>
      sent.map((mail, index) => ({ source: `mail ${index} of day ${day}`, text: `${mail.subject}\n${mail.text ?? ''}\n${mail.html ?? ''}` })),
    );
    expect(mails.length).toBeGreaterThan(0);
    expect(findSecretLeaks(mails, secrets)).toEqual([]);
  });

  it('reports per action kind what happened in each run, and how many notices it sent', () => {
    const mismatches = runs.flatMap(({ day, result }) => {
      const plan = model.plan(day);
      const reported = { actions: sortedKeys(result.summary?.actions ?? {}), sent: result.summary?.notices.sent };
      const expected = { actions: sortedKeys(expectedActionCounts(plan)), sent: plan.notices.length };
      return JSON.stringify(reported) === JSON.stringify(expected) ? [] : [{ day, reported, expected }];
    });
    expect(mismatches).toEqual([]);
    expect(runs.every(({ result }) => result.summary?.dryRun === false && result.summary.notices.failed === 0)).toBe(true);
  });

  it('reports state transitions, more of them when a run has more to do', () => {
    const counted = runs.map(({ result }) => ({
      transitions: result.transitions,
      actions: Object.values(result.summary?.actions ?? {}).reduce((sum, n) => sum + n, 0),
    }));
    expect(counted.every(({ transitions }) => Number.isInteger(transitions) && transitions > 0)).toBe(true);
    const fewest = Math.min(...counted.map((c) => c.transitions));
    // Each action passes at least the ActionKind choice and its task state.
    expect(counted.filter(({ transitions, actions }) => transitions < fewest + 2 * actions)).toEqual([]);
    expect(Math.max(...counted.map((c) => c.transitions))).toBeGreaterThan(fewest);
  });
});

describe('a dry run on a day where actions are due', () => {
  let stack: LocalEnvironment;
  let model: TimelineModel;
  const DRY_DAY = 10;

  beforeAll(async () => {
    ({ stack, model } = await startTimelineStack());
    for (const day of model.runDays().filter((d) => d < DRY_DAY)) expect((await runOn(stack, day)).status).toBe('SUCCEEDED');
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('changes nothing in APIC, Secrets Manager, SES or EventBridge, and plans what the real run then does', async () => {
    const before = await snapshotWorld(stack);
    const dry = await runOn(stack, DRY_DAY, { dryRun: true });
    const after = await snapshotWorld(stack);
    expect(dry.status).toBe('SUCCEEDED');
    expect(after).toEqual(before);

    const plan = model.plan(DRY_DAY);
    expect(plan.deleted.length).toBeGreaterThan(0);
    expect(dry.summary).toMatchObject({ dryRun: true, appsDone: 0, appsFailed: 0, notices: { sent: 0 } });
    expect(dry.summary?.actions).toEqual(expectedActionCounts(plan));

    const real = await runOn(stack, DRY_DAY);
    expect(real.summary?.actions).toEqual(dry.summary?.actions);
    expect(dry.summary?.appsPlanned).toBe(real.summary?.appsDone);
    expect(dry.summary?.appsPlanned).toBeGreaterThan(0);
    const afterReal = await snapshotWorld(stack);
    expect(afterReal.apicCredentials).not.toEqual(before.apicCredentials);
    expect(afterReal.rotationEvents).toBeGreaterThan(before.rotationEvents);
  });
});

describe('execution input filters', () => {
  let stack: LocalEnvironment;
  const FILTER_DAY = 14;

  beforeAll(async () => {
    ({ stack } = await startTimelineStack());
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('fails a run whose consumerOrgs name an unknown consumer org, naming it, and changes nothing', async () => {
    const before = await snapshotWorld(stack);
    const result = await runOn(stack, FILTER_DAY, { consumerOrgs: ['south-ins', 'no-such-org'] });
    expect(result.status).toBe('FAILED');
    expect(result.error).toContain('"no-such-org"');
    expect(result.error).not.toContain('"south-ins"');
    expect(await snapshotWorld(stack)).toEqual(before);
  });

  it('touches only the named consumer org', async () => {
    const before = await snapshotWorld(stack);
    const result = await runOn(stack, FILTER_DAY, { consumerOrgs: ['south-ins'] });
    const after = await snapshotWorld(stack);
    expect(result.summary).toMatchObject({ appsScanned: 1, appsFailed: 0, actions: { 'create-replacement': 2 } });
    expect(changedApps(before, after)).toEqual(['south-ins/claims']);
    expect(secretOrgs(stack)).toEqual(['south-ins']);
    expect((await stack.ses.emails()).map((mail) => mail.to)).toEqual([['bob@south-ins.example.org']]);
  });

  it('touches only the named app, leaving the other apps of its consumer org alone', async () => {
    const before = await snapshotWorld(stack);
    const result = await runOn(stack, FILTER_DAY, { apps: ['east-trade/tracker'] });
    const after = await snapshotWorld(stack);
    expect(result.summary).toMatchObject({ appsScanned: 1, appsFailed: 0, actions: { 'create-replacement': 1 } });
    expect(changedApps(before, after)).toEqual(['east-trade/tracker']);
    expect(after.apicCredentials['east-trade/tracker']?.map((c) => c.name)).toEqual(['tracker-key', `tracker-key${SUFFIX}`]);
    expect(secretOrgs(stack)).toEqual(['east-trade', 'south-ins']);
  });
});

describe('notices of a consumer org without an owner e-mail when no operator is configured', () => {
  let stack: LocalEnvironment;

  beforeAll(async () => {
    ({ stack } = await startTimelineStack(timelineCatalog(), {}));
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('are counted as undeliverable and mailed to nobody', async () => {
    const result = await runOn(stack, 0, { consumerOrgs: ['orphan-org'] });
    expect(result.summary).toMatchObject({ actions: { 'create-replacement': 1, 'queue-notice': 1 }, notices: { sent: 0, undeliverable: 1 } });
    expect(await stack.ses.emails()).toEqual([]);
  });
});

function sortedKeys(counts: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

function changedApps(before: Awaited<ReturnType<typeof snapshotWorld>>, after: Awaited<ReturnType<typeof snapshotWorld>>): string[] {
  return Object.keys(after.apicCredentials)
    .filter((app) => JSON.stringify(after.apicCredentials[app]) !== JSON.stringify(before.apicCredentials[app]))
    .sort();
}

/** Consumer orgs that have a credential secret (the admin secret lives elsewhere). */
function secretOrgs(stack: LocalEnvironment): string[] {
  const prefix = `apic-rotator/${TARGET.providerOrg}/${TARGET.catalog}/`;
  const orgs = stack.secretsManager.inspect
    .secretNames()
    .filter((name) => name.startsWith(prefix))
    .map((name) => name.slice(prefix.length).split('/')[0] ?? '');
  return [...new Set(orgs)].sort();
}
