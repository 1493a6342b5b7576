/**
 * Notice digests: one mail per recipient per run, listing every queued notice grouped by kind. Pure functions;
 * the inputs carry names, dates and secret locations only, never a client secret.
 */
import { NOTICE_KINDS, type NoticeKind } from '../model';
import type { MailMessage, PendingNoticeEntry } from '../ports';

export interface DigestItem {
  readonly kind: NoticeKind;
  readonly providerOrg: string;
  readonly catalog: string;
  readonly consumerOrg: string;
  readonly app: string;
  readonly credential: string;
  readonly secretName: string;
  readonly secretArn: string;
  /**
   * YYYY-MM-DD: the expiry date (warn) or the removal date of the old credential (replacement-ready);
   * YYYY-MM-DDTHH:MMZ: the removal instant (urgent-replacement).
   */
  readonly dueDate?: string;
  /** Why rotation stopped (action-needed). */
  readonly reason?: string;
}

/** Who gets the digest and what it lists; `groupDigests` produces these. */
export interface DigestContent {
  readonly ownerEmail: string;
  /** The consumer org(s) the items belong to, for the greeting. */
  readonly consumerOrg: string;
  readonly items: readonly DigestItem[];
  /** `operator` when the owner has no usable e-mail and the operator receives the digest to forward it. */
  readonly audience?: 'owner' | 'operator';
}

export interface DigestInput extends DigestContent {
  /** The sending address, named in the footer. */
  readonly sender: string;
  /** Region for the CLI command; taken from each secret's ARN when absent. */
  readonly region?: string;
}

/** Rendered once as plain text and once as escaped HTML, so both bodies always say the same thing. */
type Fragment = string | { readonly code: string };
/** A paragraph of inline fragments, or a shell command shown on its own. */
type Paragraph = readonly Fragment[] | { readonly command: string };

const SECTION_TITLES: Record<NoticeKind, string> = {
  warn: 'Credentials expiring soon',
  'replacement-ready': 'Replacement credentials ready',
  'urgent-replacement': 'URGENT: credentials replaced at once',
  'old-removed': 'Old credentials removed',
  'action-needed': 'Action needed',
};

const SUBJECT_COUNTS: Record<NoticeKind, (count: number) => string> = {
  warn: (count) => `${count} expiring`,
  'replacement-ready': (count) => `${count} ${count === 1 ? 'replacement' : 'replacements'} ready`,
  'urgent-replacement': (count) => `URGENT: ${count} ${count === 1 ? 'credential' : 'credentials'} replaced at once`,
  'old-removed': (count) => `${count} old ${count === 1 ? 'credential' : 'credentials'} removed`,
  'action-needed': (count) => `${count} action${count === 1 ? '' : 's'} needed`,
};

function regionOf(arn: string): string | undefined {
  return arn.split(':')[3] || undefined;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function readCommand(item: DigestItem, region: string | undefined): string {
  const effectiveRegion = region ?? regionOf(item.secretArn);
  return [
    'aws secretsmanager get-secret-value',
    `--secret-id ${shellQuote(item.secretArn)}`,
    ...(effectiveRegion ? [`--region ${shellQuote(effectiveRegion)}`] : []),
    '--query SecretString --output text',
  ].join(' ');
}

function itemParagraphs(item: DigestItem, region: string | undefined): Paragraph[] {
  const where: Paragraph = [
    'App ',
    { code: item.app },
    ' in consumer org ',
    { code: item.consumerOrg },
    ' (catalog ',
    { code: item.catalog },
    ', provider org ',
    { code: item.providerOrg },
    '), credential ',
    { code: item.credential },
    '.',
  ];
  switch (item.kind) {
    case 'warn':
      return [
        where,
        [
          item.dueDate ? `The credential expires on ${item.dueDate}. ` : 'The credential expires soon. ',
          'A replacement will be created and published in the secret ',
          { code: item.secretName },
          '.',
        ],
      ];
    case 'replacement-ready':
      return [
        where,
        ['A new credential is ready. Read its client id and secret from the secret ', { code: item.secretName }, ' (ARN ', { code: item.secretArn }, '):'],
        { command: readCommand(item, region) },
        [
          item.dueDate
            ? `Switch your application to it before ${item.dueDate}, when the old credential is removed.`
            : 'Switch your application to it soon: the old credential will be removed.',
        ],
      ];
    case 'urgent-replacement':
      return [
        where,
        [
          'This credential is being replaced urgently (an emergency rotation). A new credential is ready: read its client id and secret from the secret ',
          { code: item.secretName },
          ' (ARN ',
          { code: item.secretArn },
          '):',
        ],
        { command: readCommand(item, region) },
        [
          item.dueDate
            ? `Switch your application to it now: the old credential is removed from ${item.dueDate.replace('T', ' ').replace(/Z$/, '')} UTC.`
            : 'Switch your application to it now: the old credential is removed shortly.',
        ],
      ];
    case 'old-removed':
      return [
        where,
        ['The old credential was removed. The replacement now carries the original name ', { code: item.credential }, '; its client id and secret are unchanged in the secret ', { code: item.secretName }, '.'],
      ];
    case 'action-needed':
      return [
        where,
        [`Rotation could not proceed${item.reason ? `: ${item.reason}` : '.'}`],
        ['Please contact the API provider (provider org ', { code: item.providerOrg }, ').'],
      ];
  }
}

function paragraphText(paragraph: Paragraph): string {
  if ('command' in paragraph) return `\n  ${paragraph.command}\n`;
  return paragraph.map((fragment) => (typeof fragment === 'string' ? fragment : `"${fragment.code}"`)).join('');
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/** A list entry: the first line bulleted, the rest indented under it, blank lines kept blank. */
function itemText(paragraphs: readonly Paragraph[]): string {
  const lines = paragraphs.map(paragraphText).join('\n').split('\n');
  return lines.map((line, index) => (index === 0 ? `- ${line}` : line === '' ? '' : `  ${line}`)).join('\n');
}

function paragraphHtml(paragraph: Paragraph): string {
  if ('command' in paragraph) return `<pre>${escapeHtml(paragraph.command)}</pre>`;
  return `<p>${paragraph.map((fragment) => (typeof fragment === 'string' ? escapeHtml(fragment) : `<code>${escapeHtml(fragment.code)}</code>`)).join('')}</p>`;
}

function subjectFor(items: readonly DigestItem[]): string {
  const counts = NOTICE_KINDS.flatMap((kind) => {
    const count = items.filter((item) => item.kind === kind).length;
    return count > 0 ? [SUBJECT_COUNTS[kind](count)] : [];
  });
  return `API credential notices: ${counts.join(', ')}`;
}

function introFor(input: DigestInput): Paragraph {
  return input.audience === 'operator'
    ? ['These notices concern consumer org(s) ', { code: input.consumerOrg }, ', which have no usable owner e-mail in API Connect. Please forward them to the app owners.']
    : ['Hello, this is a summary of the API Connect client credentials of consumer org(s) ', { code: input.consumerOrg }, ' that need your attention.'];
}

export function renderDigest(input: DigestInput): MailMessage {
  const sections = NOTICE_KINDS.flatMap((kind) => {
    const items = input.items.filter((item) => item.kind === kind);
    return items.length > 0 ? [{ title: SECTION_TITLES[kind], items: items.map((item) => itemParagraphs(item, input.region)) }] : [];
  });
  const footer: Paragraph = ['This message was sent by the API credential rotator (', { code: input.sender }, '). It never contains a client secret.'];
  const intro = introFor(input);

  const text = [
    paragraphText(intro),
    ...sections.map(
      (section) =>
        `${section.title}\n${'='.repeat(section.title.length)}\n\n` +
        section.items.map(itemText).join('\n\n'),
    ),
    paragraphText(footer),
  ].join('\n\n');

  const html = [
    '<!DOCTYPE html><html><body>',
    paragraphHtml(intro),
    ...sections.map(
      (section) => `<h2>${escapeHtml(section.title)}</h2><ul>${section.items.map((paragraphs) => `<li>${paragraphs.map(paragraphHtml).join('')}</li>`).join('')}</ul>`,
    ),
    paragraphHtml(footer),
    '</body></html>',
  ].join('\n');

  return { to: input.ownerEmail, subject: subjectFor(input.items), text, html };
}

export interface DigestGroup {
  readonly content: DigestContent;
  /** The ledger entries this digest covers, to be marked sent once it is delivered. */
  readonly entries: readonly PendingNoticeEntry[];
}

export interface GroupedDigests {
  readonly digests: DigestGroup[];
  /** Entries with no owner e-mail when no operator e-mail was configured. */
  readonly undeliverable: PendingNoticeEntry[];
}

function itemsOf(entry: PendingNoticeEntry): DigestItem[] {
  return entry.notices.map((notice) => ({
    kind: notice.kind,
    ...entry.locator,
    secretName: entry.secretName,
    secretArn: entry.secretArn,
    ...(notice.dueDate !== undefined && { dueDate: notice.dueDate }),
  }));
}

/**
 * One digest per owner e-mail (case-insensitive); owner-less entries go to the operator, or are undeliverable. A
 * notice that needs a person (action-needed) goes to the operator as well as to the owner: owners often cannot fix a
 * name clash in the provider's catalog.
 */
export function groupDigests(entries: Iterable<PendingNoticeEntry>, operatorEmail?: string): GroupedDigests {
  const groups = new Map<string, { recipient: string; audience: 'owner' | 'operator'; entries: PendingNoticeEntry[] }>();
  const undeliverable: PendingNoticeEntry[] = [];
  const addTo = (recipient: string, audience: 'owner' | 'operator', entry: PendingNoticeEntry) => {
    const key = `${audience}:${recipient.toLowerCase()}`;
    const group = groups.get(key) ?? { recipient, audience, entries: [] };
    group.entries.push(entry);
    groups.set(key, group);
  };
  for (const entry of entries) {
    if (entry.notices.length === 0) continue;
    const owner = entry.ownerEmail.trim();
    const recipient = owner || operatorEmail;
    if (!recipient) {
      undeliverable.push(entry);
      continue;
    }
    addTo(recipient, owner ? 'owner' : 'operator', entry);
    const needsPerson = entry.notices.filter((notice) => notice.kind === 'action-needed');
    if (owner && operatorEmail && needsPerson.length > 0 && operatorEmail.toLowerCase() !== owner.toLowerCase()) {
      addTo(operatorEmail, 'operator', { ...entry, notices: needsPerson });
    }
  }
  const digests = [...groups.values()].map((group) => ({
    content: {
      ownerEmail: group.recipient,
      consumerOrg: [...new Set(group.entries.map((entry) => entry.locator.consumerOrg))].sort().join(', '),
      items: group.entries.flatMap(itemsOf),
      audience: group.audience,
    },
    entries: group.entries,
  }));
  return { digests, undeliverable };
}
