import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REPORT_COLUMNS, ReportFormatError, parseJsonLines, toCsv, toJsonLines, type ReportRow } from '../functions/domain/report';

const HEADER = REPORT_COLUMNS.join(',');

function row(overrides: Partial<ReportRow> = {}): ReportRow {
  return {
    providerOrg: 'acme',
    catalog: 'prod',
    consumerOrg: 'bank',
    ownerEmail: 'owner@bank.example',
    app: 'payments',
    credential: 'main',
    role: 'original',
    clientId: 'client-1',
    createdAt: '2026-01-01T00:00:00.000Z',
    ageDays: 30,
    stage: 'active',
    action: '',
    nextAction: 'warn',
    nextActionDate: '2026-03-02',
    ...overrides,
  };
}

/** A strict RFC 4180 reader: quoted cells may hold commas, quotes (doubled) and line breaks; records end in CRLF. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let cells: string[] = [];
  let position = 0;
  while (position < text.length) {
    let cell = '';
    if (text[position] === '"') {
      position += 1;
      for (;;) {
        const quote = text.indexOf('"', position);
        if (quote < 0) throw new Error('unterminated quoted cell');
        cell += text.slice(position, quote);
        position = quote + 1;
        if (text[position] !== '"') break;
        cell += '"';
        position += 1;
      }
    } else {
      const end = text.slice(position).search(/[,\r"\n]/);
      const stop = end < 0 ? text.length : position + end;
      if (text[stop] === '"' || text[stop] === '\n') throw new Error(`bare ${JSON.stringify(text[stop])} in an unquoted cell`);
      cell = text.slice(position, stop);
      position = stop;
    }
    cells.push(cell);
    if (text[position] === ',') {
      position += 1;
    } else if (text.startsWith('\r\n', position)) {
      records.push(cells);
      cells = [];
      position += 2;
    } else {
      throw new Error(`unexpected ${JSON.stringify(text[position])} after a cell`);
    }
  }
  if (cells.length > 0) throw new Error('last record lacks its CRLF');
  return records;
}

function csvCells(overrides: Partial<ReportRow>): Record<string, string> {
  const [header, record] = parseCsv(toCsv([row(overrides)]));
  return Object.fromEntries((header ?? []).map((name, index) => [name, record?.[index] ?? '<missing>']));
}

describe('toCsv', () => {
  it('writes the header and one CRLF-terminated record per row, unquoted when nothing needs quoting', () => {
    expect(toCsv([row(), row({ credential: 'second', ageDays: 0, nextAction: '', nextActionDate: '' })])).toBe(
      `${HEADER}\r\n` +
        'acme,prod,bank,owner@bank.example,payments,main,original,client-1,2026-01-01T00:00:00.000Z,30,active,,warn,2026-03-02\r\n' +
        'acme,prod,bank,owner@bank.example,payments,second,original,client-1,2026-01-01T00:00:00.000Z,0,active,,,\r\n',
    );
  });

  it('writes only the header for no rows', () => {
    expect(toCsv([])).toBe(`${HEADER}\r\n`);
  });

  it.each([
    ['a comma', 'Payments, EU', '"Payments, EU"'],
    ['a quote', 'the "main" one', '"the ""main"" one"'],
    ['a line feed', 'two\nlines', '"two\nlines"'],
    ['a CRLF', 'two\r\nlines', '"two\r\nlines"'],
  ])('quotes a cell holding %s', (_, value, expected) => {
    const line = toCsv([row({ app: value })]).slice(HEADER.length + 2);
    expect(line).toBe(`acme,prod,bank,owner@bank.example,${expected},main,original,client-1,2026-01-01T00:00:00.000Z,30,active,,warn,2026-03-02\r\n`);
  });

  it.each([
    ['=', '=HYPERLINK("http://evil.example","x")', `'=HYPERLINK("http://evil.example","x")`],
    ['+', '+1+1', `'+1+1`],
    ['-', '-2+3', `'-2+3`],
    ['@', '@SUM(A1:A2)', `'@SUM(A1:A2)`],
    ['a tab', '\t=1', `'\t=1`],
    ['a carriage return', '\r=1', `'\r=1`],
  ])('prefixes a cell starting with %s with an apostrophe', (_, value, expected) => {
    expect(csvCells({ credential: value }).credential).toBe(expected);
  });

  it('leaves cells alone that only contain a formula character later on', () => {
    expect(csvCells({ credential: 'a=b', app: 'x-y', ownerEmail: 'me@example.com' })).toMatchObject({ credential: 'a=b', app: 'x-y', ownerEmail: 'me@example.com' });
  });

  it('writes numbers as numbers, a negative age included', () => {
    expect(csvCells({ ageDays: -1 }).ageDays).toBe('-1');
  });

  it('writes only the report columns, whatever else a row object carries', () => {
    const withSecret = { ...row(), clientSecret: 'do-not-leak' } as ReportRow;
    expect(toCsv([withSecret])).not.toContain('do-not-leak');
    expect(toJsonLines([withSecret])).not.toContain('do-not-leak');
  });

  it('reads back as the same cells, apart from the formula guard, for any text', () => {
    const text = fc.string({ unit: 'binary', maxLength: 20 });
    fc.assert(
      fc.property(fc.array(fc.record({ app: text, credential: text, ownerEmail: text }), { maxLength: 5 }), (changes) => {
        const rows = changes.map((change) => row(change));
        const [header, ...records] = parseCsv(toCsv(rows));
        expect(header).toEqual([...REPORT_COLUMNS]);
        expect(records).toHaveLength(rows.length);
        for (const [index, record] of records.entries()) {
          const source = rows[index] as ReportRow;
          for (const column of ['app', 'credential', 'ownerEmail'] as const) {
            const cell = record[REPORT_COLUMNS.indexOf(column)] ?? '';
            const guarded = /^[=+\-@\t\r]/.test(source[column]);
            expect(cell).toBe(guarded ? `'${source[column]}` : source[column]);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('JSON Lines', () => {
  it('writes one object per line in column order and reads it back', () => {
    const rows = [row(), row({ credential: 'x\ny', action: 'delete-original+queue-notice:old-removed' })];
    const text = toJsonLines(rows);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(Object.keys(JSON.parse(lines[0] ?? ''))).toEqual([...REPORT_COLUMNS]);
    expect(parseJsonLines(text)).toEqual(rows);
  });

  it('writes nothing for no rows and reads blank text as no rows', () => {
    expect(toJsonLines([])).toBe('');
    expect(parseJsonLines('')).toEqual([]);
    expect(parseJsonLines('\n\n')).toEqual([]);
  });

  it('names the line that is not JSON', () => {
    const text = `${toJsonLines([row()])}\n{"providerOrg":\n`;
    const error = captureError(() => parseJsonLines(text));
    expect(error).toBeInstanceOf(ReportFormatError);
    expect(error).toMatchObject({ name: 'ReportFormatError', line: 3, message: 'line 3 is not JSON' });
    expect((error as Error).cause).toBeInstanceOf(SyntaxError);
  });

  it('names the line and the fields of an object that is not a row, without the values', () => {
    const bad = { ...row(), ageDays: 'thirty', stage: undefined };
    const text = toJsonLines([row()]) + `${JSON.stringify(bad)}\n`;
    const error = captureError(() => parseJsonLines(text));
    expect(error).toMatchObject({ name: 'ReportFormatError', line: 2 });
    expect((error as Error).message).toBe('line 2 is not a report row: invalid ageDays, invalid stage');
  });

  it('rejects a row with a field it does not know, naming the field but not its value', () => {
    const text = `${JSON.stringify({ ...row(), clientSecret: 'do-not-leak' })}\n`;
    const error = captureError(() => parseJsonLines(text));
    expect((error as Error).message).toBe('line 1 is not a report row: unexpected clientSecret');
    expect((error as Error).message).not.toContain('do-not-leak');
  });

  it('rejects a line that is not an object', () => {
    expect((captureError(() => parseJsonLines('[1,2]\n')) as Error).message).toBe('line 1 is not a report row: not an object');
  });
});

function captureError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
