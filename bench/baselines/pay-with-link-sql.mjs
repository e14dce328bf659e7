/**
 * S2's baseline: the rows and locks of one link payment, in one transaction, straight through pg:
 * lock the invoice, derive its amounts, record the charge and its allocation and events, record the
 * processor's payment, mark it succeeded. No GraphQL, ORM, idempotency table or second transaction.
 */
import path from 'node:path';
import pg from 'pg';
import { root } from '../lib/postgres.mjs';

const { invoiceAmountsLateral } = await import(path.join(root, 'apps/api/dist/app/test-kit.js'));

export async function payAll({ databaseUrl, merchantId, tokens, concurrency }) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  let next = 0;
  const started = process.hrtime.bigint();
  const latencies = [];
  async function worker() {
    while (next < tokens.length) {
      const token = tokens[next++];
      const t0 = process.hrtime.bigint();
      const client = await pool.connect();
      try {
        await client.query('begin');
        const {
          rows: [link],
        } = await client.query(
          "select pl.invoice_id from payment_link pl where pl.token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')",
          [token],
        );
        await client.query('select id from invoice where id = $1 for update', [link.invoice_id]);
        const {
          rows: [amounts],
        } = await client.query(`select amounts.* from invoice i ${invoiceAmountsLateral} where i.id = $1`, [link.invoice_id]);
        const amount = BigInt(amounts.total) - BigInt(amounts.paid);
        const {
          rows: [tx],
        } = await client.query(
          `insert into "transaction" (id, merchant_id, kind, status, channel, method, amount, currency, idempotency_key, requires_manual_reconciliation, settlement, version, created_at, updated_at)
           values (gen_random_uuid(), $1, 'CHARGE', 'PENDING', 'PAYMENT_LINK', 'CREDIT_CARD', $2, 'USD', $3, false, 'PENDING', 1, now(), now()) returning id`,
          [merchantId, amount.toString(), `baseline-${token}`],
        );
        await client.query(
          'insert into transaction_allocation (id, transaction_id, invoice_id, amount) values (gen_random_uuid(), $1, $2, $3)',
          [tx.id, link.invoice_id, amount.toString()],
        );
        await client.query(
          `insert into outbox_event (merchant_id, aggregate_type, aggregate_id, type, payload, occurred_at) values ($1, 'transaction', $2, 'transaction.created', '{}', now())`,
          [merchantId, tx.id],
        );
        await client.query(
          `insert into sandbox_payment (id, idempotency_key, request_hash, amount, currency, payment_method, status, authorization_code, refunded, metadata, created_at)
           values ('pi_base_' || $1, 'txn_' || $1, 'x', $2, 'USD', 'pm_card_visa', 'succeeded', 'ABC123', 0, '{}', now())`,
          [tx.id, amount.toString()],
        );
        await client.query(
          `update "transaction" set status = 'SUCCEEDED', authorization_code = 'ABC123', processor_reference = 'pi_base_' || $1, updated_at = now() where id = $1`,
          [tx.id],
        );
        await client.query(
          `insert into outbox_event (merchant_id, aggregate_type, aggregate_id, type, payload, occurred_at) values ($1, 'transaction', $2, 'transaction.succeeded', '{}', now())`,
          [merchantId, tx.id],
        );
        await client.query(`update invoice set status = 'PAID', version = version + 1, updated_at = now() where id = $1`, [
          link.invoice_id,
        ]);
        await client.query('commit');
      } catch (error) {
        await client.query('rollback');
        throw error;
      } finally {
        client.release();
      }
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await pool.end();
  latencies.sort((a, b) => a - b);
  return { payments: latencies.length, throughput: latencies.length / seconds, p99: latencies[Math.ceil(0.99 * latencies.length) - 1] };
}
