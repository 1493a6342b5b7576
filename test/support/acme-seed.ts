/** The APIC seed shape the rotation-world suites share: one catalog, acme/prod, and owners with predictable e-mails. */
import type { SimAppSeed, SimulatorSeed } from '../../tools/apic-simulator';

/** Each key is a consumer org, owned by `owner@<org>.example.com`, holding the apps given for it. */
export function acmeProdSeed(appsByConsumerOrg: Readonly<Record<string, SimAppSeed[]>>): SimulatorSeed {
  return {
    catalogs: [
      {
        providerOrg: 'acme',
        catalog: 'prod',
        consumerOrgs: Object.entries(appsByConsumerOrg).map(([name, apps]) => ({ name, owner: { email: `owner@${name}.example.com` }, apps })),
      },
    ],
  };
}
