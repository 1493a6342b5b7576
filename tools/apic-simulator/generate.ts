/** Deterministic synthetic catalogs for scale tests and the benchmark. */
import { SeededRandom } from './random';
import type { SimAppSeed, SimConsumerOrgSeed, SimulatorSeed } from './types';

/** A fixed count, or an inclusive [min, max] range drawn per org / per app. */
export type CountOrRange = number | readonly [number, number];

export interface CatalogShape {
  providerOrg: string;
  catalog: string;
  consumerOrgs: number;
  appsPerOrg: CountOrRange;
  credentialsPerApp: CountOrRange;
  /** Inclusive range of credential ages in whole days. */
  ageDays: readonly [number, number];
  randomSeed: number;
}

export function generateCatalog(shape: CatalogShape): SimulatorSeed {
  const random = new SeededRandom(shape.randomSeed);
  const draw = (count: CountOrRange): number =>
    typeof count === 'number' ? count : random.intBetween(count[0], count[1]);
  const orgDigits = String(shape.consumerOrgs).length;
  const consumerOrgs: SimConsumerOrgSeed[] = [];
  for (let orgIndex = 1; orgIndex <= shape.consumerOrgs; orgIndex += 1) {
    const orgName = `corg-${String(orgIndex).padStart(orgDigits, '0')}`;
    const apps: SimAppSeed[] = [];
    const appCount = draw(shape.appsPerOrg);
    for (let appIndex = 1; appIndex <= appCount; appIndex += 1) {
      const appName = `${orgName}-app-${appIndex}`;
      const credentialCount = draw(shape.credentialsPerApp);
      const credentials = Array.from({ length: credentialCount }, (_, credentialIndex) => ({
        // APIC names an app's first credential after the app; later ones are whatever the developer chose.
        name: credentialIndex === 0 ? `Credential-for-${appName}` : `${appName}-cred-${credentialIndex + 1}`,
        title: credentialIndex === 0 ? `Credential for ${appName}` : `${appName} credential ${credentialIndex + 1}`,
        ageDays: random.intBetween(shape.ageDays[0], shape.ageDays[1]),
      }));
      apps.push({ name: appName, title: appName, credentials });
    }
    consumerOrgs.push({
      name: orgName,
      title: `Consumer org ${orgIndex}`,
      owner: { username: `${orgName}-owner`, email: `owner@${orgName}.example.com` },
      apps,
    });
  }
  return { catalogs: [{ providerOrg: shape.providerOrg, catalog: shape.catalog, consumerOrgs }] };
}
