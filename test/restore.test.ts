/**
 * The restore workflow end to end on this machine: a catalog is rotated (some credentials renamed back after the
 * grace, some still in flight), the API Manager is "rebuilt" (apps kept, credentials gone, a few credentials the
 * rebuild made on its own), then the synthesized restore definition runs as a dry run, for real, and again.
 */
import { randomBytes } from 'node:crypto';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RestoreReportEntry, RestoreSummary } from '../functions/domain/restore';
import { secretNameFor } from '../functions/domain/secrets';
import type { InspectedCredential } from '../tools/apic-simulator';
import { startLocalEnvironment, type LocalEnvironment } from '../tools/runner/local-environment';
import { synthesizeRestoreDefinition, type LocalRunResult } from '../tools/runner/workflow-runner';
import { CATALOG, OPERATOR_EMAIL, PROVIDER_ORG, SUFFIX, TARGET, TIMELINE_START, dayAt, timelineCatalog, timelineConfig } from './support/e2e-catalog';
import { findSecretLeaks, readCurrentValue, storedClientSecrets, verifyOverHttp, type StoredCredentialValue } from './support/e2e-observe';
import { RestoreRunner, apicMutations, storeCredentialSecret, withPagesPerSegment } from './support/restore-run';

const PREFIX = 'apic-rotator';
/** Small, so both the rotation's app listing and the restore's secret listing take several pages. */
const PAGE_SIZE = 3;
const GHOST = { ...TARGET, consumerOrg: 'north-bank', app: 'ghost', credential: 'ghost-key' };

interface StoredSecret {
  readonly name: string;
  readonly consumerOrg: string;
  readonly app: string;
  readonly credential: string;
  readonly value?: StoredCredentialValue;
}

function key(entry: Pick<RestoreReportEntry, 'consumerOrg' | 'app' | 'credential'>): string {
  return `${entry.consumerOrg}/${entry.app}/${entry.credential}`;
}

function outcomesByCredential(summary: RestoreSummary | undefined): Record<string, string> {
  return Object.fromEntries((summary?.results ?? []).map((entry) => [key(entry), entry.outcome]));
}

function credentialsOf(stack: LocalEnvironment, consumerOrg: string, app: string): InspectedCredential[] {
  return stack.apic.inspect.credentials(PROVIDER_ORG, CATALOG, consumerOrg, app);
}

function allCredentials(stack: LocalEnvironment): Record<string, InspectedCredential[]> {
  return Object.fromEntries(
    stack.apic.inspect.apps(PROVIDER_ORG, CATALOG).map(({ consumerOrg, app }) => [`${consumerOrg}/${app}`, credentialsOf(stack, consumerOrg, app)]),
  );
}

async function storedSecrets(stack: LocalEnvironment): Promise<StoredSecret[]> {
  const targetPrefix = `${PREFIX}/${PROVIDER_ORG}/${CATALOG}/`;
  const names = stack.secretsManager.inspect.secretNames().filter((name) => name.startsWith(targetPrefix));
  return Promise.all(
    names.map(async (name) => {
      const [consumerOrg = '', app = '', credential = ''] = decodeURIComponent(name.slice(targetPrefix.length).replace(/\+/g, '%')).split('/');
      const value = await readCurrentValue(stack, name);
      return { name, consumerOrg, app, credential, ...(value ? { value } : {}) };
    }),
  );
}

describe('restoring credentials on a rebuilt APIC from Secrets Manager', () => {
  let stack: LocalEnvironment;
  let runner: RestoreRunner;
  let definition: StateMachineDefinition;
  let secrets: StoredSecret[];
  let rotationsSucceeded: boolean[];
  let beforeWipe: Record<string, InspectedCredential[]>;
  let rebuilt: Record<string, InspectedCredential[]>;
  let dryRun: LocalRunResult<RestoreSummary>;
  let dryRunMutations: Record<string, number>;
  let dryRunSecretWrites: number;
  let afterDryRun: Record<string, InspectedCredential[]>;
  let restore: LocalRunResult<RestoreSummary>;
  let restored: Record<string, InspectedCredential[]>;
  let again: LocalRunResult<RestoreSummary>;
  let againMutations: Record<string, number>;

  const valued = () => secrets.filter((secret): secret is StoredSecret & { value: StoredCredentialValue } => secret.value !== undefined);
  const secretWrites = () => {
    const counts = stack.secretsManager.counts();
    return ['CreateSecret', 'PutSecretValue', 'UpdateSecretVersionStage', 'TagResource', 'UntagResource'].reduce((sum, op) => sum + (counts[op] ?? 0), 0);
  };

  beforeAll(async () => {
    const catalog = timelineCatalog();
    stack = await startLocalEnvironment({
      simulator: { seed: catalog.seed, now: TIMELINE_START },
      config: { ...timelineConfig({ operatorEmail: OPERATOR_EMAIL }), pageSize: PAGE_SIZE },
    });
    definition = synthesizeRestoreDefinition(stack.config);
    runner = new RestoreRunner(stack, definition);

    // Day 0 replaces the overdue credentials, day 10 (the grace) renames them back and replaces two more.
    rotationsSucceeded = [];
    for (const day of [0, 10]) {
      stack.apic.clock.set(dayAt(day));
      const rotation = await stack.run({ now: dayAt(day), onLogLine: (text) => runner.collected.push({ source: `rotation day ${day}`, text }) });
      rotationsSucceeded.push(rotation.status === 'SUCCEEDED' && rotation.summary?.appsFailed === 0);
    }
    // A secret whose app the rebuilt APIC does not have.
    await storeCredentialSecret(stack, PREFIX, GHOST, TIMELINE_START);
    secrets = await storedSecrets(stack);
    beforeWipe = allCredentials(stack);

    // The rebuild: apps kept, credentials gone; APIC made one credential of its own for `tracker`, someone else
    // took the name `legacy-key`, and `sync-key` came back with its client id but another secret.
    stack.apic.wipeCredentials(PROVIDER_ORG, CATALOG);
    const syncClientId = valued().find((secret) => secret.credential === 'sync-key')?.value.client_id;
    stack.apic.seed({
      catalogs: [
        {
          ...TARGET,
          consumerOrgs: [
            {
              name: 'east-trade',
              apps: [
                { name: 'tracker', credentials: [{ name: 'Credential-for-tracker' }] },
                { name: 'legacy', credentials: [{ name: 'legacy-key', clientId: randomBytes(16).toString('hex') }] },
              ],
            },
            { name: 'orphan-org', apps: [{ name: 'sync', credentials: [{ name: 'sync-key', clientId: syncClientId, clientSecret: randomBytes(24).toString('base64url') }] }] },
          ],
        },
      ],
    });
    rebuilt = allCredentials(stack);

    stack.apic.resetCounters();
    const writesBefore = secretWrites();
    dryRun = await runner.run({});
    dryRunMutations = apicMutations(stack.apic.counters());
    dryRunSecretWrites = secretWrites() - writesBefore;
    afterDryRun = allCredentials(stack);

    restore = await runner.run({ dryRun: false });
    restored = allCredentials(stack);

    stack.apic.resetCounters();
    again = await runner.run({ dryRun: false });
    againMutations = apicMutations(stack.apic.counters());
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('starts from a rotated catalog: renamed replacements, in-flight replacements and warn-only secrets without a value', () => {
    expect(rotationsSucceeded).toEqual([true, true]);
    const holderName = (secret: StoredSecret) =>
      beforeWipe[`${secret.consumerOrg}/${secret.app}`]?.find((credential) => credential.clientId === secret.value?.client_id)?.name;
    const rotated = valued().filter((secret) => secret.app !== GHOST.app);
    const renamedBack = rotated.filter((secret) => holderName(secret) === secret.credential).map((secret) => secret.credential);
    const inFlight = rotated.filter((secret) => holderName(secret) === secret.credential + SUFFIX).map((secret) => secret.credential);
    expect(renamedBack).toEqual(expect.arrayContaining(['gamma', 'tracker-key', 'legacy-key', 'sync-key']));
    expect(inFlight).toEqual(expect.arrayContaining(['mobile-key', 'zürich-büro']));
    expect(secrets.some((secret) => secret.value === undefined)).toBe(true);
  });

  it('a dry run is the default: it changes nothing and reports what it would do', () => {
    expect(dryRun.status).toBe('SUCCEEDED');
    expect(dryRun.summary?.dryRun).toBe(true);
    expect(dryRunMutations).toEqual({});
    expect(dryRunSecretWrites).toBe(0);
    expect(afterDryRun).toEqual(rebuilt);
    const expected: Record<string, string> = {};
    for (const secret of secrets) {
      const outcome =
        secret.value === undefined ? 'no-value' : secret.app === GHOST.app ? 'app-missing' : secret.credential === 'sync-key' ? 'secret-mismatch' : 'would-restore';
      expected[key(secret)] = outcome;
    }
    expect(outcomesByCredential(dryRun.summary)).toEqual(expected);
    expect(dryRun.summary?.results.find((entry) => entry.credential === 'legacy-key')?.restoredAs).toBe('legacy-key-restored');
    expect(dryRun.summary?.secretsInScope).toBe(secrets.length);
    expect(dryRun.summary?.outcomes.failed).toBe(0);
  });

  it('restores every stored credential with its client id and secret, and patches a credential APIC holds with another secret', () => {
    expect(restore.status).toBe('SUCCEEDED');
    const counts = restore.summary?.outcomes;
    const rotated = valued().filter((secret) => secret.app !== GHOST.app);
    expect(counts).toMatchObject({
      restored: rotated.length - 1,
      'secret-restored': 1,
      'app-missing': 1,
      'no-value': secrets.length - valued().length,
      'already-present': 0,
      'would-restore': 0,
      failed: 0,
    });
    expect(outcomesByCredential(restore.summary)['orphan-org/sync/sync-key']).toBe('secret-restored');
  });

  it('afterwards APIC accepts every AWSCURRENT secret a consumer reads from Secrets Manager, for its own app', async () => {
    const rejected: string[] = [];
    for (const secret of valued().filter((s) => s.app !== GHOST.app)) {
      const current = await readCurrentValue(stack, secret.name);
      if (!current) {
        rejected.push(`${key(secret)}: no AWSCURRENT value`);
        continue;
      }
      if (!stack.apic.inspect.accepts(PROVIDER_ORG, CATALOG, secret.consumerOrg, secret.app, current.client_id, current.client_secret)) {
        rejected.push(key(secret));
      }
    }
    expect(rejected).toEqual([]);
    const gamma = valued().find((secret) => secret.credential === 'gamma');
    expect(gamma).toBeDefined();
    if (!gamma) return;
    const pair = { clientId: gamma.value.client_id, clientSecret: gamma.value.client_secret };
    expect(await verifyOverHttp(stack, gamma, 'gamma', pair)).toBe(200);
  });

  it('names each credential as stored, falls back to <name>-restored when the name is taken, and leaves the rebuild\'s own credentials alone', () => {
    const names = (consumerOrg: string, app: string) => (restored[`${consumerOrg}/${app}`] ?? []).map((credential) => credential.name).sort();
    expect(names('north-bank', 'mobile')).toEqual(['mobile-key']);
    expect(names('south-ins', 'claims')).toEqual(['zürich-büro']);
    expect(names('east-trade', 'legacy')).toEqual(['legacy-key', 'legacy-key-restored']);
    expect(names('east-trade', 'tracker')).toEqual(['Credential-for-tracker', 'tracker-key']);
    expect(restore.summary?.results.find((entry) => entry.credential === 'legacy-key')).toMatchObject({ outcome: 'restored', restoredAs: 'legacy-key-restored' });
    for (const app of ['east-trade/tracker', 'east-trade/legacy', 'orphan-org/sync']) {
      for (const own of rebuilt[app] ?? []) expect(restored[app]).toContainEqual(own);
    }
  });

  it('a second restore finds everything present and changes nothing in APIC', () => {
    expect(again.status).toBe('SUCCEEDED');
    expect(again.summary?.outcomes).toMatchObject({
      'already-present': valued().length - 1,
      'app-missing': 1,
      restored: 0,
      'secret-restored': 0,
      failed: 0,
    });
    expect(againMutations).toEqual({});
    expect(allCredentials(stack)).toEqual(restored);
  });

  it('lists in segments, each going on where the previous one stopped: a page a segment reports what one segment does', async () => {
    const segmentsOf = async (run: Promise<LocalRunResult<RestoreSummary>>, entered: string[]) => {
      const result = await run;
      return { status: result.status, summary: { ...result.summary, runId: undefined }, segments: entered.filter((state) => state === 'RunSegment').length };
    };
    const whole: string[] = [];
    const paged: string[] = [];
    const oneSegment = await segmentsOf(runner.run({}, { onStateEntered: (state) => whole.push(state) }), whole);
    const pageEach = await segmentsOf(runner.run({}, { definition: withPagesPerSegment(definition, 1), onStateEntered: (state) => paged.push(state) }), paged);
    expect(oneSegment.segments).toBe(1);
    expect(pageEach.segments).toBeGreaterThanOrEqual(Math.ceil(secrets.length / PAGE_SIZE));
    expect(pageEach.status).toBe('SUCCEEDED');
    expect(pageEach.summary).toEqual(oneSegment.summary);
    expect(pageEach.summary.secretsInScope).toBe(secrets.length);
  });

  it('restores only the apps or consumer orgs the input names', async () => {
    const byApp = await runner.run({ apps: ['east-trade/legacy'] });
    expect(Object.keys(outcomesByCredential(byApp.summary))).toEqual(['east-trade/legacy/legacy-key']);
    const byOrg = await runner.run({ consumerOrgs: ['east-trade', 'nobody'] });
    expect(Object.keys(outcomesByCredential(byOrg.summary)).sort()).toEqual(['east-trade/legacy/legacy-key', 'east-trade/tracker/tracker-key']);
  });

  it('rejects an input with an unknown key or a target that is not configured, naming the field', async () => {
    const unknownKey = await runner.run({ dryrun: false });
    expect(unknownKey.status).toBe('FAILED');
    expect(unknownKey.error).toMatch(/dryrun: unknown key; allowed keys here are: dryRun, targets, consumerOrgs, apps/);
    const otherTarget = await runner.run({ targets: [{ providerOrg: 'elsewhere', catalog: 'live' }] });
    expect(otherTarget.error).toMatch(/targets\[0\]: elsewhere\/live is not a configured target/);
  });

  it('reports a credential it cannot restore with the reason, and goes on with the others', async () => {
    const blocked = { ...TARGET, consumerOrg: 'east-trade', app: 'tracker', credential: 'blocked' };
    await storeCredentialSecret(stack, PREFIX, blocked, TIMELINE_START);
    stack.apic.seed({
      catalogs: [{ ...TARGET, consumerOrgs: [{ name: 'east-trade', apps: [{ name: 'tracker', credentials: [{ name: 'blocked' }, { name: 'blocked-restored' }] }] }] }],
    });
    const result = await runner.run({ dryRun: false, apps: ['east-trade/tracker'] });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.summary?.outcomes).toMatchObject({ 'already-present': 1, failed: 1 });
    expect(result.summary?.failures).toEqual([
      {
        secretName: secretNameFor(PREFIX, blocked),
        error: 'RestoreError',
        reason: expect.stringMatching(/other credentials named blocked and blocked-restored; rename or delete one of them in APIC/),
      },
    ]);
  });

  it('never puts a client secret, password or token into a log line, a state payload or the report', () => {
    const known = [...new Set([...storedClientSecrets(stack), ...stack.apic.issuedSecrets()])];
    expect(known.length).toBeGreaterThan(10);
    expect(runner.collected.length).toBeGreaterThan(100);
    expect(findSecretLeaks(runner.collected, known)).toEqual([]);
  });
});
