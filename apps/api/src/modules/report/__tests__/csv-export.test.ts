import { parse } from 'csv-parse/sync';
import { csvCell, csvExport } from '../csv-export.js';

async function written(columns: string[], numeric: string[], rows: unknown[][]): Promise<string> {
  const csv = csvExport(columns, numeric);
  const chunks: Buffer[] = [];
  csv.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise((resolve) => csv.on('end', resolve));
  for (const row of rows) csv.write(row);
  csv.end();
  await done;
  return Buffer.concat(chunks).toString('utf8');
}

describe('csvCell', () => {
  it.each(['=1+1', '+1+cmd|calc', '-2+3', '@SUM(A1)', '\tTabbed', '\rReturned', '=HYPERLINK("https://evil.example","x")'])(
    'neutralises %j in a text column',
    (value) => {
      expect(csvCell(value, false)).toBe(`'${value}`);
    },
  );

  it('keeps numbers numbers: a negative amount in a numeric column is left alone, the same text in a name is not', () => {
    expect(csvCell('-12.50', true)).toBe('-12.50');
    expect(csvCell('-12', true)).toBe('-12');
    expect(csvCell('-12.50', false)).toBe("'-12.50");
    // A numeric column holding anything but a plain number is treated as text.
    expect(csvCell('-1+1', true)).toBe("'-1+1");
    expect(csvCell('=1', true)).toBe("'=1");
  });

  it('leaves ordinary text as it is', () => {
    for (const value of ['Bloom & Stem', 'INV-1001', 'a=b', 'x@y.example', '', '12.50']) expect(csvCell(value, false)).toBe(value);
  });
});

describe('csvExport', () => {
  it('writes every row through csvCell, and a spreadsheet-safe file parses back to the neutralised text', async () => {
    const text = await written(
      ['name', 'amount', 'count'],
      ['amount', 'count'],
      [
        ['=HYPERLINK("https://evil.example","Click")', '-25.00', 3],
        ['Plain, with "quotes"', '10.00', 0],
      ],
    );
    const rows = parse(text) as string[][];
    expect(rows).toEqual([
      ['name', 'amount', 'count'],
      ['\'=HYPERLINK("https://evil.example","Click")', '-25.00', '3'],
      ['Plain, with "quotes"', '10.00', '0'],
    ]);
  });
});
