/**
 * `npm run local-run -- --execute` against a real APIC must not store new secrets in an emulator that vanishes at
 * exit: it is refused unless Secrets Manager and SES outlive the process. Run as an operator runs it, in a process.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

async function localRun(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'local-run-'));
  const config = join(dir, 'rotator.json');
  await writeFile(config, JSON.stringify({ targets: [{ providerOrg: 'acme', catalog: 'prod' }], apicBaseUrl: 'https://apic.example.com/api/', notificationSender: 'r@example.com' }));
  const admin = join(dir, 'admin.json');
  await writeFile(admin, JSON.stringify({ username: 'u', password: 'p', clientId: 'c', clientSecret: 's' }));
  const environment = { ...process.env, AWS_ENDPOINT_URL_SECRETS_MANAGER: undefined, AWS_ENDPOINT_URL_SES: undefined, ...env };
  const argv = ['tsx', 'tools/cli/run.ts', ...args.map((arg) => arg.replace('{config}', config).replace('{admin}', admin)), '--summary', join(dir, 's.json'), '--log', join(dir, 'run.log'), '--report-dir', join(dir, 'report')];
  try {
    const { stdout, stderr } = await run('npx', argv, { env: environment });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run local-run -- --execute', () => {
  it('refuses a real APIC with in-memory Secrets Manager and SES, naming both ways out', async () => {
    const refused = await localRun(['--config', '{config}', '--admin-credentials', '{admin}', '--execute']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('would keep Secrets Manager and SES in memory only');
    expect(refused.stderr).toContain('--aws');
    expect(refused.stderr).toContain('AWS_ENDPOINT_URL_SECRETS_MANAGER and AWS_ENDPOINT_URL_SES');
    expect(refused.stderr).not.toContain('Rotating against');
  });

  it('names only the service still in memory when the other is persistent', async () => {
    const refused = await localRun(['--config', '{config}', '--admin-credentials', '{admin}', '--execute'], {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:9',
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('would keep SES in memory only');
  });

  it('runs against the embedded simulator, saying the secrets stay in memory', async () => {
    const done = await localRun(['--simulator', '--execute']);
    expect(done.code).toBe(0);
    expect(done.stderr).toMatch(/Secrets Manager: http:\/\/127\.0\.0\.1:\d+ \(in memory, gone at exit\)/);
  });
});
