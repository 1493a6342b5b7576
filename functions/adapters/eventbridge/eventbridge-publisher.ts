import { setTimeout as delay } from 'node:timers/promises';
import {
  PutEventsCommand,
  type EventBridgeClient,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { EVENT_PUBLISH_ERROR } from '../../domain/error-names';
import { ROTATION_EVENT_SOURCE, type RotationEvent } from '../../domain/events/rotation-events';
import type { EventPublisherPort } from '../../domain/ports';

/** PutEvents accepts at most this many entries per request. */
const MAX_ENTRIES_PER_REQUEST = 10;
/** Attempts per entry: refused entries (throttled, internal failure) are not retried by the SDK, only whole requests. */
const MAX_ATTEMPTS = 3;

/** Some entries were refused, or the request failed. Names the failing detail types and error codes only. */
export class EventPublishError extends Error {
  constructor(
    message: string,
    readonly failedEntries: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = EVENT_PUBLISH_ERROR;
  }
}

export interface EventBridgePublisherOptions {
  /** Bus name or ARN. */
  readonly eventBusName: string;
  /** Wait before resending refused entries, times the attempt number. @default 200 */
  readonly retryDelayMs?: number;
}

/**
 * Publishes rotation events with PutEvents. Entries EventBridge refuses (throttled, internal failure) are sent
 * again; anything still refused after the last attempt raises `EventPublishError`, which fails the step.
 */
export class EventBridgePublisher implements EventPublisherPort {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly options: EventBridgePublisherOptions,
  ) {}

  async publish(events: readonly RotationEvent[]): Promise<void> {
    for (let start = 0; start < events.length; start += MAX_ENTRIES_PER_REQUEST) {
      let refused = await this.put(events.slice(start, start + MAX_ENTRIES_PER_REQUEST).map((event) => this.entryOf(event)));
      for (let attempt = 1; attempt < MAX_ATTEMPTS && refused.length > 0; attempt += 1) {
        await delay((this.options.retryDelayMs ?? 200) * attempt);
        refused = await this.put(refused.map(({ entry }) => entry));
      }
      if (refused.length > 0) {
        const reasons = refused.map(({ entry, result }) => `${entry.DetailType}: ${result.ErrorCode ?? 'unknown error'}`);
        throw new EventPublishError(
          `EventBridge refused ${refused.length} rotation event(s) on bus ${this.options.eventBusName} after ${MAX_ATTEMPTS} attempts: ` +
            [...new Set(reasons)].join('; '),
          refused.length,
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
