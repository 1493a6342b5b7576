/**
 * The AWS JSON 1.1 protocol as the SDK v3 clients speak it: `POST /` with the operation in `X-Amz-Target`
 * (`<prefix>.<Operation>`), a JSON object in and out, and errors as `{__type, message}` with the type repeated in
 * `x-amzn-errortype`. Emulators of JSON 1.1 services supply only their operations.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { readBody } from './loopback';

export type JsonObject = Record<string, unknown>;

/** An error answered to the client as `{__type, message}` with `status`; named after its type for callers that bypass HTTP (seeding). */
export class ServiceFault extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export interface JsonProtocolService {
  /** The part of `X-Amz-Target` before the operation name, without the dot: `secretsmanager`, `AWSEvents`. */
  readonly targetPrefix: string;
  readonly operations: Readonly<Record<string, (input: JsonObject) => unknown>>;
  /** The service's `__type` for its own failures, answered with HTTP 500 when an operation throws anything but a ServiceFault. */
  readonly internalErrorType: string;
  /**
   * Runs first on every request, with the operation its target names ('' when the target is not this service's)
   * and the raw body: for recording requests, injecting faults or refusing oversized bodies. A ServiceFault it
   * throws is the answer.
   */
  readonly beforeOperation?: (operation: string, body: string) => void;
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

function parseInput(body: string): JsonObject {
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body);
  } catch {
    throw new ServiceFault('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ServiceFault('SerializationException', 'The request body must be a JSON object.');
  }
  return input as JsonObject;
}

/** A request listener that serves `service.operations` over JSON 1.1. */
export function jsonProtocolListener(service: JsonProtocolService): RequestListener {
  const prefix = `${service.targetPrefix}.`;
  const serve = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const body = (await readBody(request)).toString('utf8');
      const target = request.headers['x-amz-target'];
      const operation = typeof target === 'string' && target.startsWith(prefix) ? target.slice(prefix.length) : '';
      service.beforeOperation?.(operation, body);
      if (request.method !== 'POST') throw new ServiceFault('UnknownOperationException', 'Only POST / is supported.');
      const implementation = Object.hasOwn(service.operations, operation) ? service.operations[operation] : undefined;
      if (!implementation) throw new ServiceFault('UnknownOperationException', `Unknown operation ${operation || '(none)'}`);
      send(response, 200, implementation(parseInput(body)));
    } catch (error) {
      const fault = error instanceof ServiceFault ? error : new ServiceFault(service.internalErrorType, 'The emulator failed unexpectedly.', 500);
      send(response, fault.status, { __type: fault.type, message: fault.message }, fault.type);
    }
  };
  return (request, response) => {
    void serve(request, response);
  };
}
