/**
 * One HTTP exchange over node:http(s) with an overall deadline. node:https (rather than fetch) lets a private CA be
 * added to the trust store per client; there is deliberately no way to turn certificate verification off.
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';

export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface HttpRequest {
  readonly method: string;
  /** Absolute path with query, sent verbatim (no URL normalisation, so an encoded `%2E%2E` segment stays a name). */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly timeoutMs: number;
}

/** The request did not complete within its deadline; the connection was destroyed. */
export class RequestTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
// A runaway answer must not exhaust a Lambda's memory; real APIC pages are far smaller.
const MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * Normalises the API base to end in `/api/`-style trailing slash, and refuses plain http except on loopback (the
 * simulator), so credentials never travel unencrypted.
 */
export function normaliseBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (error) {
    throw new TypeError('baseUrl is not a valid URL', { cause: error });
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new TypeError('baseUrl must not carry a query, fragment or user info');
  }
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new TypeError(`baseUrl must use https (plain http is allowed only for loopback hosts), got ${url.host}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`baseUrl must use https, got ${url.protocol}`);
  }
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  return url;
}

export interface TransportOptions {
  readonly keepAlive: boolean;
  /** Extra PEM certificates trusted in addition to Node's public roots. */
  readonly caBundle?: string;
}

export class HttpTransport {
  private readonly agent: http.Agent;
  private readonly secure: boolean;
  private readonly hostname: string;
  private readonly port: string;

  constructor(base: URL, options: TransportOptions) {
    this.secure = base.protocol === 'https:';
    // URL keeps IPv6 hosts in brackets; node:http wants them bare.
    this.hostname = base.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = base.port;
    this.agent = this.secure
      ? new https.Agent({
          keepAlive: options.keepAlive,
          // `ca` replaces the default roots, so they are listed too: public CAs keep working next to a private one.
          ...(options.caBundle === undefined ? {} : { ca: [...tls.rootCertificates, options.caBundle] }),
        })
      : new http.Agent({ keepAlive: options.keepAlive });
  }

  send(request: HttpRequest): Promise<HttpResponse> {
    const send = this.secure ? https.request : http.request;
    return new Promise<HttpResponse>((resolve, reject) => {
      const req = send({
        hostname: this.hostname,
        ...(this.port === '' ? {} : { port: this.port }),
        path: request.path,
        method: request.method,
        headers: request.headers,
        agent: this.agent,
      });
      const deadline = setTimeout(() => req.destroy(new RequestTimeoutError(request.timeoutMs)), request.timeoutMs);
      const settle = (action: () => void): void => {
        clearTimeout(deadline);
        action();
      };
      req.on('error', (error) => settle(() => reject(error)));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy(new Error(`answer larger than ${MAX_BODY_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (error) => settle(() => reject(error)));
        res.on('close', () => {
          if (!res.complete) settle(() => reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
        });
        res.on('end', () =>
          settle(() =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
          ),
        );
      });
      req.end(request.body);
    });
  }

  /** Closes pooled connections so a test or a Lambda shutdown leaves no sockets behind. */
  close(): void {
    this.agent.destroy();
  }
}
