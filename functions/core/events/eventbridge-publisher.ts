import {
  PutEventsCommand,
  type EventBridgeClient,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { ROTATION_EVENT_SOURCE, type EventPublisherPort, type RotationEvent } from './rotation-events';

/** PutEvents accepts at most this many entries per request. */
const MAX_ENTRIES_PER_REQUEST = 10;

/** Some entries were refused, or the request failed. Names the failing detail types and error codes only. */
export class EventPublishError extends Error {
  constructor(
    message: string,
    readonly failedEntries: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'EventPublishError';
  }
}

export interface EventBridgePublisherOptions {
  /** Bus name or ARN. */
  readonly eventBusName: string;
}

/**
 * Publishes rotation events with PutEvents. Entries EventBridge refuses (throttled, internal failure) are sent
 * again once; anything still refused raises `EventPublishError` so the step fails and is retried as a whole.
 */
export class EventBridgePublisher implements EventPublisherPort {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly options: EventBridgePublisherOptions,
  ) {}

  async publish(events: readonly RotationEvent[]): Promise<void> {
    for (let start = 0; start < events.length; start += MAX_ENTRIES_PER_REQUEST) {
      const entries = events.slice(start, start + MAX_ENTRIES_PER_REQUEST).map((event) => this.entryOf(event));
      const refused = await this.put(entries);
      if (refused.length === 0) continue;
      const stillRefused = await this.put(refused.map(({ entry }) => entry));
      if (stillRefused.length > 0) {
        const reasons = stillRefused.map(({ entry, result }) => `${entry.DetailType}: ${result.ErrorCode ?? 'unknown error'}`);
        throw new EventPublishError(
          `EventBridge refused ${stillRefused.length} rotation event(s) on bus ${this.options.eventBusName}: ${[...new Set(reasons)].join('; ')}`,
          stillRefused.length,
        );
      }
    }
  }

  private entryOf(event: RotationEvent): PutEventsRequestEntry {
    return {
      EventBusName: this.options.eventBusName,
      Source: ROTATION_EVENT_SOURCE,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
      ...(event.detail.secretArn !== undefined && { Resources: [event.detail.secretArn] }),
    };
  }

  /** The entries EventBridge refused, each with its result. */
  private async put(entries: PutEventsRequestEntry[]): Promise<Array<{ entry: PutEventsRequestEntry; result: PutEventsResultEntry }>> {
    let output;
    try {
      output = await this.client.send(new PutEventsCommand({ Entries: entries }));
    } catch (error) {
      // SDK errors describe the request failure, never the entries' content.
      const reason = error instanceof Error ? error.name : 'unknown error';
      throw new EventPublishError(`EventBridge PutEvents failed on bus ${this.options.eventBusName}: ${reason}`, entries.length, { cause: error });
    }
    if (!output.FailedEntryCount) return [];
    const results = output.Entries ?? [];
    return entries.flatMap((entry, index) => {
      const result = results[index];
      // A missing result counts as refused: EventBridge returns one result per entry, in order.
      return result?.EventId !== undefined && result.ErrorCode === undefined ? [] : [{ entry, result: result ?? {} }];
    });
  }
}
