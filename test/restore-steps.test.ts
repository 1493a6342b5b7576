/**
 * The restore decision (pure), the execution input, the report's bounds and the RestoreCredential step over an
 * in-memory APIC that misbehaves in the ways a rebuilt API Manager might.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseRotatorConfig } from '../functions/domain/config';
import type { ApicCredential } from '../functions/domain/model';
import {
  MAX_LISTED_FAILURES,
  MAX_LISTED_RESULTS,
  MAX_REASON_CHARS,
  RestoreDecisionError,
  decideRestore,
  listSecretsPage,
  prepareRestore,
  restoreCredential,
  scopeAt,
  scopeCount,
  restoreCredentialReported,
  tallyRestoreResults,
  type RestoreItemResult,
} from '../functions/domain/restore';
import { secretNameFor } from '../functions/domain/secrets';
import { FakeApicApp, storeHolding } from './support/restore-fakes';

const STORED = { clientId: 'stored-id', clientSecret: 'stored-secret-value' };

function credential(name: string, clientId: string): ApicCredential {
  return { id: `id-${name}`, name, title: name, clientId, createdAt: '2025-01-01T00:00:00.000Z' };
}

describe('decideRestore', () => {
  const facts = { credential: 'billing', clientId: 'stored-id' };

  it('reports an app APIC does not have', () => {
    expect(decideRestore({ ...facts, appCredentials: undefined })).toEqual({ kind: 'app-missing' });
  });

  it('keeps a credential that holds the stored client id when APIC accepts the stored secret, whatever its name', () => {
    const holder = credential('billing_new', 'stored-id');
    expect(decideRestore({ ...facts, appCredentials: [credential('billing', 'other-id'), holder], holderAcceptsSecret: true })).toEqual({
      kind: 'already-present',
      credential: holder,
    });
  });

  it('patches the secret of a credential that holds the stored client id but refuses the stored secret', () => {
    const holder = credential('billing', 'stored-id');
    expect(decideRestore({ ...facts, appCredentials: [holder], holderAcceptsSecret: false })).toEqual({ kind: 'patch-secret', credential: holder });
  });

  it('refuses to decide about a holder whose secret was not verified', () => {
    expect(() => decideRestore({ ...facts, appCredentials: [credential('billing', 'stored-id')] })).toThrow(RestoreDecisionError);
  });

  it('creates the credential under its stored name, titled the same, next to credentials the rebuild made on its own', () => {
    expect(decideRestore({ ...facts, appCredentials: [credential('Credential-for-shop', 'auto-id')] })).toEqual({
      kind: 'create',
      name: 'billing',
      title: 'billing',
    });
  });

  it('uses <name>-restored when another credential carries the stored name', () => {
    expect(decideRestore({ ...facts, appCredentials: [credential('billing', 'auto-id')] })).toEqual({
      kind: 'create',
      name: 'billing-restored',
      title: 'billing-restored',
    });
  });

  it('gives up when both names are taken by other credentials', () => {
    const taken = [credential('billing', 'a'), credential('billing-restored', 'b')];
    expect(decideRestore({ ...facts, appCredentials: taken })).toEqual({ kind: 'names-taken', names: ['billing', 'billing-restored'] });
  });
});

describe('prepareRestore', () => {
  const config = parseRotatorConfig({
    targets: [
      { providerOrg: 'acme', catalog: 'live' },
      { providerOrg: 'acme', catalog: 'sand box' },
    ],
    apicBaseUrl: 'https://apic.example.com/api',
    notificationSender: 'rotator@example.com',
    secretPrefix: 'rot',
  });
  const prepare = (input: unknown) => prepareRestore(config, { input, executionName: 'restore-1' });

  it('is a dry run over every configured target unless the input says otherwise', () => {
    const state = prepare(undefined);
    expect(state.run).toEqual({
      runId: 'restore-1',
      dryRun: true,
      secretPrefix: 'rot',
      targetScopes: ['rot/acme/live/', 'rot/acme/sand+20box/'],
      narrowings: [''],
      // The targets' run leases, taken by the handler when the restore is not a dry run.
      leaseKeys: ['leases/acme/live.json', 'leases/acme/sand+20box.json'],
    });
    expect(state.segments).toEqual([{ cursor: { scopeIndex: 0, done: false }, summary: expect.objectContaining({ runId: 'restore-1', secretsInScope: 0 }) }]);
    expect(prepare({ dryRun: false }).run.dryRun).toBe(false);
  });

  it('lists only the named consumer orgs, or only the named apps that belong to them', () => {
    const scopes = (input: unknown) => {
      const { run } = prepare(input);
      return Array.from({ length: scopeCount(run) }, (_, index) => scopeAt(run, index));
    };
    expect(scopes({ targets: [{ providerOrg: 'acme', catalog: 'live' }], consumerOrgs: ['north', 'süd'] })).toEqual(['rot/acme/live/north/', 'rot/acme/live/s+C3+BCd/']);
    expect(scopes({ targets: [{ providerOrg: 'acme', catalog: 'live' }], consumerOrgs: ['north'], apps: ['north/shop', 'south/shop'] })).toEqual([
      'rot/acme/live/north/shop/',
    ]);
    expect(scopes({ apps: ['north/shop', 'south/shop'] })).toEqual([
      'rot/acme/live/north/shop/',
      'rot/acme/live/south/shop/',
      'rot/acme/sand+20box/north/shop/',
      'rot/acme/sand+20box/south/shop/',
    ]);
    expect(scopeAt(prepare({ apps: ['north/shop'] }).run, 2)).toBeUndefined();
  });

  it('rejects unknown keys, wrong types, unconfigured targets and filters that exclude each other, all at once', () => {
    const problems = (input: unknown) => {
      try {
        prepare(input);
      } catch (error) {
        return error instanceof ConfigError ? error.problems : [];
      }
      return [];
    };
    expect(problems({ dryrun: false, apps: ['shop'] })).toEqual(
      expect.arrayContaining([
        { path: 'dryrun', message: 'unknown key; allowed keys here are: dryRun, targets, consumerOrgs, apps' },
        { path: 'apps[0]', message: "must be written 'consumerOrg/app', e.g. 'acme-partner/billing'" },
      ]),
    );
    expect(() => prepare({ dryRun: 'no' })).toThrow(/dryRun: must be true or false/);
    expect(() => prepare({ targets: [{ providerOrg: 'acme', catalog: 'prod' }] })).toThrow(/targets\[0\]: acme\/prod is not a configured target; use one of: acme\/live, acme\/sand box/);
    expect(() => prepare({ consumerOrgs: ['north'], apps: ['south/shop'] })).toThrow(/apps: none of these apps belongs to one of consumerOrgs/);
  });
});

describe('the restore report', () => {
  const run = { runId: 'r', dryRun: false, secretPrefix: 'rot', targetScopes: [], narrowings: [''] };
  const empty = prepareRestore(
    parseRotatorConfig({ targets: [{ providerOrg: 'p', catalog: 'c' }], apicBaseUrl: 'https://apic.example.com/api', notificationSender: 'r@example.com' }),
    { input: {}, executionName: 'r' },
  ).segments[0].summary;
  const nameOf = (index: number) => secretNameFor('rot', { providerOrg: 'p', catalog: 'c', consumerOrg: 'o', app: `app${index}`, credential: 'k' });

  it('counts every result but lists a bounded number, by name', () => {
    const results: RestoreItemResult[] = Array.from({ length: MAX_LISTED_RESULTS + 7 }, (_, index) => ({ status: 'done', secretName: nameOf(index), outcome: 'restored' }));
    const summary = tallyRestoreResults(empty, run, results);
    expect(summary.outcomes.restored).toBe(MAX_LISTED_RESULTS + 7);
    expect(summary.results).toHaveLength(MAX_LISTED_RESULTS);
    expect(summary.resultsNotListed).toBe(7);
    expect(summary.results[0]).toEqual({ providerOrg: 'p', catalog: 'c', consumerOrg: 'o', app: 'app0', credential: 'k', outcome: 'restored' });
  });

  it('lists failures by secret name with their reason, and counts the ones past the bound', () => {
    const failed: RestoreItemResult[] = Array.from({ length: MAX_LISTED_FAILURES + 2 }, (_, index) => ({
      status: 'failed',
      secretName: nameOf(index),
      error: 'RestoreError',
      ...(index === 0 ? { cause: 'APIC still rejects the stored secret' } : {}),
    }));
    const summary = tallyRestoreResults(empty, run, failed);
    expect(summary.outcomes.failed).toBe(MAX_LISTED_FAILURES + 2);
    expect(summary.failures[0]).toEqual({ secretName: nameOf(0), error: 'RestoreError', reason: 'APIC still rejects the stored secret' });
    expect(summary.failures[1]).toEqual({ secretName: nameOf(1), error: 'RestoreError' });
    expect(summary.failuresNotListed).toBe(2);
  });
});

describe('listSecretsPage', () => {
  const config = parseRotatorConfig({ targets: [{ providerOrg: 'p', catalog: 'c' }], apicBaseUrl: 'https://apic.example.com/api', notificationSender: 'r@example.com', secretPrefix: 'rot' });
  const nameOf = (index: number) => secretNameFor('rot', { providerOrg: 'p', catalog: 'c', consumerOrg: 'o', app: `app${index}`, credential: 'k' });
  /** Five secrets, two a page; each call is recorded by its token. */
  const listing = (calls: string[]) => ({
    listSecretNames: async (_prefix: string, maxResults: number, nextToken?: string) => {
      calls.push(nextToken ?? 'first');
      const start = Number(nextToken ?? 0);
      const end = Math.min(start + maxResults, 5);
      return { names: Array.from({ length: end - start }, (_, i) => nameOf(start + i)), ...(end < 5 && { nextToken: String(end) }) };
    },
  });

  it('lists at most its page budget, then only folds the last results and hands the cursor to the next segment', async () => {
    const calls: string[] = [];
    const { run, segments } = prepareRestore(config, { input: {}, executionName: 'restore-1' });
    let state = { run, ...segments[0], lastResults: [] as RestoreItemResult[], pagesLeft: 2 };
    const pages: string[][] = [];
    for (;;) {
      const page = await listSecretsPage(listing(calls), state, 2);
      if (page.items.length === 0) {
        state = { ...page, lastResults: [] };
        break;
      }
      pages.push([...page.items]);
      state = { ...page, lastResults: page.items.map((secretName) => ({ status: 'done', secretName, outcome: 'would-restore' })) };
    }
    expect(pages).toEqual([[nameOf(0), nameOf(1)], [nameOf(2), nameOf(3)]]);
    expect(calls).toEqual(['first', '2']);
    expect(state.pagesLeft).toBe(0);
    expect(state.cursor).toEqual({ scopeIndex: 0, nextToken: '4', done: false });
    expect(state.summary).toMatchObject({ secretsInScope: 4, outcomes: { 'would-restore': 4 } });

    // The next segment goes on from the cursor with a fresh budget and ends with the listing.
    const next = await listSecretsPage(listing(calls), { ...state, pagesLeft: 2 }, 2);
    expect(next.items).toEqual([nameOf(4)]);
    expect(next.cursor.done).toBe(true);
    expect(next.pagesLeft).toBe(1);
  });
});

describe('listSecretsPage over several targets and filters, one page a segment', () => {
  const config = parseRotatorConfig({
    targets: [
      { providerOrg: 'p', catalog: 'a' },
      { providerOrg: 'p', catalog: 'b' },
    ],
    apicBaseUrl: 'https://apic.example.com/api',
    notificationSender: 'r@example.com',
    secretPrefix: 'rot',
  });
  const secret = (catalog: string, consumerOrg: string, app: string) => secretNameFor('rot', { providerOrg: 'p', catalog, consumerOrg, app, credential: 'k' });
  const stored = ['a', 'b'].flatMap((catalog) => ['north', 'south', 'west'].flatMap((org) => ['shop', 'pay'].map((app) => secret(catalog, org, app))));
  /** A prefix filter answering one name a page, with an empty page (and a token) before each name, as ListSecrets may. */
  const listing = {
    listSecretNames: async (prefix: string, _maxResults: number, nextToken?: string) => {
      const names = stored.filter((name) => name.startsWith(prefix));
      const position = Number(nextToken ?? 0);
      const name = position % 2 === 1 ? names[(position - 1) / 2] : undefined;
      const more = position < names.length * 2;
      return { names: name ? [name] : [], ...(more && { nextToken: String(position + 1) }) };
    },
  };

  it('lists each in-scope secret once across segment boundaries, and counts each once', async () => {
    const { run, segments } = prepareRestore(config, { input: { apps: ['north/shop', 'south/pay'] }, executionName: 'restore-1' });
    let segment = segments[0];
    const listed: string[] = [];
    for (let segmentCount = 0; !segment.cursor.done; segmentCount += 1) {
      if (segmentCount > 100) throw new Error('the listing does not end');
      let state = { run, ...segment, lastResults: [] as RestoreItemResult[], pagesLeft: 1 };
      for (;;) {
        const page = await listSecretsPage(listing, state, 1);
        listed.push(...page.items);
        state = { ...page, lastResults: page.items.map((secretName) => ({ status: 'done', secretName, outcome: 'would-restore' })) };
        if (page.items.length === 0 && (page.cursor.done || page.pagesLeft === 0)) break;
      }
      segment = { cursor: state.cursor, summary: state.summary };
    }
    const wanted = [secret('a', 'north', 'shop'), secret('a', 'south', 'pay'), secret('b', 'north', 'shop'), secret('b', 'south', 'pay')];
    expect(listed).toEqual(wanted);
    expect(segment.summary).toMatchObject({ secretsInScope: 4, outcomes: { 'would-restore': 4 } });
  });
});

describe('restoreCredential', () => {
  const locator = { providerOrg: 'p', catalog: 'c', consumerOrg: 'o', app: 'shop', credential: 'billing' };
  const item = (dryRun: boolean) => ({ dryRun, secretPrefix: 'rot', secretName: secretNameFor('rot', locator) });

  it('creates the credential with the stored client id and secret, then finds it present', async () => {
    const apic = new FakeApicApp();
    const deps = { apic: apic.port(), store: storeHolding(STORED) };
    expect(await restoreCredential(deps, item(false))).toEqual({ status: 'done', secretName: item(false).secretName, outcome: 'restored' });
    expect(apic.credentials).toMatchObject([{ name: 'billing', clientId: 'stored-id', secret: 'stored-secret-value' }]);
    expect(await restoreCredential(deps, item(false))).toMatchObject({ outcome: 'already-present' });
    expect(apic.calls).toEqual(['create billing']);
  });

  it('in a dry run only reports, the fallback name included', async () => {
    const apic = new FakeApicApp();
    apic.hold('billing', { clientId: 'auto-id', clientSecret: 'auto-secret' });
    expect(await restoreCredential({ apic: apic.port(), store: storeHolding(STORED) }, item(true))).toMatchObject({
      outcome: 'would-restore',
      restoredAs: 'billing-restored',
    });
    expect(apic.calls).toEqual([]);
  });

  it('reports a secret that holds no value yet without asking APIC', async () => {
    const apic = new FakeApicApp();
    expect(await restoreCredential({ apic: apic.port(), store: storeHolding(undefined) }, item(false))).toMatchObject({ outcome: 'no-value' });
    expect(apic.calls).toEqual([]);
  });

  it('deletes what it created and fails when APIC ignores the supplied client id', async () => {
    const apic = new FakeApicApp({ ignoresSuppliedClientId: true });
    await expect(restoreCredential({ apic: apic.port(), store: storeHolding(STORED) }, item(false))).rejects.toThrow(
      /does not accept supplied client ids/,
    );
    expect(apic.calls).toEqual(['create billing', 'delete billing']);
    expect(apic.credentials).toEqual([]);
  });

  it('fails, naming the credential but not the secret, when APIC refuses the secret even after setting it', async () => {
    const apic = new FakeApicApp({ rejectsEverySecret: true });
    apic.hold('billing', { clientId: 'stored-id', clientSecret: 'old' });
    const failure = restoreCredential({ apic: apic.port(), store: storeHolding(STORED) }, item(false));
    await expect(failure).rejects.toThrow(/APIC still rejects the stored secret of credential billing/);
    await expect(failure).rejects.not.toThrow(new RegExp(STORED.clientSecret));
    expect(apic.calls).toEqual(['patch billing']);
  });

  it('reports a lasting failure as the secret\'s result, reason cut short, and leaves a transient one to the workflow\'s Retry', async () => {
    const apic = new FakeApicApp();
    apic.hold('billing', { clientId: 'a', clientSecret: 'a' });
    apic.hold('billing-restored', { clientId: 'b', clientSecret: 'b' });
    const reported = await restoreCredentialReported({ apic: apic.port(), store: storeHolding(STORED) }, item(false));
    expect(reported).toMatchObject({ status: 'failed', secretName: item(false).secretName, error: 'RestoreError' });
    expect(reported.status === 'failed' && reported.cause?.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    const throttled = Object.assign(new Error('429'), { name: 'ApicThrottledError', retryable: true });
    const port = { ...apic.port(), getApp: () => Promise.reject(throttled) };
    await expect(restoreCredentialReported({ apic: port, store: storeHolding(STORED) }, item(false))).rejects.toBe(throttled);
  });

  it('fails with a way out when the stored name and the fallback are both taken', async () => {
    const apic = new FakeApicApp();
    apic.hold('billing', { clientId: 'a', clientSecret: 'a' });
    apic.hold('billing-restored', { clientId: 'b', clientSecret: 'b' });
    await expect(restoreCredential({ apic: apic.port(), store: storeHolding(STORED) }, item(true))).rejects.toThrow(
      /other credentials named billing and billing-restored; rename or delete one/,
    );
  });
});
