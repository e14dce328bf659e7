import type { InvoiceStatus } from '@kometpay/schema/merchant';
import { ConsoleInvoicesDocument } from '@kometpay/schema/merchant';
import { env } from '$env/dynamic/private';
import { today } from '$lib/format';
import { merchantApi } from '$lib/server/api';
import type { PageServerLoad } from './$types';

const PAGE_SIZE = 25;
const STATUSES: InvoiceStatus[] = ['DRAFT', 'OPEN', 'PARTIALLY_PAID', 'PAID', 'VOID'];

/** Invoices, newest first, by status (tabs), keyset-paged. */
export const load: PageServerLoad = async (event) => {
  event.depends('kometpay:payments');
  const requested = event.url.searchParams.get('status');
  const status = STATUSES.find((value) => value === requested) ?? null;
  const after = event.url.searchParams.get('after') || null;
  const { invoices } = await merchantApi(event).request(ConsoleInvoicesDocument, { first: PAGE_SIZE, after, status });
  const next = new URLSearchParams(event.url.searchParams);
  if (invoices.pageInfo.endCursor) next.set('after', invoices.pageInfo.endCursor);
  return {
    status,
    statuses: STATUSES,
    paged: Boolean(after),
    invoices: invoices.edges.map((edge) => edge.node),
    nextPage: invoices.pageInfo.hasNextPage ? `?${next}` : null,
    today: today(env.CONSOLE_TIME_ZONE || 'UTC'),
  };
};
