/**
 * An in-memory APIC app and secret store, just enough for the RestoreCredential step: each test shapes APIC's
 * behaviour (ignoring supplied client ids, refusing secrets) and reads back the calls made.
 */
import type { ApicCredential, ClientSecretPair } from '../../functions/domain/model';
import type { ApicPort, CredentialSecretLocator, NewCredential, SecretStorePort } from '../../functions/domain/ports';

export interface FakeBehaviour {
  /** APIC answers every create with a client id of its own. */
  readonly ignoresSuppliedClientId?: boolean;
  /** APIC never accepts a secret (a broken verify endpoint). */
  readonly rejectsEverySecret?: boolean;
}

interface HeldCredential extends ApicCredential {
  secret: string;
}

export class FakeApicApp {
  readonly credentials: HeldCredential[] = [];
  readonly calls: string[] = [];
  private ids = 0;

  constructor(private readonly behaviour: FakeBehaviour = {}) {}

  hold(name: string, pair: ClientSecretPair): void {
    this.credentials.push({ id: `id-${++this.ids}`, name, title: name, clientId: pair.clientId, createdAt: '2025-01-01T00:00:00.000Z', secret: pair.clientSecret });
  }

  port(): ApicPort {
    const byId = (id: string) => {
      const found = this.credentials.find((credential) => credential.id === id);
      if (!found) throw new Error(`no credential ${id}`);
      return found;
    };
    const view = ({ secret: _secret, ...credential }: HeldCredential): ApicCredential => credential;
    const unused = () => Promise.reject(new Error('not used by a restore'));
    return {
      getApp: async (app) => ({ id: 'app', name: app.app, title: app.app, consumerOrg: { id: 'corg', name: app.consumerOrg }, credentials: this.credentials.map(view) }),
      createCredential: async (_app, credential: NewCredential) => {
        this.calls.push(`create ${credential.name}`);
        const secret = credential.secret ?? { clientId: 'generated', clientSecret: 'generated' };
        this.hold(credential.name, this.behaviour.ignoresSuppliedClientId ? { clientId: 'apic-own-id', clientSecret: 'apic-own-secret' } : secret);
        return view(this.credentials[this.credentials.length - 1] as HeldCredential);
      },
      updateCredential: async (_app, id, patch) => {
        this.calls.push(`patch ${byId(id).name}`);
        if (patch.clientSecret !== undefined) byId(id).secret = patch.clientSecret;
        return view(byId(id));
      },
      deleteCredential: async (_app, id) => {
        this.calls.push(`delete ${byId(id).name}`);
        this.credentials.splice(this.credentials.indexOf(byId(id)), 1);
      },
      verifyClientSecret: async (_app, id, pair) =>
        !this.behaviour.rejectsEverySecret && byId(id).clientId === pair.clientId && byId(id).secret === pair.clientSecret,
      listAppsPage: unused,
      listConsumerOrgApps: unused,
      listConsumerOrgs: unused,
      getConsumerOrg: unused,
      listCredentials: unused,
      resetClientSecret: unused,
    };
  }
}

/** A store that only answers `readCurrent`, with one pair for every locator. */
export function storeHolding(pair: ClientSecretPair | undefined): SecretStorePort {
  const unused = () => {
    throw new Error('not used by a restore');
  };
  return {
    secretName: (locator: CredentialSecretLocator) => `test/${locator.credential}`,
    readCurrent: async () => pair,
    describe: unused,
    storedCredentialBases: unused,
    stagePending: unused,
    promote: unused,
    readPending: unused,
  };
}
