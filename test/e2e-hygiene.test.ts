/**
 * No client secret, admin secret or token ever leaves the places meant to hold it: a whole timeline is run with
 * every state payload, log line, summary, error, mail and rotation event collected, failures included, and all of it is searched
 * for every secret the simulator issued or accepted and every secret stored in Secrets Manager.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalEnvironment, type LocalEnvironment } from '../tools/runner/local-environment';
import { OPERATOR_EMAIL, TIMELINE_START, TimelineModel, dayAt, timelineCatalog, timelineConfig } from './support/e2e-catalog';
import { findSecretLeaks, storedClientSecrets, type CollectedText } from './support/e2e-observe';

const VERIFY_SECRET = 'POST /apps/:porg/:catalog/:corg/:app/credentials/:cred/verify-client-secret';

/**
 * Faults placed where a step holds a fresh secret: promotion refused for good (the apps due that day fail, with
 * the secret already in APIC and staged), and verification failing twice (the client retries and logs it).
 */
const FAULTS_BY_DAY: Record<number, (stack: LocalEnvironment) => void> = {
  0: (stack) => stack.secretsManager.faults.failNext('UpdateSecretVersionStage', 10, 'AccessDeniedException'),
  1: (stack) => stack.apic.faults.failNext({ route: VERIFY_SECRET }, { count: 2, status: 503 }),
};

describe('secret hygiene over a whole timeline', () => {
  let stack: LocalEnvironment;
  const collected: CollectedText[] = [];
  let appFailures = 0;
  let failedRuns = 0;

  const collect = (source: string) => (text: string) => collected.push({ source, text });

  async function runDay(day: number, input?: Record<string, unknown>) {
    const at = dayAt(day);
    stack.apic.clock.set(at);
    FAULTS_BY_DAY[day]?.(stack);
    const result = await stack.run({
      now: at,
      ...(input ? { input } : {}),
      recordPayloads: collect(`payload of day ${day}`),
      onLogLine: collect(`log line of day ${day}`),
    });
    stack.apic.faults.clear();
    stack.secretsManager.faults.clear();
    collect(`summary of day ${day}`)(JSON.stringify(result.summary ?? {}));
    if (result.error !== undefined) collect(`error of day ${day}`)(result.error);
    appFailures += result.summary?.failures.length ?? 0;
    if (result.status === 'FAILED') failedRuns += 1;
  }

  beforeAll(async () => {
    const catalog = timelineCatalog();
    stack = await startLocalEnvironment({
      simulator: { seed: catalog.seed, now: TIMELINE_START },
      config: timelineConfig({ operatorEmail: OPERATOR_EMAIL }),
    });
    for (const day of new TimelineModel(catalog).runDays()) await runDay(day);
    await runDay(120, { consumerOrgs: ['no-such-org'] });
    for (const [index, mail] of (await stack.ses.emails()).entries()) {
      collect(`mail ${index}`)(`${mail.subject}\n${mail.text ?? ''}\n${mail.html ?? ''}`);
    }
    for (const event of stack.eventBridge.events()) collect(`event ${event.detailType}`)(event.rawDetail);
    const { inspect } = stack.secretsManager;
    for (const name of inspect.secretNames()) collect(`tags of ${name}`)(JSON.stringify(inspect.tags(name)));
  });

  afterAll(async () => {
    await stack?.close();
  });

  function secretsToFind(): string[] {
    return [...new Set([...stack.apic.issuedSecrets(), ...storedClientSecrets(stack)])];
  }

  it('collects payloads, log lines, summaries, mails, rotation events and the errors of failed apps and runs', () => {
    const kinds = new Set(collected.map(({ source }) => source.split(' ')[0]));
    expect([...kinds].sort()).toEqual(['error', 'event', 'log', 'mail', 'payload', 'summary', 'tags']);
    expect(appFailures).toBeGreaterThan(0);
    expect(failedRuns).toBe(1);
    // The collected text describes the rotated credentials: their client ids are there, only their secrets are not.
    const clientIds = stack.secretsManager.inspect
      .secretNames()
      .flatMap((name) => stack.secretsManager.inspect.versions(name))
      .flatMap((version) => (version.value ? [(JSON.parse(version.value) as { client_id?: string }).client_id] : []))
      .filter((clientId): clientId is string => typeof clientId === 'string');
    expect(clientIds.length).toBeGreaterThan(0);
    expect(clientIds.some((clientId) => collected.some(({ text }) => text.includes(clientId)))).toBe(true);
  });

  it('searches for every issued and every stored client secret, and the admin secrets and tokens', () => {
    const secrets = secretsToFind();
    const stored = storedClientSecrets(stack);
    expect(stored.length).toBeGreaterThanOrEqual(timelineCatalog().credentials.length);
    expect(secrets).toEqual(expect.arrayContaining([...stored, stack.apic.admin.password, stack.apic.admin.clientSecret]));
  });

  it('finds a secret planted in a synthetic log line', () => {
    const [planted] = storedClientSecrets(stack);
    expect(planted).toBeDefined();
    const line = JSON.stringify({ level: 'INFO', message: 'stored', detail: `pair ${planted}` });
    const leaks = findSecretLeaks([...collected, { source: 'planted log line', text: line }], secretsToFind());
    expect(leaks.map(({ source }) => source)).toContain('planted log line');
  });

  it('finds no secret anywhere in what the runs produced', () => {
    const leaks = findSecretLeaks(collected, secretsToFind());
    expect(leaks).toEqual([]);
  });
});
