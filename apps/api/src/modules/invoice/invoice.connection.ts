import type { InvoiceStatus } from '../../domain/statuses.js';
import { decodeCursor, encodeCursor, pageSize } from '../../kit/graphql/connection.js';
import type { Loader } from '../../kit/graphql/context.js';
import type { Customer } from '../customer/index.js';
import type { MerchantContext } from '../merchant/index.js';
import { listInvoices } from './invoice.service.js';
import { type InvoiceConnectionType, InvoiceType } from './invoice.types.js';

/** Builds an invoice connection page; shared by Query.invoices and Customer.invoices. */
export async function invoicePage(
  ctx: MerchantContext<unknown, { customer: Loader<Customer | null> }>,
  args: { first?: number | null; after?: string | null; status?: InvoiceStatus | null; customerId?: string | null },
): Promise<InvoiceConnectionType> {
  const { invoices, hasNextPage } = await listInvoices(ctx.em, ctx.actor, {
    first: pageSize(args.first),
    after: args.after ? decodeCursor(args.after) : undefined,
    status: args.status,
    customerId: args.customerId,
  });
  for (const invoice of invoices) ctx.loaders.customer.prime(invoice.customer.id, invoice.customer);
  const edges = invoices.map((invoice) => ({ cursor: encodeCursor(invoice), node: InvoiceType.from(invoice) }));
  return { edges, pageInfo: { hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
}
