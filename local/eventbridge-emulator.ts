/**
 * An in-process Amazon EventBridge emulator for `PutEvents` only, speaking JSON 1.1 on loopback, faithful enough for
 * the real `@aws-sdk/client-eventbridge`: it validates entries as EventBridge does (required fields, Detail a JSON
 * object, at most 10 entries), records accepted events and can refuse chosen entries with a per-entry error code.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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
  close(): Promise<void>;
}

const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

class ServiceFault extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'ServiceFault';
  }
}

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, payload: unknown, errorType?: string): void {
  const body = JSON.stringify(payload);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
    ...(errorType !== undefined && { 'x-amzn-errortype': errorType }),
  });
  response.end(body);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
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

  const putEvents = (input: unknown): { FailedEntryCount: number; Entries: EntryResult[] } => {
    const entries = isRecord(input) ? input.Entries : undefined;
    if (!Array.isArray(entries) || entries.length === 0) throw new ServiceFault('ValidationException', 'Entries must hold at least one entry.');
    if (entries.length > MAX_ENTRIES) throw new ServiceFault('ValidationException', `Entries holds more than ${MAX_ENTRIES} entries.`);
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

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const body = await readBody(request);
      if (request.method !== 'POST' || request.headers['x-amz-target'] !== 'AWSEvents.PutEvents') {
        throw new ServiceFault('UnknownOperationException', 'Only AWSEvents.PutEvents is emulated.');
      }
      if (Buffer.byteLength(body) > MAX_REQUEST_BYTES) throw new ServiceFault('ValidationException', 'Total size of the entries exceeds 256 KB.');
      let input: unknown;
      try {
        input = JSON.parse(body);
      } catch {
        throw new ServiceFault('SerializationException', 'The request body is not valid JSON.');
      }
      send(response, 200, putEvents(input));
    } catch (error) {
      const fault = error instanceof ServiceFault ? error : new ServiceFault('InternalException', 'The emulator failed unexpectedly.', 500);
      send(response, fault.status, { __type: fault.type, message: fault.message }, fault.type);
    }
  };

  const server = createServer((request, response) => {
    void handle(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    events: () => [...captured],
    clear: () => {
      captured = [];
    },
    failNext: (count, errorCode = 'InternalFailure') => {
      refusals = { remaining: count, errorCode };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
