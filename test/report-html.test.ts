import { S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ReportStore } from '../functions/adapters';
import type { ApicApp, ApicCredential } from '../functions/domain/model';
import { assessApp, type PolicySettings } from '../functions/domain/policy';
import { buildReport, escapeHtml, postRunReportRows, renderHtmlReport, type ReportRow } from '../functions/domain/report';
import { startS3Emulator, type S3Emulator } from '../tools/emulators/s3/emulator';

const run = promisify(execFile);
const BUCKET = 'rotator-reports';
const NOW = new Date('2026-11-23T08:00:00.000Z');
const RUN_DATE = '2026-11-23';
const SETTINGS: PolicySettings = { expiryDays: 90, deletionDays: 120, warnDays: 14, replacementSuffix: '_new' };
const EVIL = '<script>alert("x")</script>&';

let emulator: S3Emulator;
let store: S3ReportStore;
let dir: string;

function credential(id: string, name: string, ageDays: number): ApicCredential {
  return { id, name, title: name, clientId: `client-${id}`, createdAt: new Date(NOW.getTime() - ageDays * 86_400_000).toISOString() };
}

function appRows(consumerOrg: string, name: string, credentials: ApicCredential[]): ReportRow[] {
  const app: ApicApp = { id: `${consumerOrg}-${name}`, name, title: name, consumerOrg: { id: consumerOrg, name: consumerOrg }, credentials };
  const assessment = assessApp({ app, store: new Map(), verifiedCurrent: new Map(), now: NOW, settings: SETTINGS, ownerEmailKnown: true });
  return postRunReportRows({ target: { providerOrg: 'acme', catalog: 'prod' }, app, assessment, now: NOW, settings: SETTINGS });
}

function parseCsv(csv: string): Record<string, string>[] {
  const [header = '', ...lines] = csv.trimEnd().split('\r\n');
  const columns = header.split(',');
  // The fixture's values hold no commas or quotes except the escaped name, which is not in the stage column.
  return lines.map((line) => Object.fromEntries(line.split(',').map((value, index) => [columns[index] ?? '', value])));
}

/** The RGB(A) pixels of an 8-bit, non-interlaced PNG (what Chromium writes). */
function pngPixels(png: Buffer): { width: number; height: number; channels: number; pixels: Buffer } {
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.subarray(offset + 4, offset + 8).toString('latin1');
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8);
      channels = ({ 2: 3, 6: 4 } as Record<number, number>)[data[9] ?? -1] ?? 0;
      expect(channels).toBeGreaterThan(0);
      expect(data[12]).toBe(0);
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y += 1) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x += 1) {
      const value = raw[y * (stride + 1) + 1 + x] ?? 0;
      const left = x >= channels ? (pixels[y * stride + x - channels] ?? 0) : 0;
      const up = y > 0 ? (pixels[(y - 1) * stride + x] ?? 0) : 0;
      const upLeft = x >= channels && y > 0 ? (pixels[(y - 1) * stride + x - channels] ?? 0) : 0;
      let predicted = 0;
      if (filter === 1) predicted = left;
      else if (filter === 2) predicted = up;
      else if (filter === 3) predicted = Math.floor((left + up) / 2);
      else if (filter === 4) {
        const p = left + up - upLeft;
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        predicted = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      pixels[y * stride + x] = (value + predicted) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function chromium(args: string[]): Promise<string> {
  const profile = await mkdtemp(join(tmpdir(), 'report-html-chromium-'));
  try {
    const { stdout } = await run('chromium', [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, ...args], { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  emulator = await startS3Emulator();
  emulator.createBucket(BUCKET);
  const client = new S3Client({ region: 'eu-west-1', endpoint: emulator.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  store = new S3ReportStore(client, { bucket: BUCKET });
  dir = await mkdtemp(join(tmpdir(), 'report-html-'));
});

afterAll(async () => {
  await emulator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the HTML report', () => {
  it('escapes every text and holds no script, external asset or secret', () => {
    const rows = appRows('bank', EVIL, [credential('c1', EVIL, 200)]).map((row) => ({ ...row, ownerEmail: '"o"@x.example' }));
    const html = renderHtmlReport({ runId: `run-${EVIL}`, runDate: RUN_DATE, dryRun: false, rows, stages: { "in-grace": 2 } });
    expect(html).not.toContain(EVIL);
    expect(html).toContain(escapeHtml(EVIL));
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html.replace('xmlns="http://www.w3.org/2000/svg"', '')).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/secret/i);
  });

  it('is written by BuildReport and, rendered in headless Chromium, shows the figures of the CSV', { timeout: 240_000 }, async () => {
    const runId = 'run-html';
    await store.putPart(runId, 'app/0/bank/payments', appRows('bank', 'payments', [credential('p1', 'main', 200), credential('p2', 'other', 10)]));
    await store.putPart(runId, 'app/0/bank/ledger', appRows('bank', 'ledger', [credential('l1', 'main', 80)]));
    await store.putPart(runId, 'app/0/zeta/broken', appRows('zeta', 'broken', [credential('b1', 'k', 95)]));
    await store.putPart(runId, 'scan/0/0', appRows('zeta', EVIL, [credential('e1', EVIL, 40), credential('e2', 'young', 1)]));
    const owners = new Map([['acme/prod/bank', 'ops@bank.example']]);
    const result = await buildReport(store, {
      runId,
      runDate: RUN_DATE,
      dryRun: false,
      owners,
      failedApps: [{ providerOrg: 'acme', catalog: 'prod', consumerOrg: 'zeta', app: 'broken' }],
    });
    const objects = new Map(emulator.objects(BUCKET).map((object) => [object.key, object]));
    const htmlObject = objects.get(result.keys.htmlKey);
    expect(htmlObject?.contentType).toBe('text/html; charset=utf-8');
    const html = htmlObject?.body ?? '';
    const csv = objects.get(result.keys.csvKey)?.body ?? '';
    const csvRows = parseCsv(csv);
    expect(csvRows).toHaveLength(8);
    // The failed app's rows say so, and come first in the page.
    expect(csvRows.filter((row) => row.app === 'broken').map((row) => row.action)).toEqual([
      'create-replacement+queue-notice:replacement-ready+app-failed',
      'create-replacement+app-failed',
    ]);

    const file = join(dir, 'report.html');
    await writeFile(file, html);
    const dom = await chromium(['--dump-dom', `file://${file}`]);
    const stageTable = /<table id="stage-counts">([\s\S]*?)<\/table>/.exec(dom)?.[1] ?? '';
    const shown = Object.fromEntries(
      [...stageTable.matchAll(/<tr data-stage="([^"]+)"><td>[^<]*<\/td><td class="count">(\d+)<\/td><\/tr>/g)].map((match) => [match[1], Number(match[2])]),
    );
    const fromCsv: Record<string, number> = {};
    for (const row of csvRows) fromCsv[row.stage ?? ''] = (fromCsv[row.stage ?? ''] ?? 0) + 1;
    expect(shown).toEqual(fromCsv);
    expect(/id="row-count" data-count="(\d+)"/.exec(dom)?.[1]).toBe(String(csvRows.length));
    const histogram = [...dom.matchAll(/data-bucket="[^"]+" data-count="(\d+)"/g)].reduce((sum, match) => sum + Number(match[1]), 0);
    expect(histogram).toBe(csvRows.length);
    const attention = /<section id="attention">([\s\S]*?)<\/section>/.exec(dom)?.[1] ?? '';
    expect(attention).toContain('failed in this run');
    expect(attention).toContain('broken');
    expect(dom.indexOf('id="attention"')).toBeLessThan(dom.indexOf('id="stage-counts"'));
    expect(dom).not.toContain(EVIL);

    const png = join(dir, 'report.png');
    await chromium([`--screenshot=${png}`, '--window-size=1280,2000', `file://${file}`]);
    expect((await stat(png)).size).toBeGreaterThan(1000);
    const { pixels, channels, width, height } = pngPixels(await readFile(png));
    expect([width, height]).toEqual([1280, 2000]);
    const colours = new Set<number>();
    for (let index = 0; index < pixels.length && colours.size < 3; index += channels) {
      colours.add(((pixels[index] ?? 0) << 16) | ((pixels[index + 1] ?? 0) << 8) | (pixels[index + 2] ?? 0));
    }
    expect(colours.size).toBeGreaterThan(2);
  });
});
