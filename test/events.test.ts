import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  OLD_CREDENTIAL_REMOVED,
  REPLACEMENT_READY,
  ROTATION_EVENT_SOURCE,
  type RotationEvent,
} from '../functions/domain/events';
import { EventBridgePublisher, EventPublishError } from '../functions/adapters';
import { startEventBridgeEmulator, type EventBridgeEmulator } from '../tools/emulators/eventbridge/emulator';
import { localSdkConfig } from '../tools/runner/local-environment';

function event(n: number, detailType: RotationEvent['detailType'] = REPLACEMENT_READY): RotationEvent {
  return {
    detailType,
    detail: {
      providerOrg: 'acme',
      catalog: 'production',
      consumerOrg: 'partner',
      app: `app-${n}`,
      credential: 'main',
      clientId: `client-${n}`,
      secretName: `apic-rotator/acme/production/partner/app-${n}/main`,
      secretArn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:apic-rotator/acme/production/partner/app-${n}/main-AbC123`,
      cycleId: `cycle-${n}`,
      occurredAt: '2025-04-01T03:00:00.000Z',
    },
  };
}

describe('EventBridgePublisher against the EventBridge emulator', () => {
  let emulator: EventBridgeEmulator;
  let client: EventBridgeClient;
  beforeAll(async () => {
    emulator = await startEventBridgeEmulator();
    client = new EventBridgeClient(localSdkConfig(emulator.endpoint));
  });
  afterEach(() => {
    emulator.clear();
    emulator.failNext(0);
  });
  afterAll(async () => {
    client.destroy();
    await emulator.close();
  });

  const publisher = (eventBusName = 'default') => new EventBridgePublisher(client, { eventBusName, retryDelayMs: 0 });

  it('puts each event on the bus with the rotator source, its detail type, its detail and the secret as resource', async () => {
    await publisher('rotations').publish([event(1), event(2, OLD_CREDENTIAL_REMOVED)]);
    const [ready, removed] = emulator.events();
    expect(ready).toMatchObject({
      eventBusName: 'rotations',
      source: ROTATION_EVENT_SOURCE,
      detailType: 'Replacement Ready',
      detail: event(1).detail,
      resources: [event(1).detail.secretArn],
    });
    expect(removed).toMatchObject({ source: 'apic.credential-rotator', detailType: 'Old Credential Removed', detail: event(2).detail });
  });

  it('splits more than ten events into requests of at most ten, keeping their order', async () => {
    const many = Array.from({ length: 23 }, (_, n) => event(n));
    await publisher().publish(many);
    expect(emulator.events().map((captured) => captured.detail.clientId)).toEqual(many.map((e) => e.detail.clientId));
  });

  it('sends refused entries again, and only those', async () => {
    emulator.failNext(2, 'ThrottlingException');
    await publisher().publish([event(1), event(2), event(3)]);
    expect(emulator.events().map((captured) => captured.detail.clientId).sort()).toEqual(['client-1', 'client-2', 'client-3']);
  });

  it('raises EventPublishError naming the detail type and error code when entries stay refused', async () => {
    emulator.failNext(3, 'InternalFailure');
    const publishing = publisher().publish([event(1)]);
    await expect(publishing).rejects.toThrow(EventPublishError);
    await expect(publishing).rejects.toThrow(/1 rotation event\(s\) on bus default after 3 attempts: Replacement Ready: InternalFailure/);
    await expect(publishing).rejects.toMatchObject({ name: 'EventPublishError', failedEntries: 1 });
    expect(emulator.events()).toEqual([]);
  });

  it('raises EventPublishError with the SDK error as cause when the request itself fails', async () => {
    const unreachable = new EventBridgeClient({ ...localSdkConfig('http://127.0.0.1:9'), maxAttempts: 1 });
    try {
      const publishing = new EventBridgePublisher(unreachable, { eventBusName: 'default', retryDelayMs: 0 }).publish([event(1)]);
      await expect(publishing).rejects.toMatchObject({ name: 'EventPublishError', cause: expect.any(Error) });
    } finally {
      unreachable.destroy();
    }
  });
});

describe('the EventBridge emulator', () => {
  let emulator: EventBridgeEmulator;
  let client: EventBridgeClient;
  beforeAll(async () => {
    emulator = await startEventBridgeEmulator();
    client = new EventBridgeClient(localSdkConfig(emulator.endpoint));
  });
  afterAll(async () => {
    client.destroy();
    await emulator.close();
  });

  it('refuses an entry whose Detail is not a JSON object, accepting the others of the request', async () => {
    const output = await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'test', DetailType: 'Good', Detail: '{"a":1}' },
          { Source: 'test', DetailType: 'Bad', Detail: '[1]' },
        ],
      }),
    );
    expect(output.FailedEntryCount).toBe(1);
    expect(output.Entries?.[0]?.EventId).toEqual(expect.any(String));
    expect(output.Entries?.[1]?.ErrorCode).toBe('MalformedDetail');
    expect(emulator.events().map((captured) => captured.detailType)).toEqual(['Good']);
  });

  it('rejects a request of more than ten entries as PutEvents does', async () => {
    const entries = Array.from({ length: 11 }, () => ({ Source: 'test', DetailType: 'Many', Detail: '{}' }));
    await expect(client.send(new PutEventsCommand({ Entries: entries }))).rejects.toMatchObject({ name: 'ValidationException' });
  });
});
