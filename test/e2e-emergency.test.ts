/**
 * Emergency rotation (`rotateNow`) through the local runner: a young credential is replaced at once, announced as
 * urgent, and its original deleted on the first run after graceHours; graceHours 0 needs confirmRevoke.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { secretNameFor } from '../functions/domain/secrets';
import { HOUR_MS } from '../functions/domain/time';
import { startLocalEnvironment, type LocalEnvironment } from '../tools/runner/local-environment';

const START = new Date('2025-03-01T03:00:00.000Z');
const TARGET = { providerOrg: 'em-porg', catalog: 'live' };
const POLICY = { expiryDays: 90, deletionDays: 100, warnDays: 14, replacementSuffix: '_new' };
const ORG = 'partner';
const APP = 'billing';

function seed() {
  return {
    catalogs: [
      {
        ...TARGET,
        consumerOrgs: [
          {
            name: ORG,
            owner: { email: 'owner@example.com' },
            apps: [
              {
                name: APP,
                credentials: [
                  { name: 'keys/prod', ageDays: 3, clientSecret: 'seeded-secret-prod-0123456789' },
                  { name: 'other', ageDays: 3, clientSecret: 'seeded-secret-other-0123456789' },
                ],
              },
            ],
          },
        ],
      },
    ],
  };
}

const at = (hours: number) => new Date(START.getTime() + hours * HOUR_MS);

describe('emergency rotation', () => {
  let stack: LocalEnvironment | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  async function start(): Promise<LocalEnvironment> {
    stack = await startLocalEnvironment({
      simulator: { seed: seed(), now: START },
      config: { policy: POLICY, operatorEmail: 'ops@example.com' },
    });
    return stack;
  }
  async function runAt(env: LocalEnvironment, hours: number, input?: Record<string, unknown>) {
    env.apic.clock.set(at(hours));
    return env.run({ now: at(hours), ...(input && { input }) });
  }
  const names = (env: LocalEnvironment) =>
    env.apic.inspect
      .credentials(TARGET.providerOrg, TARGET.catalog, ORG, APP)
      .map((c) => c.name)
      .sort();

  it('replaces a young named credential at once, announces it as urgent, and deletes the original after graceHours', async () => {
    const env = await start();
    const originalId = env.apic.inspect.credentials(TARGET.providerOrg, TARGET.catalog, ORG, APP).find((c) => c.name === 'keys/prod')?.id;
    const first = await runAt(env, 0, { rotateNow: [`${ORG}/${APP}/keys/prod`], graceHours: 6 });
    expect(first.status).toBe('SUCCEEDED');
    expect(first.summary?.appsFailed).toBe(0);
    expect(names(env)).toEqual(['keys/prod', 'keys/prod_new', 'other']);

    const mails = await env.ses.emails();
    expect(mails.some((m) => /URGENT/.test(m.subject) && /emergency rotation/.test(m.text ?? ''))).toBe(true);
    const ready = env.eventBridge.events().find((e) => e.detailType === 'Replacement Ready');
    expect(ready?.detail).toMatchObject({ credential: 'keys/prod', cycleId: originalId, urgent: true, oldCredentialRemovalTime: at(6).toISOString() });

    // An ordinary run before the grace is over keeps the original; the terms were kept with the cycle.
    await runAt(env, 5);
    expect(names(env)).toEqual(['keys/prod', 'keys/prod_new', 'other']);
    const after = await runAt(env, 7);
    expect(after.summary?.appsFailed).toBe(0);
    const credentials = env.apic.inspect.credentials(TARGET.providerOrg, TARGET.catalog, ORG, APP);
    expect(credentials.map((c) => c.name).sort()).toEqual(['keys/prod', 'other']);
    expect(credentials.some((c) => c.id === originalId)).toBe(false);
  });

  it('refuses graceHours 0 without confirmRevoke at PrepareRun, and a name no app holds, naming the entry', async () => {
    const env = await start();
    const refused = await runAt(env, 0, { rotateNow: [`${ORG}/${APP}/keys/prod`], graceHours: 0 });
    expect(refused.status).toBe('FAILED');
    expect(refused.error).toMatch(/confirmRevoke/);
    const unknown = await runAt(env, 0, { rotateNow: [`${ORG}/${APP}/nope`] });
    expect(unknown.status).toBe('FAILED');
    expect(unknown.error).toMatch(/partner\/billing\/nope/);
    expect(names(env)).toEqual(['keys/prod', 'other']);
  });

  it('with confirmRevoke and graceHours 0 deletes the original on the next run, the app always keeping a working credential', async () => {
    const env = await start();
    /** The client id consumers read (AWSCURRENT) is held by a credential in APIC. */
    const currentIsLive = () => {
      const name = secretNameFor('apic-rotator', { ...TARGET, consumerOrg: ORG, app: APP, credential: 'keys/prod' });
      const current = env.secretsManager.inspect.versions(name).find((version) => version.stages.includes('AWSCURRENT'));
      const clientId = current?.value === undefined ? undefined : (JSON.parse(current.value) as { client_id?: string }).client_id;
      return env.apic.inspect.credentials(TARGET.providerOrg, TARGET.catalog, ORG, APP).some((c) => c.clientId === clientId);
    };
    await runAt(env, 0, { rotateNow: [`${ORG}/${APP}/keys/prod`], graceHours: 0, confirmRevoke: true });
    expect(names(env)).toEqual(['keys/prod', 'keys/prod_new', 'other']);
    expect(currentIsLive()).toBe(true);
    const next = await runAt(env, 1);
    expect(next.summary?.appsFailed).toBe(0);
    expect(names(env)).toEqual(['keys/prod', 'other']);
    expect(currentIsLive()).toBe(true);
  });

  it('previews with dryRun without changing anything', async () => {
    const env = await start();
    const preview = await runAt(env, 0, { rotateNow: [`${ORG}/${APP}/keys/prod`], dryRun: true });
    expect(preview.status).toBe('SUCCEEDED');
    expect(names(env)).toEqual(['keys/prod', 'other']);
  });
});

