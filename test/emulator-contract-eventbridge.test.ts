/**
 * Contract tests of the EventBridge emulator: each drives the emulator through the real SDK client and checks one row
 * of tools/emulators/eventbridge/FIDELITY.md (the row id starts the test name). Rows already covered by
 * test/events.test.ts name that test in the table instead of being repeated here.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEventBridgeEmulator, type EventBridgeEmulator } from '../tools/emulators/eventbridge/emulator';

let emulator: EventBridgeEmulator;
let client: EventBridgeClient;

beforeAll(async () => {
  emulator = await startEventBridgeEmulator();
  client = new EventBridgeClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});

afterEach(() => emulator.clear());

afterAll(async () => {
  client.destroy();
  await emulator.close();
});

describe('EventBridge emulator contract', () => {
  it('SDK calls reach the emulator (EB-01) and an empty Entries list is refused (EB-02)', async () => {
    await expect(client.send(new PutEventsCommand({ Entries: [] }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('EB-05 an entry without Source, DetailType or Detail fails alone; a request where every entry lacks one fails whole', async () => {
    const output = await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'test', DetailType: 'Complete', Detail: '{}' },
          { Source: 'test', Detail: '{}' },
        ],
      }),
    );
    expect(output.FailedEntryCount).toBe(1);
    expect(output.Entries?.[1]).toMatchObject({ ErrorCode: 'InvalidArgument' });
    expect(emulator.events().map((event) => event.detailType)).toEqual(['Complete']);

    await expect(
      client.send(new PutEventsCommand({ Entries: [{ Source: 'test', Detail: '{}' }, { DetailType: 'NoSource', Detail: '{}' }] })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    expect(emulator.events()).toHaveLength(1);
  });

  it('EB-06 an entry without EventBusName goes to the default bus', async () => {
    await client.send(new PutEventsCommand({ Entries: [{ Source: 'test', DetailType: 'NoBus', Detail: '{}' }] }));
    expect(emulator.events().map((event) => event.eventBusName)).toEqual(['default']);
  });

  it('EB-09 the entries of one request may total just under 1 MB as EventBridge counts them, not more', async () => {
    // Counted size: Source (1 byte) + DetailType (1 byte) + Detail (UTF-8 bytes); no Time, no Resources.
    const entryOfSize = (size: number) => ({ Source: 's', DetailType: 'd', Detail: `{"x":"${'a'.repeat(size - 2 - 8)}"}` });
    const entriesTotalling = (total: number) => {
      const each = Math.floor(total / 10);
      return Array.from({ length: 10 }, (_, index) => entryOfSize(index === 0 ? total - 9 * each : each));
    };
    const accepted = await client.send(new PutEventsCommand({ Entries: entriesTotalling(1_048_575) }));
    expect(accepted.FailedEntryCount).toBe(0);
    await expect(client.send(new PutEventsCommand({ Entries: entriesTotalling(1_048_576) }))).rejects.toMatchObject({ name: 'ValidationException' });
  });
});
