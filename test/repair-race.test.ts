/**
 * Two overlapping repairs of one replacement (two executions, or a schedule and a console run), against the real
 * adapters: the APIC simulator over HTTP and the Secrets Manager emulator. Verify-then-promote is not atomic, so the
 * runs must stage the same pair; otherwise the run promoting last can leave AWSCURRENT holding a secret APIC refuses.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApicClient, SecretsManagerSecretStore } from '../functions/adapters';
import type { AppLocator, ClientSecretPair } from '../functions/domain/model';
import type { ApicPort, CredentialSecretLocator, EventPublisherPort } from '../functions/domain/ports';
import { versionToken } from '../functions/domain/secrets';
import { PreconditionFailedError, repairReplacement, type ActionDeps } from '../functions/domain/workflow/actions';
import type { ParsedActionInput } from '../functions/domain/workflow/types';
import { type ApicSimulator, startApicSimulator } from '../tools/apic-simulator/index';
import { type SecretsManagerEmulator, startSecretsManagerEmulator } from '../tools/emulators/secrets-manager/emulator';
import { ApicPerson } from './support/apic-person';

const APP: AppLocator = { providerOrg: 'porg1', catalog: 'prod', consumerOrg: 'acme', app: 'shop' };
const ORIGINAL = { name: 'key', clientId: 'key-client-id', clientSecret: 'key-secret-1' };
const REPLACEMENT = { name: 'key_new', clientId: 'key-new-client-id', clientSecret: 'key-new-secret-1' };

const RUN: Omit<ParsedActionInput<'repair-replacement'>['run'], 'runId'> = {
  now: '2026-12-01T03:00:00.000Z',
  dryRun: false,
  trigger: 'manual',
  targets: [{ providerOrg: APP.providerOrg, catalog: APP.catalog }],
  policy: { expiryDays: 90, deletionDays: 100, warnDays: 14, replacementSuffix: '_new' },
  consumerOrgOverrides: {},
  filter: {},
  pageSize: 100,
};

const noEvents: EventPublisherPort = { publish: async () => undefined };

/** A promise with its resolver: a barrier one run opens and another waits on. */
function barrier(): { readonly opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** The port as it is, with hooks after a successful verification and after a PATCH. */
function observed(
  apic: ApicPort,
  hooks: { afterAcceptedVerify?: () => Promise<void>; afterUpdate?: () => void },
): ApicPort {
  return {
    listAppsPage: (target, offset, limit) => apic.listAppsPage(target, offset, limit),
    listConsumerOrgApps: (target, consumerOrg) => apic.listConsumerOrgApps(target, consumerOrg),
    listConsumerOrgs: (target) => apic.listConsumerOrgs(target),
    getConsumerOrg: (target, consumerOrg) => apic.getConsumerOrg(target, consumerOrg),
    getApp: (app) => apic.getApp(app),
    listCredentials: (app) => apic.listCredentials(app),
    createCredential: (app, credential) => apic.createCredential(app, credential),
    updateCredential: async (app, credentialName, patch) => {
      const updated = await apic.updateCredential(app, credentialName, patch);
      hooks.afterUpdate?.();
      return updated;
    },
    deleteCredential: (app, credentialName) => apic.deleteCredential(app, credentialName),
    resetClientSecret: (app, credentialName) => apic.resetClientSecret(app, credentialName),
    verifyClientSecret: async (app, credentialName, secret: ClientSecretPair) => {
      const accepted = await apic.verifyClientSecret(app, credentialName, secret);
      if (accepted) await hooks.afterAcceptedVerify?.();
      return accepted;
    },
  };
}

let sim: ApicSimulator;
let emulator: SecretsManagerEmulator;
let secretsClient: SecretsManagerClient;
let apic: ApicClient;
let store: SecretsManagerSecretStore;

beforeAll(async () => {
  sim = await startApicSimulator({
    randomSeed: 11,
    seed: {
      catalogs: [
        {
          providerOrg: APP.providerOrg,
          catalog: APP.catalog,
          consumerOrgs: [
            {
              name: APP.consumerOrg,
              owner: { email: 'owner@example.com' },
              apps: [
                {
                  name: APP.app,
                  credentials: [
                    { ...ORIGINAL, title: 'Key', ageDays: 95 },
                    { ...REPLACEMENT, title: 'Key', ageDays: 2 },
                  ],
                },
              ],
            },
          ],
        },
      ],
    },
  });
  emulator = await startSecretsManagerEmulator({ randomSeed: 5 });
  secretsClient = new SecretsManagerClient({
    region: 'us-east-1',
    endpoint: emulator.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  apic = new ApicClient({
    baseUrl: sim.baseUrl,
    credentials: async () => ({ grantType: 'password', ...sim.admin }),
    sleep: async () => undefined,
    random: () => 0.5,
  });
  store = new SecretsManagerSecretStore(secretsClient, { prefix: 'apic-rotator', clock: { now: () => new Date(RUN.now) } });
});

afterAll(async () => {
  apic.close();
  secretsClient.destroy();
  await emulator.close();
  await sim.close();
});

describe('repairReplacement under overlapping runs', () => {
  it('two concurrent repairs of one replacement stage one pair, and APIC accepts the AWSCURRENT pair they leave', async () => {
    const credentials = await apic.listCredentials(APP);
    const original = credentials.find((credential) => credential.name === ORIGINAL.name);
    const replacement = credentials.find((credential) => credential.name === REPLACEMENT.name);
    if (!original || !replacement) throw new Error('the seeded credentials are missing');
    const cycleId = original.id;
    const locator: CredentialSecretLocator = { ...APP, credential: ORIGINAL.name };

    // The replacement's pair stored as AWSCURRENT, then its secret reset in APIC: the stored pair is refused.
    const stored = { clientId: REPLACEMENT.clientId, clientSecret: REPLACEMENT.clientSecret };
    const initialToken = versionToken(cycleId, 'replacement');
    await store.stagePending(locator, initialToken, cycleId, () => stored);
    await store.promote(locator, initialToken);
    await new ApicPerson(sim).resetSecret(APP, REPLACEMENT.name);
    expect(await apic.verifyClientSecret(APP, replacement.id, stored)).toBe(false);
    const versionsBefore = emulator.inspect.versions(store.secretName(locator)).length;

    const input = (runId: string): ParsedActionInput<'repair-replacement'> => ({
      run: { ...RUN, runId },
      app: { ...APP, targetIndex: 0, ownerEmail: 'owner@example.com' },
      action: {
        kind: 'repair-replacement',
        base: ORIGINAL.name,
        cycleId,
        replacement: { id: replacement.id, name: replacement.name, title: replacement.title, clientId: replacement.clientId },
      },
    });
    const deps = (port: ApicPort): ActionDeps => ({ apic: port, store, ledger: store, events: noEvents });

    // Run A stops right after APIC first accepts its pair, before promoting it, and goes on only once run B is
    // through (B's PATCH, if it makes one, included): A's promotion is the last word on AWSCURRENT.
    const aVerified = barrier();
    const bSettled = barrier();
    const bPatched: string[] = [];
    let aPaused = false;
    const runA = repairReplacement(
      deps(
        observed(apic, {
          afterAcceptedVerify: async () => {
            if (aPaused) return;
            aPaused = true;
            aVerified.open();
            await bSettled.opened;
          },
        }),
      ),
      input('run-a'),
    );
    const runB = Promise.race([aVerified.opened, runA.then(() => undefined, () => undefined)])
      .then(() => repairReplacement(deps(observed(apic, { afterUpdate: () => bPatched.push('patch') })), input('run-b')))
      .finally(() => bSettled.open());

    const outcomes = await Promise.allSettled([runA, runB]);
    expect(aPaused).toBe(true);
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') expect(outcome.value).toEqual({ kind: 'repair-replacement', outcome: 'repaired' });
      else expect(outcome.reason).toBeInstanceOf(PreconditionFailedError);
    }

    const current = await store.readCurrent(locator);
    expect(current?.clientId).toBe(REPLACEMENT.clientId);
    expect(
      current && (await apic.verifyClientSecret(APP, replacement.id, current)),
      `APIC rejects the AWSCURRENT pair after overlapping repairs (run B patched ${bPatched.length} time(s))`,
    ).toBe(true);
    const staged = emulator.inspect.versions(store.secretName(locator)).length - versionsBefore;
    expect(staged, 'versions staged by the two repairs').toBeLessThanOrEqual(1);
  });
});
