import { registerEnumType } from 'type-graphql';
import {
  DisputeStatus,
  InvoiceStatus,
  PaymentChannel,
  PaymentLinkStatus,
  PaymentMethodKind,
  SettlementState,
  TransactionKind,
  TransactionStatus,
} from '../../domain/statuses.js';

// The domain enums are framework-free; this is where GraphQL learns them.
registerEnumType(InvoiceStatus, { name: 'InvoiceStatus' });
registerEnumType(PaymentLinkStatus, { name: 'PaymentLinkStatus' });
registerEnumType(TransactionKind, { name: 'TransactionKind' });
registerEnumType(TransactionStatus, { name: 'TransactionStatus' });
registerEnumType(PaymentChannel, { name: 'PaymentChannel' });
registerEnumType(PaymentMethodKind, { name: 'PaymentMethodKind' });
registerEnumType(SettlementState, { name: 'SettlementState' });
registerEnumType(DisputeStatus, {
  name: 'DisputeStatus',
  description: 'NEEDS_RESPONSE (evidence is asked for) -> UNDER_REVIEW (evidence submitted) -> WON | LOST.',
});
