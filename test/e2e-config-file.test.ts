/**
 * A local run of the synthesized workflow with a config that does not fit a Lambda environment: a 64 KB CA bundle
 * (APIC served over TLS by a private CA) and consumer access. The handlers read both from the config file, as
 * deployed functions read it from their asset.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetResourcePolicyCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretNameFor } from '../functions/domain/secrets';
import type { LocalRunResult } from '../tools/runner/workflow-runner';
import { startLocalEnvironment, type LocalEnvironment } from '../tools/runner/local-environment';

const NOW = new Date('2025-03-01T03:00:00.000Z');
const TARGET = { providerOrg: 'tls-porg', catalog: 'live' };
const PARTNER_PRINCIPAL = 'arn:aws:iam::210987654321:role/partner-app';

const SEED = {
  catalogs: [
    {
      ...TARGET,
      consumerOrgs: [
        {
          name: 'partner',
          owner: { email: 'owner-partner@example.com' },
          apps: [{ name: 'billing', credentials: [{ name: 'main', ageDays: 95, clientSecret: 'seeded-secret-partner-0123456789' }] }],
        },
        {
          name: 'other',
          owner: { email: 'owner-other@example.com' },
          apps: [{ name: 'reports', credentials: [{ name: 'main', ageDays: 95, clientSecret: 'seeded-secret-other-0123456789' }] }],
        },
      ],
    },
  ],
};

describe('a local run with a 64 KB CA bundle and consumer access in its config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apic-config-file-'));
  let stack: LocalEnvironment;
  let result: LocalRunResult;
  let caBundleBytes = 0;

  beforeAll(async () => {
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Test APIC CA');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
    // The issuing CA after another CA's certificate, repeated to a bundle of over 64 KB of PEM.
    openssl('req', '-x509', '-newkey', 'rsa:4096', '-nodes', '-keyout', 'other.key', '-out', 'other.pem', '-days', '2', '-subj', '/CN=Unrelated CA');
    const unrelated = readFileSync(join(dir, 'other.pem'), 'utf8');
    const caBundle = [...Array.from({ length: Math.ceil((64 * 1024) / unrelated.length) }, () => unrelated), readFileSync(join(dir, 'ca.pem'), 'utf8')].join('');
    caBundleBytes = Buffer.byteLength(caBundle);
    stack = await startLocalEnvironment({
      simulator: {
        seed: SEED,
        now: NOW,
        tls: { key: readFileSync(join(dir, 'server.key'), 'utf8'), cert: readFileSync(join(dir, 'server.pem'), 'utf8') },
      },
      config: { apicCaBundle: caBundle, consumerAccess: { partner: [PARTNER_PRINCIPAL] } },
    });
    result = await stack.run({ now: NOW });
  });

  afterAll(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reaches APIC over TLS through the bundle and replaces the due credentials', () => {
    expect(caBundleBytes).toBeGreaterThan(64 * 1024);
    expect(stack.config.apicBaseUrl).toMatch(/^https:\/\/127\.0\.0\.1:/);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.summary).toMatchObject({ appsFailed: 0 });
    for (const consumerOrg of ['partner', 'other']) {
      const names = stack.apic.inspect.credentials(TARGET.providerOrg, TARGET.catalog, consumerOrg, consumerOrg === 'partner' ? 'billing' : 'reports').map((c) => c.name);
      expect(names, consumerOrg).toContain('main_new');
    }
  });

  it("shares the partner's secret with the partner's principal only, and puts no policy on the other org's", async () => {
    const policyOf = async (consumerOrg: string, app: string) =>
      (
        await stack.secretsManagerClient.send(
          new GetResourcePolicyCommand({ SecretId: secretNameFor('apic-rotator', { ...TARGET, consumerOrg, app, credential: 'main' }) }),
        )
      ).ResourcePolicy;
    const shared = JSON.parse((await policyOf('partner', 'billing')) ?? '{}') as { Statement?: Array<{ Principal: { AWS: string[] } }> };
    expect(shared.Statement?.map((statement) => statement.Principal.AWS)).toEqual([[PARTNER_PRINCIPAL], [PARTNER_PRINCIPAL]]);
    expect(await policyOf('other', 'reports')).toBeUndefined();
  });
});
