import type { SubscribeResolverData } from 'type-graphql';
import { Args, Ctx, Resolver, Root, Subscription } from 'type-graphql';
import type { Loader } from '../../kit/graphql/context.js';
import { useEventScope } from '../../kit/graphql/event-scope.js';
import { type Invoice, InvoiceType } from '../invoice/index.js';
import { invoiceIdsOf, type OutboxRow } from '../outbox/index.js';
import { type Transaction, TransactionType } from '../payments/index.js';
import type { SubscriptionContext } from './partner.context.js';
import type { PaymentEventService, PaymentEventSubscriber } from './payment-event.service.js';
import { PaymentEventType, PaymentStatusChangedArgs } from './payment-event.types.js';

/** What these resolvers use of a request's context. */
export type Context = SubscriptionContext<
  { paymentEvents: PaymentEventService },
  { transaction: Loader<Transaction | null>; invoice: Loader<Invoice | null> }
>;

function subscriberOf(ctx: Context): PaymentEventSubscriber {
  return 'partner' in ctx ? { kind: 'partner', actor: ctx.partner } : { kind: 'merchant', actor: ctx.actor };
}

@Resolver()
export class PaymentEventResolver {
  @Subscription(() => PaymentEventType, {
    description:
      'Every state change of the transactions of a merchant, for the merchant (merchant key) and the partners it granted access (partner key), over graphql-ws. Resumable: pass the last cursor received as `after`.',
    subscribe: ({ args, context }: SubscribeResolverData<OutboxRow, PaymentStatusChangedArgs, Context>) =>
      context.services.paymentEvents.stream(subscriberOf(context), args),
  })
  async paymentStatusChanged(
    @Root() event: OutboxRow,
    @Ctx() ctx: Context,
    @Args() _args: PaymentStatusChangedArgs,
  ): Promise<PaymentEventType> {
    // Every subscriber on this instance resolves the same event: they share one unit of work for it.
    useEventScope(ctx, ctx.eventScopes.for(`outbox:${event.position}`));
    const transaction = await ctx.loaders.transaction.load(event.aggregateId);
    if (!transaction || transaction.merchant.id !== event.merchantId)
      throw new Error(`outbox event ${event.position} names no transaction of its merchant`);
    const invoices = await Promise.all(invoiceIdsOf(event).map((id) => ctx.loaders.invoice.load(id)));
    return Object.assign(new PaymentEventType(), {
      cursor: ctx.services.paymentEvents.cursorOf(event),
      type: event.type,
      occurredAt: event.occurredAt,
      transaction: TransactionType.from(transaction),
      invoices: invoices.filter((invoice) => invoice?.merchant.id === event.merchantId).map((invoice) => InvoiceType.from(invoice!)),
    });
  }
}
