/** A small, hand-written catalog for the demo: the cases a rotation run must handle, at human scale. */
import type { SimulatorSeed } from './types';

export const SAMPLE_PROVIDER_ORG = 'acme-porg';
export const SAMPLE_CATALOG = 'production';

/** Ages are relative to the simulator clock when seeded (90-day expiry: 80/88 warn, 90/95/120 due). */
export function sampleCatalog(): SimulatorSeed {
  return {
    catalogs: [
      {
        providerOrg: SAMPLE_PROVIDER_ORG,
        catalog: SAMPLE_CATALOG,
        consumerOrgs: [
          {
            name: 'retail-bank',
            title: 'Retail Bank',
            owner: { username: 'alice', email: 'alice@retail-bank.example.com' },
            apps: [
              {
                name: 'mobile-app',
                title: 'Mobile App',
                credentials: [{ name: 'Credential-for-Mobile-App', title: 'Credential for Mobile App', ageDays: 95 }],
              },
              {
                name: 'my-app',
                title: 'My App',
                credentials: [
                  { name: 'Credential-for-My App', title: 'Credential for My App', ageDays: 120 },
                  { name: 'batch-jobs', title: 'Batch jobs', ageDays: 10 },
                ],
              },
            ],
          },
          {
            name: 'insurance-partners',
            title: 'Insurance Partners',
            owner: { username: 'bob', email: 'bob@insurance.example.org' },
            apps: [
              {
                name: 'claims-portal',
                title: 'Claims Portal',
                credentials: [
                  { name: 'Credential-for-Claims-Portal', title: 'Credential for Claims Portal', ageDays: 88 },
                  { name: 'reporting', title: 'Reporting', ageDays: 90 },
                  { name: 'zürich-büro', title: 'Zürich Büro', ageDays: 80 },
                ],
              },
            ],
          },
          {
            name: 'logistics-co',
            title: 'Logistics Co',
            owner: { username: 'carol', email: 'carol@logistics.example.net' },
            apps: [
              {
                name: 'tracking',
                title: 'Tracking',
                credentials: [{ name: 'Credential-for-Tracking', title: 'Credential for Tracking', ageDays: 45 }],
              },
              { name: 'unused-app', title: 'Unused App', credentials: [] },
            ],
          },
          {
            name: 'legacy-partner',
            title: 'Legacy Partner',
            // An owner without an e-mail: notices for this org cannot be delivered.
            owner: { username: 'legacy-admin' },
            apps: [
              {
                name: 'legacy-sync',
                title: 'Legacy Sync',
                credentials: [{ name: 'Credential-for-Legacy-Sync', title: 'Credential for Legacy Sync', ageDays: 100 }],
              },
            ],
          },
        ],
      },
    ],
  };
}
