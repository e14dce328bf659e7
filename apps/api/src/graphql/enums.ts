import { registerEnumType } from 'type-graphql';
import {
  InvoiceStatus,
  PaymentChannel,
  PaymentLinkStatus,
  PaymentMethodKind,
  SettlementState,
  TransactionKind,
  TransactionStatus,
} from '../domain/statuses.js';

// The domain enums are framework-free; this is where GraphQL learns them.
registerEnumType(InvoiceStatus, { name: 'InvoiceStatus' });
registerEnumType(PaymentLinkStatus, { name: 'PaymentLinkStatus' });
registerEnumType(TransactionKind, { name: 'TransactionKind' });
registerEnumType(TransactionStatus, { name: 'TransactionStatus' });
registerEnumType(PaymentChannel, { name: 'PaymentChannel' });
registerEnumType(PaymentMethodKind, { name: 'PaymentMethodKind' });
registerEnumType(SettlementState, { name: 'SettlementState' });

export enum ProcessorKindEnum {
  SANDBOX = 'SANDBOX',
  STRIPE = 'STRIPE',
}
registerEnumType(ProcessorKindEnum, { name: 'ProcessorKind' });
