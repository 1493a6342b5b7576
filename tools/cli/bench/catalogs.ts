/** The benchmark's catalogs: a quiet one, and the same one with a share of credentials due for rotation. */
import { generateCatalog } from '../../apic-simulator/generate';
import type { SimulatorSeed } from '../../apic-simulator';

export const BENCH_TARGET = { providerOrg: 'bench', catalog: 'production' } as const;
const APPS_PER_ORG = 2;
/** Ages below expiry − warn (90 − 14 days): a quiet day. */
const QUIET_AGE_DAYS = [1, 60] as const;
/** Between expiry (90) and deletion (100): the seed script and the workflow both create a replacement. */
export const DUE_AGE_DAYS = 92;

export function quietCatalog(credentials: number, consumerOrgs: number, randomSeed: number): SimulatorSeed {
  const perApp = credentials / (consumerOrgs * APPS_PER_ORG);
  return generateCatalog({
    ...BENCH_TARGET,
    consumerOrgs,
    appsPerOrg: APPS_PER_ORG,
    // A uniform draw from [1, 2·mean − 1] averages to the mean asked for.
    credentialsPerApp: [1, Math.max(1, Math.round(2 * perApp - 1))],
    ageDays: QUIET_AGE_DAYS,
    randomSeed,
  });
}

/** The same catalog with every n-th credential (n = 1 / share) made due. */
export function withDueShare(seed: SimulatorSeed, share: number): SimulatorSeed {
  const every = Math.round(1 / share);
  let index = 0;
  const copy = structuredClone(seed);
  for (const catalog of copy.catalogs) {
    for (const org of catalog.consumerOrgs) {
      for (const app of org.apps) {
        for (const credential of app.credentials) {
          index += 1;
          if (index % every === 0) credential.ageDays = DUE_AGE_DAYS;
        }
      }
    }
  }
  return copy;
}

export function countCredentials(seed: SimulatorSeed): { credentials: number; apps: number; consumerOrgs: number } {
  const orgs = seed.catalogs.flatMap((c) => c.consumerOrgs);
  const apps = orgs.flatMap((o) => o.apps);
  return { credentials: apps.reduce((sum, app) => sum + app.credentials.length, 0), apps: apps.length, consumerOrgs: orgs.length };
}
