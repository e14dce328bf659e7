import { ConsoleMarkReconciledDocument, ConsoleRefundTransactionDocument, ConsoleTransactionsDocument } from '@kometpay/schema/merchant';
import { fail } from '@sveltejs/kit';
import { env } from '$env/dynamic/private';
import { merchantApi } from '$lib/server/api';
import { attempt, FieldProblem, IDEMPOTENCY_KEY, newIdempotencyKey, textFields } from '$lib/server/forms';
import { FILTER_CHOICES, filterOf, logQueryOf } from '$lib/server/transaction-filter';
import type { Actions, PageServerLoad } from './$types';

const PAGE_SIZE = 50;

/** The transaction log: every charge and refund, filtered, newest first, keyset-paged, with totals over the whole filter. */
export const load: PageServerLoad = async (event) => {
  event.depends('kometpay:payments');
  const query = logQueryOf(event.url);
  const after = event.url.searchParams.get('after') || null;
  const filter = filterOf(query, env.CONSOLE_TIME_ZONE || 'UTC');
  const { transactions } = await merchantApi(event).request(ConsoleTransactionsDocument, { first: PAGE_SIZE, after, filter });
  const filterOnly = new URLSearchParams(Object.entries(query).filter(([, value]) => value));
  const next = new URLSearchParams(filterOnly);
  if (transactions.pageInfo.endCursor) next.set('after', transactions.pageInfo.endCursor);
  return {
    query,
    choices: FILTER_CHOICES,
    transactions: transactions.edges.map((edge) => edge.node),
    totals: transactions.totals,
    firstPage: after ? `?${filterOnly}` : null,
    nextPage: transactions.pageInfo.hasNextPage ? `?${next}` : null,
    csv: `/transactions/export.csv?${filterOnly}`,
    refundKey: newIdempotencyKey(),
  };
};

export const actions: Actions = {
  /** A full refund. A second one answers "A refund has already been issued", at the row. */
  refund: async (event) => {
    const values = textFields(await event.request.formData());
    return attempt('refund', values, async () => {
      if (!IDEMPOTENCY_KEY.test(values.idempotencyKey ?? ''))
        throw new FieldProblem('form', 'This page is out of date: reload it and try again.');
      const { refundTransaction } = await merchantApi(event).request(ConsoleRefundTransactionDocument, {
        id: values.id ?? '',
        idempotencyKey: values.idempotencyKey,
      });
      if (refundTransaction.status === 'FAILED') {
        return fail(400, {
          form: 'refund',
          values,
          errors: {},
          message: `The refund failed: ${refundTransaction.failureMessage ?? 'the processor refused it.'}`,
        });
      }
      const code = refundTransaction.authorizationCode ? ` (${refundTransaction.authorizationCode})` : '';
      return {
        form: 'refund',
        values,
        done: `Refund of ${refundTransaction.amount.formatted} ${refundTransaction.status.toLowerCase()}${code}.`,
      };
    });
  },
  reconcile: async (event) => {
    const data = await event.request.formData();
    const ids = data.getAll('transactionId').map(String);
    if (!ids.length) return fail(400, { form: 'reconcile', values: {}, errors: {}, message: 'Select the transactions you reconciled.' });
    return attempt('reconcile', {}, async () => {
      const { markReconciled } = await merchantApi(event).request(ConsoleMarkReconciledDocument, { transactionIds: ids });
      return {
        form: 'reconcile',
        done: `${markReconciled.length} transaction${markReconciled.length === 1 ? '' : 's'} marked reconciled.`,
      };
    });
  },
};
