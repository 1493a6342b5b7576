/**
 * Rotation events in local runs of the synthesized workflow: which events a rotation produces, what their detail
 * holds, that no event carries a secret, and that a refused event never undoes the step it reports.
 */
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretNameFor } from '../functions/domain/secrets';
import type { CapturedEvent } from '../tools/emulators/eventbridge/emulator';
import { startLocalEnvironment, type LocalEnvironment } from '../tools/runner/local-environment';
import { DAY_MS } from '../functions/domain/time';

const START = new Date('2025-03-01T03:00:00.000Z');
const TARGET = { providerOrg: 'ev-porg', catalog: 'live' };
const POLICY = { expiryDays: 90, deletionDays: 100, warnDays: 14, replacementSuffix: '_new' };
const GRACE_DAYS = POLICY.deletionDays - POLICY.expiryDays;

/** Two due credentials in two consumer orgs (one needing name encoding) and one that is not due. */
const DUE = [
  { consumerOrg: 'org-one', app: 'alpha', credential: 'key-a' },
  { consumerOrg: 'Org Two', app: 'beta app', credential: 'key-c' },
] as const;

function seed() {
  return {
    catalogs: [
      {
        ...TARGET,
        consumerOrgs: [
          {
            name: 'org-one',
            owner: { email: 'owner-one@example.com' },
            apps: [
              {
                name: 'alpha',
                credentials: [
                  { name: 'key-a', ageDays: 95, clientSecret: 'seeded-secret-key-a-0123456789' },
                  { name: 'key-b', ageDays: 10, clientSecret: 'seeded-secret-key-b-0123456789' },
                ],
              },
            ],
          },
          {
            name: 'Org Two',
            owner: { email: 'owner-two@example.com' },
            apps: [{ name: 'beta app', credentials: [{ name: 'key-c', ageDays: 95, clientSecret: 'seeded-secret-key-c-0123456789' }] }],
          },
        ],
      },
    ],
  };
}

function dayAt(day: number): Date {
  return new Date(START.getTime() + day * DAY_MS);
}

async function runOn(stack: LocalEnvironment, day: number) {
  stack.apic.clock.set(dayAt(day));
  return stack.run({ now: dayAt(day) });
}

function secretNameOf(due: (typeof DUE)[number]): string {
  return secretNameFor('apic-rotator', { ...TARGET, ...due });
}

/** Every secret the scenario put anywhere: what APIC issued or was seeded with, and every stored client secret. */
function everySecret(stack: LocalEnvironment): string[] {
  const { inspect } = stack.secretsManager;
  const stored = inspect.secretNames().flatMap((name) =>
    inspect.versions(name).flatMap((version) => {
      const value = version.value === undefined ? undefined : (JSON.parse(version.value) as { client_secret?: unknown });
      return typeof value?.client_secret === 'string' ? [value.client_secret] : [];
    }),
  );
  return [...new Set([...stack.apic.issuedSecrets(), ...stored])];
}

describe('rotation events over a replacement and a removal', () => {
  let stack: LocalEnvironment;
  let readyEvents: CapturedEvent[];
  let removedEvents: CapturedEvent[];
  const originalIds = new Map<string, string>();
  const replacementClientIds = new Map<string, string>();

  beforeAll(async () => {
    stack = await startLocalEnvironment({ simulator: { seed: seed(), now: START }, config: { policy: POLICY } });
    for (const due of DUE) {
      const original = stack.apic.inspect.credentials(TARGET.providerOrg, TARGET.catalog, due.consumerOrg, due.app).find((c) => c.name === due.credential);
      originalIds.set(due.credential, original?.id ?? '');
    }
    const creation = await runOn(stack, 0);
    expect(creation.summary?.appsFailed).toBe(0);
    for (const due of DUE) {
      const replacement = stack.apic.inspect
        .credentials(TARGET.providerOrg, TARGET.catalog, due.consumerOrg, due.app)
        .find((c) => c.name === `${due.credential}_new`);
      replacementClientIds.set(due.credential, replacement?.clientId ?? '');
    }
    readyEvents = stack.eventBridge.events();
    stack.eventBridge.clear();
    const removal = await runOn(stack, GRACE_DAYS);
    expect(removal.summary?.appsFailed).toBe(0);
    removedEvents = stack.eventBridge.events();
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('announces one Replacement Ready per replaced credential, on the default bus, from the rotator', () => {
    expect(readyEvents.map((e) => [e.source, e.detailType, e.eventBusName, e.detail.credential])).toEqual(
      expect.arrayContaining(DUE.map((due) => ['apic.credential-rotator', 'Replacement Ready', 'default', due.credential])),
    );
    expect(readyEvents).toHaveLength(DUE.length);
  });

  it("identifies the credential, its new client id, the secret's name and ARN, the cycle and the removal date", async () => {
    for (const due of DUE) {
      const ready = readyEvents.find((e) => e.detail.credential === due.credential);
      const secretName = secretNameOf(due);
      const { ARN } = await stack.secretsManagerClient.send(new DescribeSecretCommand({ SecretId: secretName }));
      expect(ready?.detail).toEqual({
        ...TARGET,
        consumerOrg: due.consumerOrg,
        app: due.app,
        credential: due.credential,
        clientId: replacementClientIds.get(due.credential),
        secretName,
        secretArn: ARN,
        cycleId: originalIds.get(due.credential),
        occurredAt: dayAt(0).toISOString(),
        oldCredentialRemovalDate: dayAt(GRACE_DAYS).toISOString().slice(0, 10),
      });
      expect(ready?.resources).toEqual([ARN]);
    }
  });

  it('announces one Old Credential Removed per removed original, naming the client id that stays', () => {
    expect(removedEvents.map((e) => e.detailType)).toEqual(DUE.map(() => 'Old Credential Removed'));
    for (const due of DUE) {
      const removed = removedEvents.find((e) => e.detail.credential === due.credential);
      const ready = readyEvents.find((e) => e.detail.credential === due.credential);
      const remaining = stack.apic.inspect.credentials(TARGET.providerOrg, TARGET.catalog, due.consumerOrg, due.app);
      expect(remaining.map((c) => c.id)).not.toContain(originalIds.get(due.credential));
      expect(removed?.detail).toMatchObject({
        consumerOrg: due.consumerOrg,
        clientId: replacementClientIds.get(due.credential),
        secretArn: ready?.detail.secretArn,
        cycleId: originalIds.get(due.credential),
        occurredAt: dayAt(GRACE_DAYS).toISOString(),
      });
      expect(removed?.detail).not.toHaveProperty('oldCredentialRemovalDate');
    }
  });

  it('puts no secret in any event: none of the issued, seeded or stored client secrets appears', () => {
    const secrets = everySecret(stack);
    // The scan means something only if it covers the secrets the rotation created.
    expect(secrets.length).toBeGreaterThanOrEqual(3 + DUE.length);
    const texts = [...readyEvents, ...removedEvents].map((e) => JSON.stringify(e));
    const hits = texts.flatMap((text, index) => secrets.filter((secret) => text.includes(secret)).map(() => index));
    expect(hits).toEqual([]);
  });
});

describe('a refused event', () => {
  let stack: LocalEnvironment;
  beforeAll(async () => {
    stack = await startLocalEnvironment({ simulator: { seed: seed(), now: START }, config: { policy: POLICY } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('fails the step it reports but leaves the replacement in APIC and AWSCURRENT; the next run finds nothing to repair', async () => {
    stack.eventBridge.failNext(1000);
    const refused = await runOn(stack, 0);
    expect(refused.summary?.appsFailed).toBe(DUE.length);
    expect(refused.summary?.failures.map((failure) => failure.error)).toEqual(DUE.map(() => 'EventPublishError'));
    stack.eventBridge.failNext(0);

    for (const due of DUE) {
      const current = stack.secretsManager.inspect.versions(secretNameOf(due)).find((version) => version.stages.includes('AWSCURRENT'));
      const value = JSON.parse(current?.value ?? '{}') as { client_id: string; client_secret: string };
      expect(stack.apic.inspect.accepts(TARGET.providerOrg, TARGET.catalog, due.consumerOrg, due.app, value.client_id, value.client_secret)).toBe(true);
    }
    const next = await runOn(stack, 1);
    expect(next.summary?.appsFailed).toBe(0);
    expect(next.summary?.actions['create-replacement'] ?? 0).toBe(0);
  });
});
