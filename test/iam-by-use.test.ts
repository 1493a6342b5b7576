/**
 * IAM proven by use: one local world goes through a fault, a finished and a repaired replacement, the deletion and
 * rename, two runs racing for the lease and a restore, while every AWS SDK call each step makes is recorded. Each
 * call, and each KMS call a service makes with the key on the step's behalf, must be allowed by the synthesized
 * stack's policies (the step's role, the secret's resource policy, the bucket policy, the key policy); every granted
 * action no call used must be listed with its reason in lib/grants-without-local-calls.ts.
 */
import type { SimulationIdentityPolicy } from '@cloud-copilot/iam-simulate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEP_IDS, type StepId } from '../functions/steps';
import { GRANTS_WITHOUT_LOCAL_CALLS } from '../lib/grants-without-local-calls';
import { startLocalEnvironment, type LocalEnvironment } from '../tools/runner/local-environment';
import type { LocalRunResult, StepSdkCall } from '../tools/runner/workflow-runner';
import { acmeProdSeed } from './support/acme-seed';
import { ApicPerson } from './support/apic-person';
import {
  authorizationRequests,
  describeRequest,
  evaluate,
  grantedActions,
  SecretFacts,
  synthesizeGrants,
  type AuthorizationRequest,
  type SynthesizedGrants,
} from './support/iam-by-use';

const DAY0 = new Date('2025-03-01T03:00:00Z');
const DAY_MS = 24 * 60 * 60 * 1000;
const CONSUMER_ACCOUNT = '210987654321';
const CONSUMER = `arn:aws:iam::${CONSUMER_ACCOUNT}:role/bank-app`;
const OTHER_CONSUMER = `arn:aws:iam::${CONSUMER_ACCOUNT}:role/insure-app`;
const CONFIG = {
  operatorEmail: 'ops@provider.example.com',
  // `bank` shares its secrets with its own account; `insure` with another, so each org's secrets carry a policy.
  consumerAccess: { bank: [CONSUMER], insure: [OTHER_CONSUMER] },
};
const PAY = { providerOrg: 'acme', catalog: 'prod', consumerOrg: 'bank', app: 'pay' };

/** The parts of a call the IAM check reads: no secret value is kept. */
function withoutValues(call: StepSdkCall): StepSdkCall {
  const pick = (from: Readonly<Record<string, unknown>> | undefined, keys: readonly string[]) =>
    Object.fromEntries(keys.filter((key) => from?.[key] !== undefined).map((key) => [key, from?.[key]]));
  const input = {
    ...pick(call.input, ['SecretId', 'Name', 'KmsKeyId', 'Tags', 'Bucket', 'Key', 'Prefix', 'Source', 'executionArn']),
    ...(call.input.SecretString !== undefined && { SecretString: '(value)' }),
    ...(call.input.SecretBinary !== undefined && { SecretBinary: '(value)' }),
    ...(Array.isArray(call.input.Entries) && { Entries: (call.input.Entries as Record<string, unknown>[]).map((entry) => pick(entry, ['EventBusName'])) }),
  };
  return {
    step: call.step,
    client: call.client,
    operation: call.operation,
    input,
    ...(call.output ? { output: pick(call.output, ['ARN', 'VersionId']) } : {}),
    ...(call.error !== undefined ? { error: (call.error as { name?: string }).name ?? 'error' } : {}),
  };
}

/** Requests told apart by everything IAM sees; many calls of a run are alike. */
function distinct(requests: readonly AuthorizationRequest[]): AuthorizationRequest[] {
  return [...new Map(requests.map((request) => [JSON.stringify([request.step, request.action, request.resource, request.context]), request])).values()];
}

async function denials(requests: readonly AuthorizationRequest[], grants: SynthesizedGrants, secrets: SecretFacts): Promise<string[]> {
  const outcomes = await Promise.all(requests.map(async (request) => [request, await evaluate(request, grants.roles[request.step], grants, secrets)] as const));
  return outcomes.filter(([, outcome]) => outcome !== 'Allowed').map(([request, outcome]) => `${describeRequest(request)}: ${outcome}`);
}

/** The step's policies without the statements that allow `action`. */
function withoutGrantOf(policies: readonly SimulationIdentityPolicy[], action: string): SimulationIdentityPolicy[] {
  return policies.map(({ name, policy }) => ({
    name,
    policy: { ...policy, Statement: (policy.Statement as { Action: string | string[] }[]).filter((statement) => ![statement.Action].flat().includes(action)) },
  }));
}

function expectedWithoutCalls(step: StepId): string[] {
  return GRANTS_WITHOUT_LOCAL_CALLS.filter((grant) => grant.steps === 'every step' || grant.steps.includes(step)).map((grant) => grant.action);
}

describe('IAM proven by use: every AWS call of the local runs against the synthesized policies', () => {
  let env: LocalEnvironment;
  let grants: SynthesizedGrants;
  const calls: StepSdkCall[] = [];
  const secrets = new SecretFacts();
  let requests: AuthorizationRequest[];
  const runs: Record<string, string> = {};

  const outcomeOf = (label: string, result: LocalRunResult<unknown>) => {
    const appsFailed = (result.summary as { appsFailed?: number } | undefined)?.appsFailed;
    runs[label] = appsFailed === undefined ? result.status : `${result.status}, ${appsFailed} apps failed`;
  };
  const runDay = (day: number, executionName?: string) => {
    const now = new Date(DAY0.getTime() + day * DAY_MS);
    env.apic.clock.set(now);
    return env.run({ now, ...(executionName ? { executionName } : {}), onSdkCall: (call) => calls.push(withoutValues(call)) });
  };

  beforeAll(async () => {
    const seed = acmeProdSeed({
      bank: [
        { name: 'pay', title: 'Pay', credentials: [{ name: 'key', title: 'Key', ageDays: 90 }] },
        { name: 'shop', title: 'Shop', credentials: [{ name: 'key', title: 'Key', ageDays: 80 }] },
      ],
      insure: [{ name: 'claims', title: 'Claims', credentials: [{ name: 'key', title: 'Key', ageDays: 91 }] }],
    });
    env = await startLocalEnvironment({ simulator: { seed, now: DAY0, randomSeed: 3 }, randomSeed: 3, config: CONFIG });

    // Day 0: promoting the replacements' secrets keeps failing, so each is left staged (a fault run).
    env.secretsManager.faults.failNext('UpdateSecretVersionStage', 100);
    outcomeOf('day 0 (promotion fails)', await runDay(0));
    env.secretsManager.faults.clear();
    // Day 1 promotes them (finish-replacement); then a person resets pay's replacement secret, which day 5 repairs.
    outcomeOf('day 1', await runDay(1));
    await new ApicPerson(env.apic).resetSecret(PAY, 'key_new');
    outcomeOf('day 5', await runDay(5));
    // Day 11, past the 10-day grace: originals deleted, replacements renamed. Two executions race for the lease.
    const [first, second] = await Promise.all([runDay(11, 'race-a'), runDay(11, 'race-b')]);
    outcomeOf('day 11 a', first);
    outcomeOf('day 11 b', second);
    // An API Manager rebuild: the credentials are gone, the restore gives them back from Secrets Manager.
    env.apic.wipeCredentials('acme', 'prod');
    const restore = await env.runRestore({
      input: { dryRun: false },
      onSdkCall: (call) => calls.push(withoutValues(call)),
    });
    outcomeOf('restore', restore);

    secrets.add(env.secretsManager.snapshot());
    grants = synthesizeGrants(env.config);
    requests = distinct(calls.flatMap((call) => authorizationRequests(call, secrets, grants)));
  }, 120_000);

  afterAll(async () => {
    await env?.close();
  });

  it('records calls of every step that calls AWS (all but restore-finish), in runs that end as planned', () => {
    // Day 0 fails the two due apps on purpose; one of the racing executions runs, the other is skipped.
    expect(runs['day 0 (promotion fails)']).toBe('SUCCEEDED, 2 apps failed');
    expect(runs['day 1']).toBe('SUCCEEDED, 0 apps failed');
    expect(runs['day 5']).toBe('SUCCEEDED, 0 apps failed');
    expect([runs['day 11 a'], runs['day 11 b']].filter((outcome) => outcome === 'SUCCEEDED, 0 apps failed')).toHaveLength(1);
    expect(runs.restore).toBe('SUCCEEDED');
    const stepsCalling = new Set(calls.map((call) => call.step));
    expect(STEP_IDS.filter((step) => !stepsCalling.has(step))).toEqual(['restore-finish']);
  });

  it('allows every recorded call, and every KMS call a service makes with the key for it', async () => {
    expect(await denials(requests, grants, secrets)).toEqual([]);
  });

  it('grants no action that no recorded call used, except those lib/grants-without-local-calls.ts justifies', () => {
    const unused = Object.fromEntries(
      STEP_IDS.map((step) => {
        const used = new Set(requests.filter((request) => request.step === step).map((request) => request.action));
        return [step, grantedActions(grants.roles[step].policies).filter((action) => !used.has(action))];
      }),
    );
    const expected = Object.fromEntries(STEP_IDS.map((step) => [step, expectedWithoutCalls(step).filter((action) => grantedActions(grants.roles[step].policies).includes(action)).sort()]));
    expect(unused).toEqual(expected);
  });

  it('fails a call whose grant is taken away, naming the step, the action and the resource', async () => {
    const step = 'create-replacement';
    const put = requests.filter((request) => request.step === step && request.action === 'secretsmanager:PutSecretValue');
    const generate = requests.filter((request) => request.step === step && request.action === 'kms:GenerateDataKey');
    expect(put.length).toBeGreaterThan(0);
    expect(generate.length).toBeGreaterThan(0);
    const stripped = (action: string): SynthesizedGrants => ({
      ...grants,
      roles: { ...grants.roles, [step]: { ...grants.roles[step], policies: withoutGrantOf(grants.roles[step].policies, action) } },
    });

    const withoutPut = await denials(put, stripped('secretsmanager:PutSecretValue'), secrets);
    expect(withoutPut).toEqual(put.map((request) => `${describeRequest(request)}: ImplicitlyDenied`));
    expect(withoutPut[0]).toMatch(/^create-replacement: secretsmanager:PutSecretValue on arn:aws:secretsmanager:us-east-1:123456789012:secret:apic-rotator\//);

    const withoutKey = await denials(generate, stripped('kms:GenerateDataKey'), secrets);
    expect(withoutKey).toEqual(generate.map((request) => `${describeRequest(request)}: ImplicitlyDenied`));
    expect(withoutKey[0]).toMatch(/^create-replacement: kms:GenerateDataKey on arn:aws:kms:.* \(for secretsmanager:(PutSecretValue|CreateSecret)\)/);
  });

  it('needs the key policy too: without its account statement no identity grant of the key counts', async () => {
    const kms = requests.filter((request) => request.action.startsWith('kms:'));
    const keyPolicy = { ...grants.keyPolicy, Statement: grants.keyPolicy.Statement.filter((statement) => statement.Action !== 'kms:*') };
    const denied = await denials(kms, { ...grants, keyPolicy }, secrets);
    expect(denied).toHaveLength(kms.length);
  });

  it('lets a consumer read its own org’s secrets across accounts through their resource policy and the key policy, and no other org’s', async () => {
    // What the steps read (secret and version) is what a consumer reads: GetSecretValue on the secret, and the
    // Decrypt Secrets Manager makes with the key for it. The consumer's own account lets it do anything, so what the
    // rotator's account allows decides; a read needs both.
    const consumerAccount = (arn: string) => ({
      arn,
      policies: [{ name: 'consumer-account', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }],
    });
    const readOutcomes = async (principal: string, consumerOrg: string): Promise<string[]> => {
      const decrypts = requests.filter(
        (request) =>
          request.impliedBy === 'secretsmanager:GetSecretValue' &&
          request.context['kms:EncryptionContext:SecretARN']?.includes(`:secret:apic-rotator/acme/prod/${consumerOrg}/`),
      );
      expect(decrypts.length, `${consumerOrg} secrets read in the runs`).toBeGreaterThan(0);
      const outcomes = await Promise.all(
        decrypts.map(async (decrypt) => {
          const secretArn = decrypt.context['kms:EncryptionContext:SecretARN'] ?? '';
          const read: AuthorizationRequest = { step: decrypt.step, action: 'secretsmanager:GetSecretValue', resource: secretArn, context: { 'aws:SecureTransport': 'true' } };
          const viaKey: AuthorizationRequest = { ...decrypt, context: { ...decrypt.context, 'kms:CallerAccount': CONSUMER_ACCOUNT } };
          const [secret, key] = await Promise.all([read, viaKey].map((request) => evaluate(request, consumerAccount(principal), grants, secrets)));
          return secret === 'Allowed' && key === 'Allowed' ? 'read' : `not read (secret ${secret}, key ${key})`;
        }),
      );
      return [...new Set(outcomes.map((outcome) => (outcome === 'read' ? outcome : 'not read')))];
    };
    expect(await readOutcomes(CONSUMER, 'bank')).toEqual(['read']);
    expect(await readOutcomes(OTHER_CONSUMER, 'insure')).toEqual(['read']);
    expect(await readOutcomes(OTHER_CONSUMER, 'bank')).toEqual(['not read']);
  });
});
