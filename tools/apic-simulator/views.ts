/** JSON shapes of the simulated APIC objects. Self URLs are absolute and id-based, as APIC returns them. */
import type { App, Catalog, ConsumerOrg, Credential } from './store';

export interface ViewOptions {
  /** e.g. "http://127.0.0.1:41234/api/" */
  apiBase: string;
  expandedCredentialsKey: 'app_credentials' | 'credentials';
  expandedCredentialsIncludeCreatedAt: boolean;
}

const API_VERSION = '2.0.0';

export class Views {
  constructor(private readonly options: ViewOptions) {}

  catalogUrl(catalog: Catalog): string {
    return `${this.options.apiBase}catalogs/${catalog.providerOrg.id}/${catalog.id}`;
  }

  consumerOrgUrl(consumerOrg: ConsumerOrg): string {
    const catalog = consumerOrg.catalog;
    return `${this.options.apiBase}consumer-orgs/${catalog.providerOrg.id}/${catalog.id}/${consumerOrg.id}`;
  }

  appUrl(app: App): string {
    const catalog = app.consumerOrg.catalog;
    return `${this.options.apiBase}apps/${catalog.providerOrg.id}/${catalog.id}/${app.consumerOrg.id}/${app.id}`;
  }

  credentialUrl(credential: Credential): string {
    return `${this.appUrl(credential.app)}/credentials/${credential.id}`;
  }

  /** The full credential; `clientSecret` only in answers to create and reset. */
  credential(credential: Credential, clientSecret?: string): Record<string, unknown> {
    const app = credential.app;
    return {
      type: 'credential',
      api_version: API_VERSION,
      id: credential.id,
      name: credential.name,
      title: credential.title,
      summary: credential.summary,
      client_id: credential.clientId,
      ...(clientSecret === undefined ? {} : { client_secret: clientSecret }),
      client_secret_hashed: credential.secretHash,
      created_at: credential.createdAt,
      updated_at: credential.updatedAt,
      ...this.parentUrls(app.consumerOrg),
      consumer_org_url: this.consumerOrgUrl(app.consumerOrg),
      app_url: this.appUrl(app),
      url: this.credentialUrl(credential),
    };
  }

  consumerOrg(consumerOrg: ConsumerOrg, expandOwner: boolean): Record<string, unknown> {
    const ownerUrl = this.ownerUrl(consumerOrg);
    const owner = consumerOrg.owner;
    return {
      type: 'consumer_org',
      api_version: API_VERSION,
      id: consumerOrg.id,
      name: consumerOrg.name,
      title: consumerOrg.title,
      summary: '',
      state: 'enabled',
      owner_url: ownerUrl,
      ...(expandOwner
        ? {
            owner: {
              type: 'user',
              api_version: API_VERSION,
              id: owner.id,
              name: owner.username,
              title: owner.username,
              username: owner.username,
              ...(owner.email === undefined ? {} : { email: owner.email }),
              first_name: owner.firstName,
              last_name: owner.lastName,
              state: 'enabled',
              url: ownerUrl,
            },
          }
        : {}),
      created_at: consumerOrg.createdAt,
      updated_at: consumerOrg.createdAt,
      ...this.parentUrls(consumerOrg),
      url: this.consumerOrgUrl(consumerOrg),
    };
  }

  app(app: App, expand: { credentials: boolean; consumerOrg: boolean }): Record<string, unknown> {
    const consumerOrg = app.consumerOrg;
    const credentials = app.credentials.list();
    return {
      type: 'app',
      api_version: API_VERSION,
      id: app.id,
      name: app.name,
      title: app.title,
      summary: '',
      state: 'enabled',
      lifecycle_state: 'production',
      app_credential_urls: credentials.map((credential) => this.credentialUrl(credential)),
      ...(expand.credentials
        ? { [this.options.expandedCredentialsKey]: credentials.map((credential) => this.expandedCredential(credential)) }
        : {}),
      ...(expand.consumerOrg
        ? {
            consumer_org: {
              id: consumerOrg.id,
              name: consumerOrg.name,
              title: consumerOrg.title,
              url: this.consumerOrgUrl(consumerOrg),
            },
          }
        : {}),
      created_at: app.createdAt,
      updated_at: app.updatedAt,
      ...this.parentUrls(consumerOrg),
      consumer_org_url: this.consumerOrgUrl(consumerOrg),
      url: this.appUrl(app),
    };
  }

  private expandedCredential(credential: Credential): Record<string, unknown> {
    if (this.options.expandedCredentialsIncludeCreatedAt) return this.credential(credential);
    // The one public sample of an expanded listing shows only these fields.
    return { id: credential.id, name: credential.name, title: credential.title, client_id: credential.clientId };
  }

  private ownerUrl(consumerOrg: ConsumerOrg): string {
    const catalog = consumerOrg.catalog;
    return `${this.options.apiBase}user-registries/${catalog.providerOrg.id}/${catalog.userRegistryId}/users/${consumerOrg.owner.id}`;
  }

  private parentUrls(consumerOrg: ConsumerOrg): { org_url: string; catalog_url: string } {
    const catalog = consumerOrg.catalog;
    return { org_url: `${this.options.apiBase}orgs/${catalog.providerOrg.id}`, catalog_url: this.catalogUrl(catalog) };
  }
}
