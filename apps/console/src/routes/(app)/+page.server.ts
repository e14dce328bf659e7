import { ConsoleHomeDocument } from '@kometpay/schema/merchant';
import { env } from '$env/dynamic/private';
import { startOfDay, today } from '$lib/format';
import { merchantApi } from '$lib/server/api';
import type { PageServerLoad } from './$types';

/** Home: today's payments, the invoices still open (overdue first), and the disputes waiting for an answer. */
export const load: PageServerLoad = async (event) => {
  event.depends('kometpay:payments');
  const timeZone = env.CONSOLE_TIME_ZONE || 'UTC';
  const day = today(timeZone);
  const home = await merchantApi(event).request(ConsoleHomeDocument, { since: startOfDay(day, timeZone) });
  const open = [...home.open.edges, ...home.partiallyPaid.edges].map((edge) => edge.node);
  const overdue = open.filter((invoice) => invoice.dueDate && invoice.dueDate < day);
  return {
    today: day,
    payments: home.today.edges.map((edge) => edge.node),
    paymentTotals: home.today.totals,
    overdue,
    open: open.filter((invoice) => !overdue.includes(invoice)),
    more: home.open.pageInfo.hasNextPage || home.partiallyPaid.pageInfo.hasNextPage,
    disputesNeedingResponse: home.needsResponse.edges.length,
    moreDisputes: home.needsResponse.pageInfo.hasNextPage,
  };
};
