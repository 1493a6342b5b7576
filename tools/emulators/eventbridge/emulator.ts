/**
 * An in-process Amazon EventBridge emulator for `PutEvents` only, speaking JSON 1.1 on loopback, faithful enough for
 * the real `@aws-sdk/client-eventbridge`: it validates entries as EventBridge does (required fields, Detail a JSON
 * object, 1 to 10 entries totalling less than 1 MB as EventBridge counts entry size), records accepted events and can
 * refuse chosen entries with a per-entry error code. What each behaviour rests on is in FIDELITY.md beside this file.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { jsonProtocolListener, ServiceFault, type JsonObject } from '../json-protocol';
import { closeServer, listenOnLoopback } from '../loopback';

export interface CapturedEvent {
  readonly eventId: string;
  readonly eventBusName: string;
  readonly source: string;
  readonly detailType: string;
  /** The parsed Detail object. */
  readonly detail: Record<string, unknown>;
  /** Detail exactly as sent. */
  readonly rawDetail: string;
  readonly resources: readonly string[];
}

export interface EventBridgeEmulator {
  readonly endpoint: string;
  /** Events accepted since start or the last `clear()`, oldest first. */
  events(): CapturedEvent[];
  clear(): void;
  /** Refuses the next `count` entries with `errorCode` in the result (FailedEntryCount), as EventBridge does when throttled. */
  failNext(count: number, errorCode?: string): void;
  /** A deep copy of the accepted events and the pending refusals, as plain data. */
  snapshot(): EventBridgeSnapshot;
  /** Replaces the accepted events and pending refusals with a deep copy of `snapshot`'s; the endpoint stays. */
  restore(snapshot: EventBridgeSnapshot): void;
  close(): Promise<void>;
}

/** What `EventBridgeEmulator.snapshot()` returns: plain data (structured-clonable). */
export interface EventBridgeSnapshot {
  readonly events: readonly CapturedEvent[];
  readonly refusals: { readonly remaining: number; readonly errorCode: string };
}

const MAX_ENTRIES = 10;
/** "the total entry size must be less than 1MB" (PutEvents); sizes as in "Calculating PutEvents event entry size". */
const MAX_TOTAL_ENTRY_BYTES = 1024 * 1024;

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/**
 * An entry's size as EventBridge counts it: 14 bytes for Time when given, and the UTF-8 bytes of Source, DetailType,
 * Detail and each of Resources.
 */
function entrySize(entry: unknown): number {
  if (!isRecord(entry)) return 0;
  const bytes = (value: unknown) => (typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0);
  const resources = Array.isArray(entry['Resources']) ? (entry['Resources'] as unknown[]) : [];
  return (
    (entry['Time'] === undefined || entry['Time'] === null ? 0 : 14) +
    bytes(entry['Source']) +
    bytes(entry['DetailType']) +
    bytes(entry['Detail']) +
    resources.reduce<number>((sum, resource) => sum + bytes(resource), 0)
  );
}

/** Detail, DetailType and Source: without each of them EventBridge cannot send the event. */
function hasRequiredFields(entry: unknown): boolean {
  return isRecord(entry) && nonEmptyString(entry['Source']) && nonEmptyString(entry['DetailType']) && nonEmptyString(entry['Detail']);
}

/** Checks one entry as EventBridge does; returns the captured event or the per-entry error. */
function validateEntry(entry: unknown): CapturedEvent | { ErrorCode: string; ErrorMessage: string } {
  if (!isRecord(entry)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Entry must be an object.' };
  const { Source, DetailType, Detail, EventBusName, Resources } = entry;
  if (!nonEmptyString(Source)) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid.' };
  if (!nonEmptyString(DetailType)) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter DetailType is not valid.' };
  if (!nonEmptyString(Detail)) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Detail is not valid.' };
  let detail: unknown;
  try {
    detail = JSON.parse(Detail);
  } catch {
    detail = undefined;
  }
  if (!isRecord(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  const resources = Array.isArray(Resources) ? Resources.filter(nonEmptyString) : [];
  return {
    eventId: randomUUID(),
    eventBusName: nonEmptyString(EventBusName) ? EventBusName : 'default',
    source: Source,
    detailType: DetailType,
    detail,
    rawDetail: Detail,
    resources,
  };
}

export async function startEventBridgeEmulator(): Promise<EventBridgeEmulator> {
  let captured: CapturedEvent[] = [];
  let refusals: { remaining: number; errorCode: string } = { remaining: 0, errorCode: 'InternalFailure' };

  const putEvents = (input: JsonObject): { FailedEntryCount: number; Entries: EntryResult[] } => {
    const entries = input['Entries'];
    if (!Array.isArray(entries) || entries.length === 0) throw new ServiceFault('ValidationException', 'Entries must hold at least one entry.');
    if (entries.length > MAX_ENTRIES) throw new ServiceFault('ValidationException', `Entries holds more than ${MAX_ENTRIES} entries.`);
    const totalSize = entries.reduce<number>((sum, entry) => sum + entrySize(entry), 0);
    if (totalSize >= MAX_TOTAL_ENTRY_BYTES) throw new ServiceFault('ValidationException', `The entries total ${totalSize} bytes; they must total less than 1 MB.`);
    // "If you submit a request in which none of the entries have each of these properties, EventBridge fails the entire request."
    if (!entries.some(hasRequiredFields)) throw new ServiceFault('ValidationException', 'No entry has Source, DetailType and Detail.');
    const results = entries.map((entry): EntryResult => {
      if (refusals.remaining > 0) {
        refusals = { ...refusals, remaining: refusals.remaining - 1 };
        return { ErrorCode: refusals.errorCode, ErrorMessage: 'Injected failure' };
      }
      const outcome = validateEntry(entry);
      if ('ErrorCode' in outcome) return outcome;
      captured.push(outcome);
      return { EventId: outcome.eventId };
    });
    return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
  };

  const server = createServer(
    jsonProtocolListener({
      targetPrefix: 'AWSEvents',
      operations: { PutEvents: putEvents },
      internalErrorType: 'InternalException',
    }),
  );
  const { endpoint } = await listenOnLoopback(server);

  return {
    endpoint,
    events: () => [...captured],
    clear: () => {
      captured = [];
    },
    failNext: (count, errorCode = 'InternalFailure') => {
      refusals = { remaining: count, errorCode };
    },
    snapshot: () => structuredClone({ events: captured, refusals }),
    restore: (snapshot) => {
      const copy = structuredClone(snapshot);
      captured = [...copy.events];
      refusals = { ...copy.refusals };
    },
    close: () => closeServer(server),
  };
}
