import 'reflect-metadata';
import './enums.js';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { type GraphQLSchema, lexicographicSortSchema } from 'graphql';
import { type BuildSchemaOptions, type PubSub, buildSchema } from 'type-graphql';
import { CheckoutCardSetupResolver, CheckoutResolver, PublicPaymentResultResolver } from '../modules/checkout/checkout.resolver.js';
import { CustomerResolver } from '../modules/customer/customer.resolver.js';
import { InvoiceResolver } from '../modules/invoice/invoice.resolver.js';
import { MerchantResolver } from '../modules/merchant/merchant.resolver.js';
import { PartnerResolver } from '../modules/partner/partner.resolver.js';
import { PaymentEventResolver } from '../modules/partner/payment-event.resolver.js';
import { TransactionResolver } from '../modules/transaction/transaction.resolver.js';
import { PaymentResolver } from '../modules/payment/payment.resolver.js';
import { VaultResolver } from '../modules/vault/vault.resolver.js';
import { RefundResolver } from '../modules/refund/refund.resolver.js';
import { SettlementReportResolver, TransactionLogResolver } from '../modules/report/report.resolver.js';
import { applySupervisorDirective, supervisorDirective } from './directives.js';
import { DateTimeScalar, MinorUnitsScalar } from './scalars.js';

/**
 * type-graphql wants a PubSub as soon as a schema has subscriptions. Ours bring their own event
 * streams, read from the outbox (OutboxFeed): an in-memory PubSub would miss what other instances do.
 */
const outboxOnly: PubSub = {
  publish() {
    throw new Error('Subscriptions are fed by the outbox (OutboxFeed), not by publishing');
  },
  subscribe() {
    throw new Error('Subscriptions are fed by the outbox (OutboxFeed); use @Subscription({ subscribe })');
  },
};

const common: Omit<BuildSchemaOptions, 'resolvers'> = {
  scalarsMap: [
    { type: Date, scalar: DateTimeScalar },
    { type: BigInt, scalar: MinorUnitsScalar },
  ],
  validate: { forbidUnknownValues: false, stopAtFirstError: false },
  emitSchemaFile: false,
  pubSub: outboxOnly,
};

/** The merchant schema (POST /graphql, API key auth). */
export async function buildMerchantSchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    ...common,
    resolvers: [
      MerchantResolver,
      CustomerResolver,
      InvoiceResolver,
      TransactionResolver,
      PaymentResolver,
      VaultResolver,
      RefundResolver,
      TransactionLogResolver,
      SettlementReportResolver,
      PartnerResolver,
      PaymentEventResolver,
    ],
    directives: [supervisorDirective],
  });
  return applySupervisorDirective(schema);
}

/** The public checkout schema (POST /checkout/graphql): link and card-setup operations only. */
export async function buildCheckoutSchema(): Promise<GraphQLSchema> {
  return buildSchema({ ...common, resolvers: [CheckoutResolver, PublicPaymentResultResolver, CheckoutCardSetupResolver] });
}

/** The SDL committed in packages/schema: sorted, with directive usages such as `@supervisor`. */
export function printSdl(schema: GraphQLSchema): string {
  return `${printSchemaWithDirectives(lexicographicSortSchema(schema))}\n`;
}
