// The payments area: the one engine for every way money moves, and the ledger that alone writes transactions.

export { Dispute } from './disputes/dispute.entity.js';
export { DisputesService } from './disputes/disputes.service.js';
export { type FaultStep, type Faults, noFaults } from './engine/faults.js';
export { onlineMandate } from './flows/ach-mandate.js';
export type { Context as DisputeResolverContext } from './graphql/dispute.resolver.js';
export type { Context as PaymentsResolverContext } from './graphql/payments.resolver.js';
export { PublicPaymentResultType } from './graphql/payments.types.js';
export type { Context as TransactionResolverContext } from './graphql/transaction.resolver.js';
export { TransactionType } from './graphql/transaction.types.js';
export type { LedgerTransaction } from './ledger/ledger.js';
export { lockCarried, lockLateSuccesses, lockSettledBy, markSettled, markSettlementReversed } from './ledger/ledger-settlement.js';
export { Transaction, TransactionAllocation } from './ledger/transaction.entity.js';
export { TRANSACTION_VIEW_COLUMNS, type TransactionView, type TransactionViewRow, transactionView } from './ledger/transaction.view.js';
export { PaymentsService } from './payments.service.js';
export { ProcessorEventRecord } from './processor-event.entity.js';
export { ReceiptService } from './receipts.service.js';
