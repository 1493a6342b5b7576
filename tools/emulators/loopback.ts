/**
 * The HTTP plumbing the local emulators, simulator and test proxies share: listening on an ephemeral loopback port,
 * reading a whole body, and closing without waiting for keep-alive sockets.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { Server as TlsServer } from 'node:tls';

export interface LoopbackAddress {
  readonly port: number;
  /** `http://127.0.0.1:<port>`, or `https://…` for a TLS server. */
  readonly endpoint: string;
}

export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The body is larger than ${maxBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Listens on 127.0.0.1 at a port the system picks; rejects when the server cannot listen. */
export async function listenOnLoopback(server: HttpServer | HttpsServer): Promise<LoopbackAddress> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const scheme = server instanceof TlsServer ? 'https' : 'http';
  return { port, endpoint: `${scheme}://127.0.0.1:${port}` };
}

/**
 * Reads a request or response body to its end. Past `maxBytes` it stops reading, which destroys the stream (and
 * the socket under a request), and throws BodyTooLargeError.
 */
export async function readBody(stream: Readable, maxBytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) throw new BodyTooLargeError(maxBytes);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Stops the server and ends its open connections at once: the SDKs keep sockets alive, so a plain close() would
 * wait for them to time out. Closing a server that is already closed succeeds, so shutdown paths may overlap.
 */
export function closeServer(server: HttpServer | HttpsServer): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error?: Error & { code?: string }) => {
      if (error && error.code !== 'ERR_SERVER_NOT_RUNNING') reject(error);
      else resolve();
    });
    server.closeAllConnections();
  });
}
