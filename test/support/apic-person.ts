/**
 * A person (or an earlier tool) acting on APIC between and during the rotator's runs, through the documented
 * platform API over HTTP, as the API Manager UI and the seed script do: nothing here reaches into the simulator.
 */
import type { ApicSimulator } from '../../tools/apic-simulator';

export interface PersonApp {
  readonly providerOrg: string;
  readonly catalog: string;
  readonly consumerOrg: string;
  readonly app: string;
}

/** APIC's create and reset answers carry the new secret; the person keeps it, as a consumer would. */
export interface IssuedCredential {
  readonly id: string;
  readonly name: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The whole answer, as the seed script writes it to `<app>_<credential>.json`. */
  readonly answer: Record<string, unknown>;
}

export class ApicPerson {
  private token?: string;

  constructor(private readonly apic: Pick<ApicSimulator, 'baseUrl' | 'admin'>) {}

  async createCredential(app: PersonApp, name: string, title = name): Promise<IssuedCredential> {
    const answer = await this.call('POST', `${appPath(app)}/credentials`, { name, title }, 201);
    return issued(answer);
  }

  async deleteCredential(app: PersonApp, name: string): Promise<void> {
    await this.call('DELETE', `${appPath(app)}/credentials/${encodeURIComponent(name)}`, undefined, 200);
  }

  async renameCredential(app: PersonApp, name: string, newName: string, newTitle = newName): Promise<void> {
    await this.call('PATCH', `${appPath(app)}/credentials/${encodeURIComponent(name)}`, { name: newName, title: newTitle }, 200);
  }

  /** Resets the secret in the UI: same client id, a new secret, the old one refused from now on. */
  async resetSecret(app: PersonApp, name: string): Promise<string> {
    const answer = await this.call('POST', `${appPath(app)}/credentials/${encodeURIComponent(name)}/reset-client-secret`, {}, 200);
    const secret = answer.client_secret;
    if (typeof secret !== 'string') throw new Error('reset-client-secret answered without client_secret');
    return secret;
  }

  /** What a consumer's gateway check amounts to: APIC's verify-client-secret answer (200 accepted, 400 refused). */
  async verifySecret(app: PersonApp, name: string, pair: { clientId: string; clientSecret: string }): Promise<number> {
    const path = `${appPath(app)}/credentials/${encodeURIComponent(name)}/verify-client-secret`;
    return (await this.request('POST', path, { client_id: pair.clientId, client_secret: pair.clientSecret })).status;
  }

  private async call(method: string, path: string, body: unknown, expectedStatus: number): Promise<Record<string, unknown>> {
    const { status, text } = await this.request(method, path, body);
    if (status !== expectedStatus) throw new Error(`${method} ${path} answered ${status}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  }

  private async request(method: string, path: string, body: unknown): Promise<{ status: number; text: string }> {
    const response = await fetch(new URL(path, this.apic.baseUrl), {
      method,
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${await this.accessToken()}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, text: await response.text() };
  }

  private async accessToken(): Promise<string> {
    if (this.token) return this.token;
    const { admin } = this.apic;
    const response = await fetch(new URL('token', this.apic.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        grant_type: 'password',
        username: admin.username,
        password: admin.password,
        realm: admin.realm,
        client_id: admin.clientId,
        client_secret: admin.clientSecret,
      }),
    });
    const { access_token: token } = (await response.json()) as { access_token: string };
    this.token = token;
    return token;
  }
}

function appPath(app: PersonApp): string {
  return `apps/${[app.providerOrg, app.catalog, app.consumerOrg, app.app].map(encodeURIComponent).join('/')}`;
}

function issued(answer: Record<string, unknown>): IssuedCredential {
  const { id, name, client_id: clientId, client_secret: clientSecret } = answer;
  if (typeof id !== 'string' || typeof name !== 'string' || typeof clientId !== 'string' || typeof clientSecret !== 'string') {
    throw new Error('create-credential answered without id, name, client_id or client_secret');
  }
  return { id, name, clientId, clientSecret, answer };
}
