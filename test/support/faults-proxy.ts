/**
 * A loopback proxy in front of the APIC simulator that rewrites its JSON answers: how the bad-input suite serves
 * data the simulator refuses to seed (a credential without `created_at`, an unparseable date, a name of the wrong type).
 */
import { createServer, request as httpRequest } from 'node:http';
import { closeServer, listenOnLoopback, readBody } from '../../tools/emulators/loopback';

export interface TamperingProxy {
  /** Base URL to configure as `apicBaseUrl`. */
  readonly baseUrl: string;
  close(): Promise<void>;
}

/** Applies `tamper` to every object (at any depth) of every JSON answer. */
function rewrite(value: unknown, tamper: (node: Record<string, unknown>) => void): unknown {
  if (Array.isArray(value)) value.forEach((item) => rewrite(item, tamper));
  else if (typeof value === 'object' && value !== null) {
    const node = value as Record<string, unknown>;
    Object.values(node).forEach((child) => rewrite(child, tamper));
    tamper(node);
  }
  return value;
}

export async function startTamperingProxy(targetBaseUrl: string, tamper: (node: Record<string, unknown>) => void): Promise<TamperingProxy> {
  const target = new URL(targetBaseUrl);
  const server = createServer((request, response) => {
    void readBody(request).then((body) => {
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers },
        (reply) => {
          void readBody(reply).then((replyBody) => {
            let out = replyBody;
            if (String(reply.headers['content-type'] ?? '').includes('json') && replyBody.length > 0) {
              out = Buffer.from(JSON.stringify(rewrite(JSON.parse(replyBody.toString('utf8')), tamper)));
            }
            const headers = { ...reply.headers, 'content-length': String(out.length) };
            delete headers['transfer-encoding'];
            response.writeHead(reply.statusCode ?? 502, headers);
            response.end(out);
          });
        },
      );
      upstream.on('error', () => response.destroy());
      upstream.end(body);
    });
  });
  const { endpoint } = await listenOnLoopback(server);
  return {
    baseUrl: `${endpoint}${target.pathname}`,
    close: () => closeServer(server),
  };
}
