import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ConfigError, parseExecutionInput, parseRotatorConfig } from '../functions/domain/config';
import type { ConfigProblem, RotatorConfig } from '../functions/domain/config';

const MINIMAL = {
  targets: [{ providerOrg: 'acme', catalog: 'production' }],
  apicBaseUrl: 'https://apic.example.com/api',
  notificationSender: 'rotator@example.com',
};

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function problemsOf(action: () => unknown): ConfigProblem[] {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).name).toBe('ConfigError');
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

function configProblems(overrides: Record<string, unknown>): ConfigProblem[] {
  return problemsOf(() => parseRotatorConfig({ ...MINIMAL, ...overrides }));
}

/** The single problem reported for `path`. */
function problemAt(problems: readonly ConfigProblem[], path: string): string {
  const matching = problems.filter((p) => p.path === path);
  expect(matching, `problems at ${path} among ${JSON.stringify(problems)}`).toHaveLength(1);
  return matching[0]?.message ?? '';
}

describe('parseRotatorConfig: defaults', () => {
  it('fills every documented default from a minimal config', () => {
    expect(parseRotatorConfig(MINIMAL)).toEqual({
      ...MINIMAL,
      adminSecretName: 'apic-rotator-admin',
      alarmEmails: [],
      policy: { expiryDays: 90, deletionDays: 100, warnDays: 14, replacementSuffix: '_new' },
      consumerOrgOverrides: {},
      schedule: { enabled: true, cron: 'cron(0 3 * * ? *)', timeZone: 'UTC' },
      maxConcurrentApps: 10,
      pageSize: 100,
      secretPrefix: 'apic-rotator',
      consumerAccess: {},
      reportRetentionDays: 400,
      verifyEveryDays: 7,
    });
  });

  it('keeps the policy defaults not set when only some policy fields are given', () => {
    expect(parseRotatorConfig({ ...MINIMAL, policy: { expiryDays: 30, deletionDays: 40 } }).policy).toEqual({
      expiryDays: 30,
      deletionDays: 40,
      warnDays: 14,
      replacementSuffix: '_new',
    });
  });

  it('accepts a full valid config', () => {
    const config = parseRotatorConfig({
      ...MINIMAL,
      apicCaBundle: PEM,
      adminSecretName: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:apic/admin-AbCdEf',
      policy: { expiryDays: 60, deletionDays: 75, warnDays: 7, replacementSuffix: '-next' },
      consumerOrgOverrides: { partner: { expiryDays: 30, deletionDays: 45 }, internal: { exempt: true } },
      operatorEmail: 'ops@example.com',
      schedule: { enabled: false, cron: 'cron(30 2 ? * MON-FRI *)', timeZone: 'Europe/Paris' },
      maxConcurrentApps: 100,
      pageSize: 1000,
      secretPrefix: 'team/apic',
      consumerAccess: { partner: ['arn:aws:iam::123456789012:role/partner-app', 'arn:aws:iam::123456789012:root'] },
      reportRetentionDays: 30,
    });
    expect(config.consumerOrgOverrides.internal).toEqual({ exempt: true });
  });
});

describe('parseRotatorConfig: field validation', () => {
  it('rejects a config that is not an object', () => {
    expect(problemsOf(() => parseRotatorConfig('targets: []'))[0]?.path).toBe('(root)');
  });

  it('requires targets, apicBaseUrl and notificationSender, and says so for each', () => {
    const problems = problemsOf(() => parseRotatorConfig({}));
    expect(problemAt(problems, 'targets')).toMatch(/required/);
    expect(problemAt(problems, 'apicBaseUrl')).toMatch(/required; set it to .*https:\/\//);
    expect(problemAt(problems, 'notificationSender')).toMatch(/required/);
  });

  it('rejects an empty target list', () => {
    expect(problemAt(configProblems({ targets: [] }), 'targets')).toMatch(/at least one/);
  });

  it('accepts 50 targets and rejects 51, saying why and what to do', () => {
    const targets = (count: number) => Array.from({ length: count }, (_, index) => ({ providerOrg: 'acme', catalog: `catalog-${index}` }));
    expect(() => parseRotatorConfig({ ...MINIMAL, targets: targets(50) })).not.toThrow();
    expect(problemAt(configProblems({ targets: targets(51) }), 'targets')).toMatch(/at most 50 catalogs.*deploy a second rotator/);
  });

  it('rejects an empty catalog name inside a target', () => {
    expect(problemAt(configProblems({ targets: [{ providerOrg: 'acme', catalog: ' ' }] }), 'targets[0].catalog')).toMatch(/must not be empty/);
  });

  it('rejects a duplicate target, naming the first one', () => {
    const targets = [MINIMAL.targets[0], { providerOrg: 'acme', catalog: 'sandbox' }, MINIMAL.targets[0]];
    expect(problemAt(configProblems({ targets }), 'targets[2]')).toMatch(/duplicates targets\[0\] \(acme\/production\)/);
  });

  it('rejects a plain http:// APIC URL on a non-loopback host', () => {
    expect(problemAt(configProblems({ apicBaseUrl: 'http://apic.example.com/api' }), 'apicBaseUrl')).toMatch(/must use https:\/\//);
  });

  it.each(['http://127.0.0.1:9443/api', 'http://localhost:9443/api', 'http://[::1]:9443/api'])('accepts %s for local runs', (url) => {
    expect(parseRotatorConfig({ ...MINIMAL, apicBaseUrl: url }).apicBaseUrl).toBe(url);
  });

  it('rejects credentials embedded in the APIC URL', () => {
    expect(problemAt(configProblems({ apicBaseUrl: 'https://admin:pw@apic.example.com' }), 'apicBaseUrl')).toMatch(/must not carry credentials/);
  });

  it('rejects an APIC URL that is not a URL', () => {
    expect(problemAt(configProblems({ apicBaseUrl: 'apic.example.com' }), 'apicBaseUrl')).toMatch(/absolute URL/);
  });

  it.each(['insecure', 'rejectUnauthorized', 'tlsVerify', 'skipTlsVerify'])('refuses %s: TLS verification cannot be disabled', (key) => {
    expect(problemAt(configProblems({ [key]: false }), key)).toMatch(/TLS verification cannot be disabled.*apicCaBundle/);
  });

  it('rejects a CA bundle without a PEM certificate', () => {
    expect(problemAt(configProblems({ apicCaBundle: 'not a cert' }), 'apicCaBundle')).toMatch(/BEGIN CERTIFICATE/);
  });

  it('rejects an admin secret name with characters Secrets Manager does not allow', () => {
    expect(problemAt(configProblems({ adminSecretName: 'apic admin' }), 'adminSecretName')).toMatch(/secret name/);
  });

  it('rejects an unknown top-level key and lists the allowed keys', () => {
    expect(problemAt(configProblems({ expiryDays: 90 }), 'expiryDays')).toMatch(/unknown key; allowed keys here are: targets, apicBaseUrl, .*reportRetentionDays/);
  });

  it('rejects an unknown policy key and lists the policy keys', () => {
    expect(problemAt(configProblems({ policy: { graceDays: 10 } }), 'policy.graceDays')).toBe(
      'unknown key; allowed keys here are: expiryDays, deletionDays, warnDays, replacementSuffix',
    );
  });

  it('rejects a policy number given as a string', () => {
    expect(problemAt(configProblems({ policy: { expiryDays: '90' } }), 'policy.expiryDays')).toMatch(/whole number/);
  });

  it('rejects fractional days', () => {
    expect(problemAt(configProblems({ policy: { warnDays: 1.5 } }), 'policy.warnDays')).toMatch(/whole number/);
  });

  it('rejects expiryDays below 1', () => {
    expect(problemAt(configProblems({ policy: { expiryDays: 0 } }), 'policy.expiryDays')).toMatch(/at least 1/);
  });

  it('rejects a negative warnDays', () => {
    expect(problemAt(configProblems({ policy: { warnDays: -1 } }), 'policy.warnDays')).toMatch(/at least 0/);
  });

  it('rejects deletionDays equal to expiryDays, saying how to fix it', () => {
    expect(problemAt(configProblems({ policy: { expiryDays: 90, deletionDays: 90 } }), 'policy.deletionDays')).toBe(
      'must be greater than policy.expiryDays (90); set it to at least 91',
    );
  });

  it('blames expiryDays when it alone is set past the default deletionDays', () => {
    expect(problemAt(configProblems({ policy: { expiryDays: 120 } }), 'policy.expiryDays')).toBe(
      'must be less than policy.deletionDays (100, the default); set it to at most 99 or set policy.deletionDays to at least 121',
    );
  });

  it('rejects warnDays not below expiryDays', () => {
    expect(problemAt(configProblems({ policy: { expiryDays: 30, deletionDays: 40, warnDays: 30 } }), 'policy.warnDays')).toBe(
      'must be less than policy.expiryDays (30); set it to at most 29',
    );
  });

  it.each([
    ['', /must not be empty/],
    ['x'.repeat(33), /at most 32/],
    ['_new!', /letters, digits/],
  ])('rejects the replacement suffix %j', (suffix, message) => {
    expect(problemAt(configProblems({ policy: { replacementSuffix: suffix } }), 'policy.replacementSuffix')).toMatch(message);
  });

  it('rejects an override whose expiryDays passes the base deletionDays, naming the override key', () => {
    expect(problemAt(configProblems({ consumerOrgOverrides: { partner: { expiryDays: 120 } } }), 'consumerOrgOverrides.partner.expiryDays')).toBe(
      'must be less than policy.deletionDays (100, the default); set it to at most 99 or set consumerOrgOverrides.partner.deletionDays to at least 121',
    );
  });

  it('rejects an override whose deletionDays is not above the base expiryDays', () => {
    const problems = configProblems({ policy: { expiryDays: 60, deletionDays: 70 }, consumerOrgOverrides: { partner: { deletionDays: 50 } } });
    expect(problemAt(problems, 'consumerOrgOverrides.partner.deletionDays')).toMatch(/greater than policy.expiryDays \(60\); set it to at least 61/);
  });

  it('rejects an unknown override key', () => {
    expect(problemAt(configProblems({ consumerOrgOverrides: { partner: { skip: true } } }), 'consumerOrgOverrides.partner.skip')).toMatch(/exempt/);
  });

  it('rejects a non-boolean exempt', () => {
    expect(problemAt(configProblems({ consumerOrgOverrides: { partner: { exempt: 'yes' } } }), 'consumerOrgOverrides.partner.exempt')).toMatch(/true or false/);
  });

  it('does not check the day order of an exempt override', () => {
    expect(parseRotatorConfig({ ...MINIMAL, consumerOrgOverrides: { partner: { exempt: true, expiryDays: 500 } } }).consumerOrgOverrides.partner?.exempt).toBe(true);
  });

  it.each(['notificationSender', 'operatorEmail'])('rejects a %s that is not an e-mail address', (field) => {
    expect(problemAt(configProblems({ [field]: 'rotator' }), field)).toMatch(/e-mail address/);
  });

  it.each(['cron(0 3 * * *)', '0 3 * * ? *', 'rate(1 day)'])('rejects the schedule %j', (cron) => {
    expect(problemAt(configProblems({ schedule: { cron } }), 'schedule.cron')).toMatch(/6 fields/);
  });

  it('rejects a cron giving both day-of-month and day-of-week', () => {
    expect(problemAt(configProblems({ schedule: { cron: 'cron(0 3 * * MON *)' } }), 'schedule.cron')).toMatch(/exactly one of day-of-month and day-of-week/);
  });

  it('rejects an unknown time zone', () => {
    expect(problemAt(configProblems({ schedule: { timeZone: 'Mars/Olympus' } }), 'schedule.timeZone')).toMatch(/IANA time zone/);
  });

  it('rejects a non-boolean schedule.enabled', () => {
    expect(problemAt(configProblems({ schedule: { enabled: 'yes' } }), 'schedule.enabled')).toMatch(/true or false/);
  });

  it.each([
    ['maxConcurrentApps', 0, /at least 1/],
    ['maxConcurrentApps', 101, /at most 100/],
    ['pageSize', 1001, /at most 1000/],
    ['pageSize', '100', /whole number/],
    ['reportRetentionDays', 0, /at least 1/],
  ])('rejects %s = %j', (field, value, message) => {
    expect(problemAt(configProblems({ [field]: value }), field)).toMatch(message);
  });

  it.each([
    ['/apic', /must not start or end with '\/'/],
    ['apic/', /must not start or end with '\/'/],
    ['apic rotator', /may only contain/],
  ])('rejects the secret prefix %j', (prefix, message) => {
    expect(problemAt(configProblems({ secretPrefix: prefix }), 'secretPrefix')).toMatch(message);
  });

  it('rejects a consumer access entry that is not an IAM principal ARN', () => {
    expect(problemAt(configProblems({ consumerAccess: { partner: ['partner-role'] } }), 'consumerAccess.partner[0]')).toMatch(/IAM principal ARN/);
  });

  it('reports every problem together', () => {
    const problems = configProblems({
      apicBaseUrl: 'http://apic.example.com',
      insecure: true,
      policy: { expiryDays: 90, deletionDays: 80 },
      pageSize: 0,
      consumerAccess: { partner: ['nope'] },
    });
    expect(problems.map((p) => p.path).sort()).toEqual(['apicBaseUrl', 'consumerAccess.partner[0]', 'insecure', 'pageSize', 'policy.deletionDays']);
  });

  it('lists every problem in the error message, one per line', () => {
    const error = (() => {
      try {
        parseRotatorConfig({ ...MINIMAL, pageSize: 0, maxConcurrentApps: 0 });
      } catch (caught) {
        return caught as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.message).toContain('- pageSize: must be at least 1');
    expect(error.message).toContain('- maxConcurrentApps: must be at least 1');
  });
});

describe('parseExecutionInput', () => {
  const config: RotatorConfig = parseRotatorConfig({
    ...MINIMAL,
    targets: [MINIMAL.targets[0], { providerOrg: 'acme', catalog: 'sandbox' }],
    consumerOrgOverrides: { slow: { expiryDays: 60 } },
  });
  const deployed = { allowClockOverride: false, executionStartTime: '2025-06-01T03:00:00Z' };
  const local = { allowClockOverride: true, executionStartTime: '2025-06-01T03:00:00Z' };
  const inputProblems = (raw: unknown) => problemsOf(() => parseExecutionInput(raw, config, deployed));

  it('resolves an empty input to a full run at the execution start time', () => {
    expect(parseExecutionInput({}, config, deployed)).toEqual({
      dryRun: false,
      now: '2025-06-01T03:00:00.000Z',
      policy: config.policy,
      consumerOrgOverrides: config.consumerOrgOverrides,
      targets: config.targets,
      filter: {},
      trigger: 'manual',
    });
  });

  it('accepts a null input as empty (a console start without input)', () => {
    expect(parseExecutionInput(null, config, deployed).dryRun).toBe(false);
  });

  it('carries dry run, filters, a target subset, policy days and the trigger', () => {
    const resolved = parseExecutionInput(
      {
        dryRun: true,
        consumerOrgs: ['partner'],
        apps: ['partner/billing'],
        targets: [{ providerOrg: 'acme', catalog: 'sandbox' }],
        policy: { expiryDays: 30, deletionDays: 70, warnDays: 3 },
        trigger: 'schedule',
      },
      config,
      deployed,
    );
    expect(resolved).toMatchObject({
      dryRun: true,
      filter: { consumerOrgs: ['partner'], apps: ['partner/billing'] },
      targets: [{ providerOrg: 'acme', catalog: 'sandbox' }],
      policy: { expiryDays: 30, deletionDays: 70, warnDays: 3, replacementSuffix: '_new' },
      trigger: 'schedule',
    });
  });

  it('refuses to move the clock in a deployed stack', () => {
    expect(problemAt(inputProblems({ now: '2026-01-01T00:00:00Z' }), 'now')).toMatch(/clock cannot be moved in a deployed stack/);
  });

  it('honours now in a local run', () => {
    expect(parseExecutionInput({ now: '2026-01-01T00:00:00+01:00' }, config, local).now).toBe('2025-12-31T23:00:00.000Z');
  });

  it('rejects a now that is not an ISO date-time', () => {
    expect(problemsOf(() => parseExecutionInput({ now: 'tomorrow' }, config, local))[0]?.path).toBe('now');
  });

  it('rejects a target that is not configured, naming it and the configured ones', () => {
    expect(problemAt(inputProblems({ targets: [{ providerOrg: 'acme', catalog: 'staging' }] }), 'targets[0]')).toBe(
      'acme/staging is not a configured target; use one of: acme/production, acme/sandbox',
    );
  });

  it('rejects an app filter not written consumerOrg/app', () => {
    expect(problemAt(inputProblems({ apps: ['billing'] }), 'apps[0]')).toMatch(/consumerOrg\/app/);
  });

  it('rejects run policy days that break deletionDays > expiryDays with the config values', () => {
    expect(problemAt(inputProblems({ policy: { expiryDays: 100 } }), 'policy.expiryDays')).toBe(
      'must be less than policy.deletionDays (100, from the config); set it to at most 99 or set policy.deletionDays to at least 101',
    );
  });

  it('rejects run policy days that clash with a consumer org override', () => {
    expect(problemAt(inputProblems({ policy: { expiryDays: 30, deletionDays: 50 } }), 'policy.deletionDays')).toBe(
      'must be greater than consumerOrgOverrides.slow.expiryDays (60, from the config); set it to at least 61 (consumer org slow keeps its override)',
    );
  });

  it('rejects unknown input keys, listing the allowed ones', () => {
    expect(problemAt(inputProblems({ dryrun: true }), 'dryrun')).toMatch(/allowed keys here are: dryRun, consumerOrgs, apps, targets, policy, now, trigger/);
  });

  it('rejects a replacement suffix in the run policy (it names existing credentials and cannot change per run)', () => {
    expect(problemAt(inputProblems({ policy: { replacementSuffix: '-x' } }), 'policy.replacementSuffix')).toMatch(/unknown key/);
  });

  it('rejects a wrong trigger and a non-boolean dryRun together', () => {
    const problems = inputProblems({ trigger: 'cron', dryRun: 'yes' });
    expect(problemAt(problems, 'trigger')).toMatch(/'schedule' or 'manual'/);
    expect(problemAt(problems, 'dryRun')).toMatch(/true or false/);
  });

  it('reports a refused clock and an unknown target together', () => {
    const problems = inputProblems({ now: '2026-01-01T00:00:00Z', targets: [{ providerOrg: 'x', catalog: 'y' }] });
    expect(problems.map((p) => p.path)).toEqual(['now', 'targets[0]']);
  });

  describe('rotateNow (emergency rotation)', () => {
    it('splits each entry on its first two slashes and defaults the grace to 24 hours', () => {
      const resolved = parseExecutionInput({ rotateNow: ['partner/billing/main', 'partner/billing/keys/prod'] }, config, deployed);
      expect(resolved.emergency).toEqual({
        credentials: [
          { consumerOrg: 'partner', app: 'billing', credential: 'main' },
          { consumerOrg: 'partner', app: 'billing', credential: 'keys/prod' },
        ],
        graceHours: 24,
        confirmRevoke: false,
      });
    });

    it('has no emergency on an ordinary run', () => {
      expect(parseExecutionInput({}, config, deployed).emergency).toBeUndefined();
    });

    it('names each malformed entry', () => {
      const problems = inputProblems({ rotateNow: ['partner/billing', '/billing/main', 'partner//main', 'partner/billing/'] });
      expect(problems.map((p) => p.path)).toEqual(['rotateNow[0]', 'rotateNow[1]', 'rotateNow[2]', 'rotateNow[3]']);
      expect(problems[0]?.message).toMatch(/"partner\/billing" must be written 'consumerOrg\/app\/credential'/);
    });

    it('refuses an empty list, a non-list and a duplicate', () => {
      expect(problemAt(inputProblems({ rotateNow: [] }), 'rotateNow')).toMatch(/must not be empty/);
      expect(problemAt(inputProblems({ rotateNow: 'partner/billing/main' }), 'rotateNow')).toMatch(/must be a list/);
      expect(problemAt(inputProblems({ rotateNow: ['a/b/c', 'a/b/c'] }), 'rotateNow[1]')).toMatch(/listed twice/);
    });

    it('refuses graceHours that is not a whole number of hours at least 0', () => {
      expect(problemAt(inputProblems({ rotateNow: ['a/b/c'], graceHours: -1 }), 'graceHours')).toMatch(/at least 0/);
      expect(problemAt(inputProblems({ rotateNow: ['a/b/c'], graceHours: 1.5 }), 'graceHours')).toMatch(/whole number/);
      expect(problemAt(inputProblems({ rotateNow: ['a/b/c'], graceHours: '2' }), 'graceHours')).toMatch(/whole number/);
    });

    it('refuses graceHours 0 without confirmRevoke, and accepts it with', () => {
      expect(problemAt(inputProblems({ rotateNow: ['a/b/c'], graceHours: 0 }), 'graceHours')).toMatch(/confirmRevoke/);
      expect(problemAt(inputProblems({ rotateNow: ['a/b/c'], graceHours: 0, confirmRevoke: false }), 'graceHours')).toMatch(/confirmRevoke/);
      const resolved = parseExecutionInput({ rotateNow: ['a/b/c'], graceHours: 0, confirmRevoke: true }, config, deployed);
      expect(resolved.emergency).toMatchObject({ graceHours: 0, confirmRevoke: true });
    });

    it('refuses graceHours or confirmRevoke without rotateNow', () => {
      expect(problemAt(inputProblems({ graceHours: 4 }), 'graceHours')).toMatch(/only applies with rotateNow/);
      expect(problemAt(inputProblems({ confirmRevoke: true }), 'confirmRevoke')).toMatch(/only applies with rotateNow/);
    });

    it('refuses an entry that the consumerOrgs or apps filter excludes', () => {
      expect(problemAt(inputProblems({ rotateNow: ['other/billing/main'], consumerOrgs: ['partner'] }), 'rotateNow[0]')).toMatch(
        /consumerOrgs filter excludes/,
      );
      expect(problemAt(inputProblems({ rotateNow: ['partner/other/main'], apps: ['partner/billing'] }), 'rotateNow[0]')).toMatch(
        /apps filter excludes/,
      );
      expect(parseExecutionInput({ rotateNow: ['partner/billing/main'], apps: ['partner/billing'] }, config, deployed).emergency).toBeDefined();
    });

    it('works with dryRun as a preview', () => {
      const resolved = parseExecutionInput({ rotateNow: ['a/b/c'], dryRun: true }, config, deployed);
      expect(resolved.dryRun).toBe(true);
      expect(resolved.emergency?.credentials).toHaveLength(1);
    });
  });
});

describe('the shipped configs', () => {
  const read = (file: string): unknown => JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'));

  it('rotator.example.json is a valid config that starts with the schedule off', () => {
    const config = parseRotatorConfig(read('rotator.example.json'));
    expect(config.schedule.enabled).toBe(false);
    expect(config.consumerOrgOverrides['internal-batch']?.readsSecretsManager).toBe(true);
  });

  it('cdk.json keeps the schedule off until the operator enables it', () => {
    const { context } = read('cdk.json') as { context: { rotator: unknown } };
    expect(parseRotatorConfig(context.rotator).schedule.enabled).toBe(false);
  });
});

describe('parseRotatorConfig: admin secret and alarms', () => {
  it.each([
    ['the default prefix', { adminSecretName: 'apic-rotator/admin' }, 'apic-rotator/admin', 'apic-rotator/'],
    ['a prefix of your own', { secretPrefix: 'team/apic', adminSecretName: 'team/apic/admin' }, 'team/apic/admin', 'team/apic/'],
    ['a secret ARN', { adminSecretName: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:apic-rotator/ops/admin-AbCdEf' }, 'apic-rotator/ops/admin-AbCdEf', 'apic-rotator/'],
  ])('rejects an admin secret under the credential prefix (%s), naming both fields', (_case, overrides, name, prefix) => {
    const message = problemAt(configProblems(overrides), 'adminSecretName');
    expect(message).toContain(`"${name}" is under secretPrefix ("${prefix}")`);
    expect(message).toMatch(/move the admin secret outside it .* or change secretPrefix/);
  });

  it.each([
    ['a name beside the prefix', { adminSecretName: 'apic-rotator-admin' }],
    ['the old default name under another prefix', { secretPrefix: 'credentials', adminSecretName: 'apic-rotator/admin' }],
    ['a name that only starts like the prefix', { adminSecretName: 'apic-rotator2/admin' }],
  ])('accepts an admin secret outside the credential prefix: %s', (_case, overrides) => {
    expect(parseRotatorConfig({ ...MINIMAL, ...overrides }).adminSecretName).toBe(overrides.adminSecretName);
  });

  it('accepts the admin secret key, the alarm addresses and an alarm topic, each validated', () => {
    const config = parseRotatorConfig({
      ...MINIMAL,
      adminSecretKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      alarmEmails: ['oncall@example.com'],
    });
    expect(config).toMatchObject({ alarmEmails: ['oncall@example.com'], adminSecretKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' });
    expect(parseRotatorConfig({ ...MINIMAL, alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:platform-alarms' }).alarmTopicArn).toBe(
      'arn:aws:sns:eu-west-1:123456789012:platform-alarms',
    );
  });

  it.each([
    ['adminSecretKeyArn', { adminSecretKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/apic-admin' }, /must be a KMS key ARN.*not an alias/],
    ['alarmTopicArn', { alarmTopicArn: 'arn:aws:sqs:eu-west-1:123456789012:platform-alarms' }, /must be an SNS topic ARN/],
    ['alarmEmails[1]', { alarmEmails: ['oncall@example.com', 'not-an-address'] }, /must be an e-mail address/],
    ['alarmEmails', { alarmEmails: 'oncall@example.com' }, /must be a list of e-mail addresses/],
    [
      'alarmEmails',
      { alarmEmails: ['oncall@example.com'], alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:platform-alarms' },
      /subscribe these addresses to alarmTopicArn yourself, or remove alarmTopicArn/,
    ],
  ])('rejects a bad %s', (path, overrides, message) => {
    expect(problemAt(configProblems(overrides), path)).toMatch(message);
  });
});
