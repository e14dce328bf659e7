/**
 * S1's baseline: a bare node http + pg server that runs the same SQL as the API's paymentLink
 * resolver and answers the same JSON, with no GraphQL, ORM or middleware in between.
 */
import http from 'node:http';
import path from 'node:path';
import { formatMoney } from '@kometpay/money';
import pg from 'pg';
import { root } from '../lib/postgres.mjs';

const [databaseUrl, port] = process.argv.slice(2);
const { publicLinkView, amountsFromRow, publicLinkStatus, hashToken } = await import(path.join(root, 'apps/api/dist/app/test-kit.js'));

const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
const money = (amount, currency) => ({ amount: amount.toString(), formatted: formatMoney(amount, currency) });

http
  .createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', async () => {
      const { variables } = JSON.parse(body);
      // A named statement, planned once per connection, as the API runs it: the ratio compares the stacks, not the plan cache.
      const { rows } = await pool.query({ name: publicLinkView.name, text: publicLinkView.text, values: [hashToken(variables.token)] });
      const row = rows[0];
      let paymentLink = null;
      if (row) {
        const amounts = amountsFromRow(row);
        paymentLink = {
          status: publicLinkStatus({
            invoiceStatus: row.invoice_status,
            storedStatus: row.link_status,
            expiresAt: new Date(row.expires_at),
            amounts,
            now: new Date(),
          }),
          merchantName: row.merchant_name,
          invoiceNumber: row.number,
          currency: row.currency,
          dueDate: row.due_date,
          lines: row.lines.map((line) => ({
            description: line.description,
            quantity: line.quantity,
            unitAmount: line.unitAmount,
            amount: money(BigInt(line.quantity) * BigInt(line.unitAmount), row.currency),
          })),
          total: money(amounts.total, row.currency),
          amountPaid: money(amounts.paid, row.currency),
          amountDue: money(amounts.due, row.currency),
        };
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { paymentLink } }));
    });
  })
  .listen(Number(port), '127.0.0.1', () => process.send?.('ready'));
