/**
 * The HTTP side of the simulator: routing by decoded path segments, counting, latency, injected faults, bearer
 * authentication, and writing JSON answers (or destroying the socket to lose one).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody } from '../emulators/loopback';
import type { FaultInjector } from './faults';
import { SimulatorHttpError } from './routes';
import type { Route, SimResponse } from './routes';
import type { TokenIssuer } from './tokens';

const MAX_BODY_BYTES = 1_048_576;

interface RouteLookup {
  key: string;
  route?: Route;
  params: Record<string, string>;
  /** Set when the path is known but not for this method. */
  methodNotAllowed?: boolean;
}

export class Router {
  private readonly patterns: Array<{ route: Route; segments: string[] }>;

  constructor(routes: Route[]) {
    this.patterns = routes.map((route) => ({ route, segments: route.pattern.split('/').slice(1) }));
  }

  /** `segments` are already URL-decoded, so an encoded "/" stays inside its segment. */
  lookup(method: string, segments: string[] | undefined): RouteLookup {
    const unknown: RouteLookup = { key: `${method} (unknown)`, params: {} };
    if (!segments) return unknown;
    let pathKnown = false;
    for (const { route, segments: pattern } of this.patterns) {
      const params = matchSegments(pattern, segments);
      if (!params) continue;
      if (route.method === method) return { key: route.key, route, params };
      pathKnown = true;
    }
    return pathKnown ? { ...unknown, methodNotAllowed: true } : unknown;
  }
}

function matchSegments(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of pattern.entries()) {
    const segment = segments[index] ?? '';
    if (part.startsWith(':')) {
      if (segment === '') return undefined;
      params[part.slice(1)] = segment;
    } else if (part !== segment) {
      return undefined;
    }
  }
  return params;
}

/** Splits "/api/a/b%2Fc" into ["a", "b/c"]; undefined when outside /api or not decodable. */
function apiSegments(pathname: string): string[] | undefined {
  if (!pathname.startsWith('/api/')) return undefined;
  const raw = pathname.slice('/api/'.length).replace(/\/$/, '').split('/');
  try {
    return raw.map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
}

export interface TransportDependencies {
  router: Router;
  tokens: TokenIssuer;
  faults: FaultInjector;
  /** Latency added to every request on top of the fault configuration's. */
  baseLatencyMs: number;
}

export class SimulatorTransport {
  private readonly counts = new Map<string, number>();
  private readonly pendingDelays = new Set<NodeJS.Timeout>();

  constructor(private readonly deps: TransportDependencies) {}

  counters(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  resetCounters(): void {
    this.counts.clear();
  }

  restoreCounters(counters: Readonly<Record<string, number>>): void {
    this.counts.clear();
    for (const [key, count] of Object.entries(counters)) this.counts.set(key, count);
  }

  /** Requests stuck in a latency delay are abandoned; their sockets close with the server. */
  abandonPending(): void {
    for (const timer of this.pendingDelays) clearTimeout(timer);
    this.pendingDelays.clear();
  }

  readonly listener = (request: IncomingMessage, response: ServerResponse): void => {
    this.handle(request, response).catch(() => {
      if (!response.headersSent) send(response, errorResponse(500, 'Internal simulator error'));
    });
  };

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { router, faults, baseLatencyMs } = this.deps;
    const method = (request.method ?? 'GET').toUpperCase();
    const url = new URL(request.url ?? '/', 'http://simulator.invalid');
    const lookup = router.lookup(method, apiSegments(url.pathname));
    this.counts.set(lookup.key, (this.counts.get(lookup.key) ?? 0) + 1);
    let rawBody: Buffer;
    try {
      rawBody = await readBody(request, MAX_BODY_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return send(response, errorResponse(413, 'Request body too large'));
      throw error;
    }
    const latency = baseLatencyMs + faults.latencyMs();
    if (latency > 0) await this.delay(latency);
    const decision = faults.decide(method, lookup.key, lookup.route?.mutates ?? false);
    switch (decision.kind) {
      case 'fail':
        return send(response, errorResponse(decision.status, 'Service unavailable (injected fault)'));
      case 'throttle':
        return send(response, {
          ...errorResponse(429, 'Too many requests (injected fault)'),
          headers: { 'retry-after': String(decision.retryAfterSeconds) },
        });
      case 'drop':
        if (decision.afterCommit) this.execute(lookup, request, rawBody, url.searchParams);
        request.socket.destroy();
        return;
      case 'none':
        return send(response, this.execute(lookup, request, rawBody, url.searchParams));
    }
  }

  private execute(lookup: RouteLookup, request: IncomingMessage, rawBody: Buffer, query: URLSearchParams): SimResponse {
    try {
      if (lookup.route?.requiresAuth !== false && !this.deps.tokens.isValid(bearerToken(request))) {
        throw new SimulatorHttpError(401, 'Authentication required: missing, invalid or expired bearer token');
      }
      if (lookup.methodNotAllowed) throw new SimulatorHttpError(405, 'Method not allowed');
      if (!lookup.route) throw new SimulatorHttpError(404, 'No such resource');
      return lookup.route.handle({ params: lookup.params, query, body: parseBody(request, rawBody) });
    } catch (error) {
      if (error instanceof SimulatorHttpError) return errorResponse(error.status, error.message);
      return errorResponse(500, 'Internal simulator error');
    }
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingDelays.delete(timer);
        resolve();
      }, ms);
      this.pendingDelays.add(timer);
    });
  }
}

function bearerToken(request: IncomingMessage): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1] ?? '';
}

/** JSON bodies, plus form bodies because some token clients post forms. */
function parseBody(request: IncomingMessage, rawBody: Buffer): unknown {
  if (rawBody.length === 0) return undefined;
  const text = rawBody.toString('utf8');
  if ((request.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SimulatorHttpError(400, 'The request body is not valid JSON');
  }
}

function errorResponse(status: number, message: string): SimResponse {
  return { status, body: { status, message: [message] } };
}

function send(response: ServerResponse, { status, body, headers = {} }: SimResponse): void {
  const payload = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  response.end(payload);
}
