/**
 * S3's baseline: one hand-written SQL (json_agg) for a page of 50 invoices with their customer,
 * current link and transactions, served by a bare node http server.
 */
import http from 'node:http';
import path from 'node:path';
import { formatMoney } from '@kometpay/money';
import pg from 'pg';
import { root } from '../lib/postgres.mjs';

const [databaseUrl, port, merchantId] = process.argv.slice(2);
const { invoiceAmountsLateral } = await import(path.join(root, 'apps/api/dist/app/test-kit.js'));
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
const sql = `
  select coalesce(json_agg(row_to_json(x) order by x.created_at desc, x.id desc), '[]') as page from (
    select i.id, i.number, i.status, i.currency, i.created_at, amounts.total, amounts.paid, amounts.credited,
           json_build_object('id', c.id, 'name', c.name) as customer,
           (select json_build_object('id', pl.id, 'status', pl.status, 'expiresAt', pl.expires_at)
              from payment_link pl where pl.invoice_id = i.id order by pl.created_at desc limit 1) as link,
           (select coalesce(json_agg(json_build_object('id', t.id, 'status', t.status, 'amount', t.amount::text) order by t.created_at), '[]')
              from transaction_allocation a join "transaction" t on t.id = a.transaction_id where a.invoice_id = i.id) as transactions
    from invoice i join customer c on c.id = i.customer_id ${invoiceAmountsLateral}
    where i.merchant_id = $1 order by i.created_at desc, i.id desc limit 50) x`;

http
  .createServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      const { rows } = await pool.query(sql, [merchantId]);
      const edges = rows[0].page.map((inv) => {
        const due = BigInt(inv.total) - BigInt(inv.paid) - BigInt(inv.credited);
        return {
          node: {
            id: inv.id,
            number: inv.number,
            status: inv.status,
            total: { amount: inv.total, formatted: formatMoney(BigInt(inv.total), inv.currency) },
            amountDue: { amount: String(due > 0n ? due : 0n), formatted: formatMoney(due > 0n ? due : 0n, inv.currency) },
            customer: inv.customer,
            paymentLink: inv.link && { id: inv.link.id, status: inv.link.status, expiresAt: inv.link.expiresAt },
            transactions: inv.transactions.map((t) => ({ id: t.id, status: t.status, amount: { amount: t.amount } })),
          },
        };
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { invoices: { edges } } }));
    });
  })
  .listen(Number(port), '127.0.0.1', () => process.send?.('ready'));
