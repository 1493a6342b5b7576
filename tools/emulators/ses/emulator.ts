/**
 * Runs aws-ses-v2-local in-process on loopback behind a small proxy. The proxy can fail the next SendEmail calls
 * with an SES error, and remembers which messages went through it: aws-ses-v2-local keeps one store per process,
 * so `emails()` returns only this emulator's mail even when several emulators share a process.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sesLocal from 'aws-ses-v2-local';
import { closeServer, listenOnLoopback, readBody } from '../loopback';

export interface CapturedEmail {
  readonly from: string;
  readonly to: string[];
  readonly subject: string;
  readonly text?: string;
  readonly html?: string;
}

export interface SesEmulator {
  readonly endpoint: string;
  /** Mail accepted through this emulator since start or the last `clear()`, oldest first. */
  emails(): Promise<CapturedEmail[]>;
  clear(): Promise<void>;
  /** The next `count` SendEmail calls answer HTTP 500 with an SES `InternalFailure` error (the SDK retries these). */
  failNext(count: number): void;
  /** A deep copy of the mail `emails()` returns and of the pending failures, as plain data. */
  snapshot(): Promise<SesSnapshot>;
  /**
   * Makes `emails()` return a copy of `snapshot`'s mail followed by whatever is sent from now on, and sets the pending
   * failures; the endpoint stays.
   */
  restore(snapshot: SesSnapshot): void;
  close(): Promise<void>;
}

/** What `SesEmulator.snapshot()` returns: plain data (structured-clonable). */
export interface SesSnapshot {
  readonly emails: readonly CapturedEmail[];
  readonly failuresLeft: number;
}

interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
}

type StartSesLocal = (config: { host: string; port: number }) => Promise<Server>;
const startSesLocal: StartSesLocal = (sesLocal as unknown as { default?: StartSesLocal }).default ?? (sesLocal as unknown as StartSesLocal);

const SES_FAILURE_XML =
  '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Receiver</Type><Code>InternalFailure</Code>' +
  '<Message>Injected failure</Message></Error><RequestId>emulated-failure</RequestId></ErrorResponse>';

export async function startSesEmulator(): Promise<SesEmulator> {
  const backend = await startSesLocal({ host: '127.0.0.1', port: 0 });
  const backendPort = (backend.address() as AddressInfo).port;
  const ownMessageIds = new Set<string>();
  /** Mail a restored snapshot holds: it was sent through another emulator, so the backend's store does not have it. */
  let restored: CapturedEmail[] = [];
  let failuresLeft = 0;

  const forward = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readBody(request);
    const isSend = request.method === 'POST' && new URLSearchParams(body.toString('utf8')).get('Action') === 'SendEmail';
    if (isSend && failuresLeft > 0) {
      failuresLeft -= 1;
      response.writeHead(500, { 'content-type': 'text/xml' });
      response.end(SES_FAILURE_XML);
      return;
    }
    const upstream = httpRequest(
      { host: '127.0.0.1', port: backendPort, method: request.method, path: request.url, headers: request.headers },
      (reply) => {
        void readBody(reply).then((replyBody) => {
          const messageId = /<MessageId>([^<]+)<\/MessageId>/.exec(replyBody.toString('utf8'))?.[1];
          if (isSend && messageId) ownMessageIds.add(messageId);
          response.writeHead(reply.statusCode ?? 502, reply.headers);
          response.end(replyBody);
        });
      },
    );
    upstream.on('error', () => {
      response.writeHead(502);
      response.end();
    });
    upstream.end(body);
  };

  const proxy = createServer((request, response) => {
    void forward(request, response);
  });
  const { endpoint } = await listenOnLoopback(proxy);
  const backendUrl = `http://127.0.0.1:${backendPort}`;

  const emails = async (): Promise<CapturedEmail[]> => {
    const store = (await (await fetch(`${backendUrl}/store`)).json()) as { emails: StoredEmail[] };
    const sent = store.emails
      .filter((email) => ownMessageIds.has(email.messageId))
      .map((email) => ({
        from: email.from,
        to: email.destination.to,
        subject: email.subject,
        ...(email.body.text !== undefined && { text: email.body.text }),
        ...(email.body.html !== undefined && { html: email.body.html }),
      }));
    return [...structuredClone(restored), ...sent];
  };

  return {
    endpoint,
    emails,
    async clear() {
      ownMessageIds.clear();
      restored = [];
    },
    failNext(count) {
      failuresLeft = count;
    },
    async snapshot() {
      return { emails: await emails(), failuresLeft };
    },
    restore(snapshot) {
      ownMessageIds.clear();
      restored = structuredClone([...snapshot.emails]);
      failuresLeft = snapshot.failuresLeft;
    },
    async close() {
      await Promise.all([closeServer(proxy), closeServer(backend)]);
    },
  };
}
