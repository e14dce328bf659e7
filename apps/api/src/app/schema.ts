import 'reflect-metadata';
import '../kit/graphql/enums.js';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { type GraphQLSchema, lexicographicSortSchema } from 'graphql';
import { type BuildSchemaOptions, buildSchema, type PubSub } from 'type-graphql';
import { applySupervisorDirective, supervisorDirective } from '../kit/graphql/directives.js';
import { DateTimeScalar, MinorUnitsScalar } from '../kit/graphql/scalars.js';
import { AuditResolver } from '../modules/audit/audit.resolver.js';
import { CheckoutCardSetupResolver, CheckoutResolver, PublicPaymentResultResolver } from '../modules/checkout/checkout.resolver.js';
import { ProcessorResolver } from '../modules/checkout/processor.resolver.js';
import { PublicCardSetupLinkBrandingResolver, PublicPaymentLinkBrandingResolver } from '../modules/checkout/public-branding.resolver.js';
import { CreditMemoResolver } from '../modules/credit-memo/credit-memo.resolver.js';
import { CustomerResolver } from '../modules/customer/customer.resolver.js';
import { InvoiceResolver } from '../modules/invoice/invoice.resolver.js';
import { MerchantResolver } from '../modules/merchant/merchant.resolver.js';
import { PartnerResolver } from '../modules/partner/partner.resolver.js';
import { PaymentEventResolver } from '../modules/partner/payment-event.resolver.js';
import { DisputeResolver } from '../modules/payments/graphql/dispute.resolver.js';
import { CreditMemoRefundsResolver, PaymentsResolver } from '../modules/payments/graphql/payments.resolver.js';
import { TransactionResolver } from '../modules/payments/graphql/transaction.resolver.js';
import { ProcessorAccountResolver } from '../modules/processor-account/processor-account.resolver.js';
import { SettlementReportResolver, TransactionLogResolver } from '../modules/report/report.resolver.js';
import { TerminalResolver } from '../modules/terminal/terminal.resolver.js';
import { VaultResolver } from '../modules/vault/vault.resolver.js';

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

/** The merchant schema (POST /graphql, API key or staff session). */
export async function buildMerchantSchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    ...common,
    resolvers: [
      MerchantResolver,
      CustomerResolver,
      InvoiceResolver,
      TransactionResolver,
      DisputeResolver,
      PaymentsResolver,
      TerminalResolver,
      VaultResolver,
      CreditMemoResolver,
      CreditMemoRefundsResolver,
      TransactionLogResolver,
      SettlementReportResolver,
      PartnerResolver,
      PaymentEventResolver,
      AuditResolver,
      ProcessorResolver,
      ProcessorAccountResolver,
    ],
    directives: [supervisorDirective],
  });
  return applySupervisorDirective(schema);
}

/** The public checkout schema (POST /checkout/graphql): link and card-setup operations only. */
export async function buildCheckoutSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    ...common,
    resolvers: [
      CheckoutResolver,
      ProcessorResolver,
      PublicPaymentResultResolver,
      CheckoutCardSetupResolver,
      PublicPaymentLinkBrandingResolver,
      PublicCardSetupLinkBrandingResolver,
    ],
  });
}

/** The SDL committed in packages/schema: sorted, with directive usages such as `@supervisor`. */
export function printSdl(schema: GraphQLSchema): string {
  return `${printSchemaWithDirectives(lexicographicSortSchema(schema))}\n`;
}
