import { describe, expect, expectTypeOf, it } from 'vitest';
import { groupDigests, renderDigest, type DigestInput, type DigestItem } from '../functions/domain/notices';
import type { PendingNoticeEntry } from '../functions/domain/ports';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:apic-rotator/acme/prod/bank/pay/main-AbC123';

function item(overrides: Partial<DigestItem> = {}): DigestItem {
  return {
    kind: 'warn',
    providerOrg: 'acme',
    catalog: 'prod',
    consumerOrg: 'bank',
    app: 'payments',
    credential: 'main',
    secretName: 'apic-rotator/acme/prod/bank/payments/main',
    secretArn: ARN,
    ...overrides,
  };
}

function input(items: DigestItem[], overrides: Partial<DigestInput> = {}): DigestInput {
  return { ownerEmail: 'owner@example.com', consumerOrg: 'bank', items, sender: 'rotator@example.com', ...overrides };
}

describe('renderDigest', () => {
  it('addresses the owner and summarises the counts per kind in the subject', () => {
    const mail = renderDigest(
      input([
        item({ kind: 'warn', dueDate: '2026-12-01' }),
        item({ kind: 'warn', credential: 'second' }),
        item({ kind: 'replacement-ready', dueDate: '2027-01-10' }),
        item({ kind: 'action-needed', reason: 'APIC refused the new credential' }),
      ]),
    );
    expect(mail.to).toBe('owner@example.com');
    expect(mail.subject).toBe('API credential notices: 2 expiring, 1 replacement ready, 1 action needed');
  });

  it('explains a warning with the expiry date and the secret that will hold the replacement', () => {
    const mail = renderDigest(input([item({ kind: 'warn', dueDate: '2026-12-01' })]));
    expect(mail.text).toContain('Credentials expiring soon');
    expect(mail.text).toContain('expires on 2026-12-01');
    expect(mail.text).toContain('"apic-rotator/acme/prod/bank/payments/main"');
    expect(mail.text).toContain('"payments"');
  });

  it('tells how to read a ready replacement and when the old one goes, using the ARN region', () => {
    const mail = renderDigest(input([item({ kind: 'replacement-ready', dueDate: '2027-01-10' })]));
    expect(mail.text).toContain(`aws secretsmanager get-secret-value --secret-id '${ARN}' --region 'eu-west-1' --query SecretString --output text`);
    expect(mail.text).toContain('before 2027-01-10, when the old credential is removed');
    expect(mail.html).toContain(`<pre>aws secretsmanager get-secret-value --secret-id &#39;${ARN}&#39;`);
  });

  it('marks an emergency replacement as urgent in the subject and body, with the removal time', () => {
    const mail = renderDigest(input([item({ kind: 'urgent-replacement', dueDate: '2027-01-10T09:00Z' })]));
    expect(mail.subject).toBe('API credential notices: URGENT: 1 credential replaced at once');
    expect(mail.text).toContain('URGENT: credentials replaced at once');
    expect(mail.text).toContain('emergency rotation');
    expect(mail.text).toContain(`aws secretsmanager get-secret-value --secret-id '${ARN}'`);
    expect(mail.text).toContain('removed from 2027-01-10 09:00 UTC.');
  });

  it('prefers an explicit region for the command', () => {
    const mail = renderDigest(input([item({ kind: 'replacement-ready' })], { region: 'us-east-2' }));
    expect(mail.text).toContain("--region 'us-east-2'");
  });

  it('reports a removed original and that the replacement carries the original name', () => {
    const mail = renderDigest(input([item({ kind: 'old-removed' })]));
    expect(mail.subject).toBe('API credential notices: 1 old credential removed');
    expect(mail.text).toContain('The replacement now carries the original name "main"');
  });

  it('gives the reason when action is needed and points to the API provider', () => {
    const mail = renderDigest(input([item({ kind: 'action-needed', reason: 'the credential limit is reached' })]));
    expect(mail.text).toContain('Rotation could not proceed: the credential limit is reached');
    expect(mail.text).toContain('contact the API provider');
  });

  it('orders sections by the lifecycle regardless of input order', () => {
    const mail = renderDigest(input([item({ kind: 'action-needed' }), item({ kind: 'old-removed' }), item({ kind: 'warn' })]));
    const positions = ['Credentials expiring soon', 'Old credentials removed', 'Action needed'].map((title) => mail.text.indexOf(title));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('escapes every interpolated value in the HTML body', () => {
    const hostile = '<script>alert("x")</script>&\'';
    const mail = renderDigest(
      input(
        [
          item({
            kind: 'action-needed',
            app: hostile,
            credential: hostile,
            consumerOrg: hostile,
            catalog: hostile,
            providerOrg: hostile,
            secretName: hostile,
            reason: hostile,
          }),
          item({ kind: 'replacement-ready', secretArn: hostile, secretName: hostile }),
        ],
        { consumerOrg: hostile, sender: hostile },
      ),
    );
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('"x"');
    expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    expect(mail.text).toContain(hostile);
  });

  it('cannot carry a client secret: no input field holds one, and secret-like text stays where it was put', () => {
    expectTypeOf<DigestItem>().not.toHaveProperty('clientSecret');
    expectTypeOf<DigestItem>().not.toHaveProperty('client_secret');
    expectTypeOf<DigestInput>().not.toHaveProperty('clientSecret');
    const withSecretLikeReason = item({ kind: 'action-needed', reason: 'client_secret rejected' });
    expect(Object.keys(withSecretLikeReason).some((key) => /secret$/i.test(key) && key !== 'secretName' && key !== 'secretArn')).toBe(false);
    const mail = renderDigest(input([withSecretLikeReason]));
    expect(mail.text).toContain('client_secret rejected');
    expect(Object.keys(mail).sort()).toEqual(['html', 'subject', 'text', 'to']);
  });

  it('addresses the operator with a forwarding note when the audience is the operator', () => {
    const mail = renderDigest(input([item()], { ownerEmail: 'ops@example.com', audience: 'operator' }));
    expect(mail.to).toBe('ops@example.com');
    expect(mail.text).toContain('no usable owner e-mail');
  });
});

function entry(overrides: Partial<PendingNoticeEntry> & { app: string }): PendingNoticeEntry {
  const { app, ...rest } = overrides;
  return {
    locator: { providerOrg: 'acme', catalog: 'prod', consumerOrg: 'bank', app, credential: 'main' },
    secretName: `apic-rotator/acme/prod/bank/${app}/main`,
    secretArn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:apic-rotator/acme/prod/bank/${app}/main-AAAAAA`,
    ownerEmail: 'owner@example.com',
    notices: [{ kind: 'warn', cycleId: `cycle-${app}`, dueDate: '2026-12-01' }],
    ...rest,
  };
}

describe('groupDigests', () => {
  it('makes one digest per owner address, case-insensitively, with one item per notice', () => {
    const entries = [
      entry({ app: 'a' }),
      entry({ app: 'b', ownerEmail: 'Owner@Example.com', notices: [{ kind: 'warn', cycleId: 'x' }, { kind: 'action-needed', cycleId: 'x' }] }),
      entry({ app: 'c', ownerEmail: 'other@example.com', locator: { providerOrg: 'acme', catalog: 'prod', consumerOrg: 'shop', app: 'c', credential: 'main' } }),
    ];
    const { digests, undeliverable } = groupDigests(entries);
    expect(undeliverable).toEqual([]);
    expect(digests.map((digest) => [digest.content.ownerEmail, digest.content.items.length, digest.entries.length])).toEqual([
      ['owner@example.com', 3, 2],
      ['other@example.com', 1, 1],
    ]);
    expect(digests[1]?.content.consumerOrg).toBe('shop');
    expect(digests[0]?.content.items[0]).toEqual({
      kind: 'warn',
      providerOrg: 'acme',
      catalog: 'prod',
      consumerOrg: 'bank',
      app: 'a',
      credential: 'main',
      secretName: entries[0]?.secretName,
      secretArn: entries[0]?.secretArn,
      dueDate: '2026-12-01',
    });
  });

  it('sends owner-less entries to the operator, or reports them undeliverable without one', () => {
    const ownerless = entry({ app: 'lost', ownerEmail: '' });
    const withOperator = groupDigests([ownerless, entry({ app: 'kept' })], 'ops@example.com');
    expect(withOperator.undeliverable).toEqual([]);
    const operatorDigest = withOperator.digests.find((digest) => digest.content.audience === 'operator');
    expect(operatorDigest?.content.ownerEmail).toBe('ops@example.com');
    expect(operatorDigest?.entries).toEqual([ownerless]);

    const withoutOperator = groupDigests([ownerless]);
    expect(withoutOperator.digests).toEqual([]);
    expect(withoutOperator.undeliverable).toEqual([ownerless]);
  });

  it('copies notices that need a person to the operator, and only those', () => {
    const clash = entry({ app: 'clash', notices: [{ kind: 'replacement-ready', cycleId: 'c1' }, { kind: 'action-needed', cycleId: 'c1' }] });
    const { digests } = groupDigests([clash, entry({ app: 'quiet' })], 'ops@example.com');
    const operator = digests.find((digest) => digest.content.audience === 'operator');
    expect(operator?.content.items.map((item) => [item.app, item.kind])).toEqual([['clash', 'action-needed']]);
    const owner = digests.find((digest) => digest.content.audience === 'owner');
    expect(owner?.content.items.map((item) => [item.app, item.kind])).toEqual([
      ['clash', 'replacement-ready'],
      ['clash', 'action-needed'],
      ['quiet', 'warn'],
    ]);
  });

  it('sends an owner who is also the operator one digest', () => {
    const clash = entry({ app: 'clash', notices: [{ kind: 'action-needed', cycleId: 'c1' }] });
    expect(groupDigests([clash], 'OWNER@example.com').digests.map((digest) => digest.content.audience)).toEqual(['owner']);
  });

  it('skips entries with nothing left to send', () => {
    expect(groupDigests([entry({ app: 'empty', notices: [] })]).digests).toEqual([]);
  });
});
