/**
 * A faithful TypeScript re-implementation of the customer's seed script
 * (`/work/shared/seeds/apic-client-credentials-rotation.txt`), for the benchmark and for tests that show its flaws.
 * It keeps the script's algorithm exactly, flaws included:
 * - one request at a time; one GET per consumer org for its apps and one GET per credential;
 * - only the first page of consumer orgs and of each org's apps is read (no `limit`/`offset`: whatever the server's
 *   default page holds);
 * - a credential at least `deletionDays` old is deleted whenever its app has more than one credential, whether or not
 *   that other credential is its replacement; then `<name>_new` is renamed to `<name>`, which fails when there is no
 *   such replacement, and the script stops (its `sys.exit(1)`), the original already gone;
 * - path segments are concatenated unencoded, the new secret is only printed/written to a file (here: counted).
 * It speaks plain HTTP to the simulator on loopback (the script turned TLS verification off; nothing here does).
 */

import { DAY_MS } from '../../../functions/domain/time';

export interface SeedAlgorithmOptions {
  /** Platform API base ending with `/`, e.g. `http://127.0.0.1:1234/api/` (the script's `providerurl`). */
  readonly baseUrl: string;
  readonly providerOrg: string;
  readonly catalog: string;
  readonly admin: { readonly username: string; readonly password: string; readonly realm: string; readonly clientId: string; readonly clientSecret: string };
  /** The script's `current_time`, fixed once at its start. */
  readonly now: Date;
  /** @default 90 */
  readonly expiryDays?: number;
  /** @default 100 */
  readonly deletionDays?: number;
}

/** Where the script would have stopped with `sys.exit(1)`: the label it printed and the HTTP status it got. */
export interface SeedAbort {
  readonly step: 'InsideConsumerOrgsResp' | 'InsideAppsResp' | 'InsideCredentialResp' | 'Insideaddcredresp' | 'InsideDelcredresp' | 'Insideupdatenewcredresp';
  readonly status: number;
}

export interface SeedAlgorithmResult {
  /** `total_results` of the consumer org listing, as the script prints it. */
  readonly consumerOrgsTotal: number;
  readonly consumerOrgsVisited: number;
  readonly appsVisited: number;
  readonly credentialsRead: number;
  /** `consumerOrg/app/credential` of each credential created (201), deleted and renamed back. */
  readonly created: readonly string[];
  readonly deleted: readonly string[];
  readonly renamed: readonly string[];
  /** Credentials the script reported as past deletion with no replacement ("new not provisioned"). */
  readonly reportedUnprovisioned: readonly string[];
  readonly aborted?: SeedAbort;
  readonly requests: number;
}

/** The script's `timeout=15` (seconds) on every request but the token. */
const REQUEST_TIMEOUT_MS = 15_000;

interface ListEnvelope<T> {
  readonly total_results: number;
  readonly results: readonly T[];
}

class SeedExit extends Error {
  constructor(readonly abort: SeedAbort) {
    super(`the seed script stops at ${abort.step} (HTTP ${abort.status})`);
    this.name = 'SeedExit';
  }
}

/** `datetime.fromisoformat(created_at[:-1])` in UTC, then `timedelta.days` (floored). */
function ageInWholeDays(createdAt: string, now: Date): number {
  const utc = Date.parse(`${createdAt.slice(0, -1)}Z`);
  return Math.floor((now.getTime() - utc) / DAY_MS);
}

export async function runSeedAlgorithm(options: SeedAlgorithmOptions): Promise<SeedAlgorithmResult> {
  const expiryDays = options.expiryDays ?? 90;
  const deletionDays = options.deletionDays ?? 100;
  const { baseUrl: providerurl, providerOrg: porg, catalog } = options;
  let requests = 0;
  const created: string[] = [];
  const deleted: string[] = [];
  const renamed: string[] = [];
  const reportedUnprovisioned: string[] = [];
  let consumerOrgsTotal = 0;
  let consumerOrgsVisited = 0;
  let appsVisited = 0;
  let credentialsRead = 0;

  const send = async (method: string, url: string, headers: Record<string, string>, body?: unknown) => {
    requests += 1;
    const response = await fetch(url, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    // Read every body, so the pooled connection is free for the next request.
    const text = await response.text();
    return { status: response.status, json: <T>() => JSON.parse(text) as T };
  };

  const token = await send('POST', `${providerurl}token`, { 'Content-Type': 'application/json' }, {
    username: options.admin.username,
    password: options.admin.password,
    realm: options.admin.realm,
    client_id: options.admin.clientId,
    client_secret: options.admin.clientSecret,
    grant_type: 'password',
  });
  const authheaders = { Authorization: `Bearer ${token.json<{ access_token: string }>().access_token}`, 'Content-Type': 'application/json' };
  /** A request the script checks: any other status ends the run, as its `sys.exit(1)` does. */
  const checked = async (step: SeedAbort['step'], accepted: readonly number[], method: string, url: string, body?: unknown) => {
    const response = await send(method, url, authheaders, body);
    if (!accepted.includes(response.status)) throw new SeedExit({ step, status: response.status });
    return response;
  };

  try {
    const orgsResponse = await checked('InsideConsumerOrgsResp', [200], 'GET', `${providerurl}catalogs/${porg}/${catalog}/consumer-orgs?fields=name`);
    const orgs = orgsResponse.json<ListEnvelope<{ name: string }>>();
    consumerOrgsTotal = orgs.total_results;
    for (const org of orgs.results) {
      consumerOrgsVisited += 1;
      const appsResponse = await checked('InsideAppsResp', [200], 'GET', `${providerurl}consumer-orgs/${porg}/${catalog}/${org.name}/apps?fields=name,app_credential_urls`);
      const apps = appsResponse.json<ListEnvelope<{ name: string; app_credential_urls: readonly string[] }>>();
      for (const app of apps.results) {
        appsVisited += 1;
        const credurlsize = app.app_credential_urls.length;
        const credentialsUrl = `${providerurl}apps/${porg}/${catalog}/${org.name}/${app.name}/credentials`;
        for (const credentialUrl of app.app_credential_urls) {
          const credentialResponse = await checked('InsideCredentialResp', [200], 'GET', `${credentialUrl}?fields=name,title,created_at`);
          credentialsRead += 1;
          const credential = credentialResponse.json<{ name: string; title: string; created_at: string }>();
          const diffdays = ageInWholeDays(credential.created_at, options.now);
          const label = `${org.name}/${app.name}/${credential.name}`;
          if (diffdays >= expiryDays && diffdays < deletionDays) {
            const response = await checked('Insideaddcredresp', [201, 409], 'POST', credentialsUrl, {
              name: `${credential.name}_new`,
              title: `${credential.title}_new`,
            });
            // The script writes the new client id and secret to a file; nothing here keeps them.
            if (response.status === 201) created.push(label);
          } else if (diffdays >= deletionDays && credurlsize !== 1) {
            await checked('InsideDelcredresp', [200], 'DELETE', `${credentialsUrl}/${credential.name}`);
            deleted.push(label);
            await checked('Insideupdatenewcredresp', [200], 'PATCH', `${credentialsUrl}/${credential.name}_new`, {
              name: credential.name,
              title: credential.title,
            });
            renamed.push(label);
          } else if (diffdays >= deletionDays && credurlsize === 1) {
            reportedUnprovisioned.push(label);
          }
        }
      }
    }
  } catch (error) {
    if (!(error instanceof SeedExit)) throw error;
    return { consumerOrgsTotal, consumerOrgsVisited, appsVisited, credentialsRead, created, deleted, renamed, reportedUnprovisioned, aborted: error.abort, requests };
  }
  return { consumerOrgsTotal, consumerOrgsVisited, appsVisited, credentialsRead, created, deleted, renamed, reportedUnprovisioned, requests };
}
