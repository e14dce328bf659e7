import { formatMoney } from '@kometpay/money';
import { ConsoleSettlementReportDocument } from '@kometpay/schema/merchant';
import { env } from '$env/dynamic/private';
import { addDays, today } from '$lib/format';
import { merchantApi } from '$lib/server/api';
import type { PageServerLoad } from './$types';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The settlement report: per day, whether payments went through, and per payout; 30 days unless asked. */
export const load: PageServerLoad = async (event) => {
  event.depends('kometpay:payments');
  const end = today(env.CONSOLE_TIME_ZONE || 'UTC');
  const asked = { from: event.url.searchParams.get('from') ?? '', to: event.url.searchParams.get('to') ?? '' };
  const errors: Record<string, string> = {};
  if (asked.from && !DATE.test(asked.from)) errors.from = 'Enter a date.';
  if (asked.to && !DATE.test(asked.to)) errors.to = 'Enter a date.';
  let to = DATE.test(asked.to) ? asked.to : end;
  let from = DATE.test(asked.from) ? asked.from : addDays(to, -29);
  if (from > to) errors.to = 'The end is before the start.';
  else if (Date.parse(to) - Date.parse(from) > 365 * 86_400_000) errors.to = 'Choose at most 366 days.';
  if (Object.keys(errors).length) {
    to = end;
    from = addDays(end, -29);
  }
  const { settlementReport: report } = await merchantApi(event).request(ConsoleSettlementReportDocument, { from, to, currency: 'USD' });
  const days = report.days.map((day) => {
    const payouts = new Map<string, { reference: string; count: number; amount: bigint }>();
    for (const transaction of day.transactions) {
      if (transaction.kind !== 'CHARGE' || !transaction.settlementReference) continue;
      const payout = payouts.get(transaction.settlementReference) ?? { reference: transaction.settlementReference, count: 0, amount: 0n };
      payout.count++;
      payout.amount += BigInt(transaction.amount.amount);
      payouts.set(payout.reference, payout);
    }
    return {
      date: day.date,
      totals: day.totals,
      payouts: [...payouts.values()].map((payout) => ({ ...payout, amount: formatMoney(payout.amount, report.currency) })),
    };
  });
  return {
    asked: Object.keys(errors).length ? asked : { from, to },
    errors,
    report: { from: report.from, to: report.to, currency: report.currency, totals: report.totals },
    days,
    chartDays: report.days.map((day) => ({
      date: day.date,
      settled: day.totals.settled.amount,
      pending: day.totals.pending.amount,
      failed: day.totals.failed.amount,
    })),
    csv: `/settlement/export.csv?from=${report.from}&to=${report.to}`,
  };
};
