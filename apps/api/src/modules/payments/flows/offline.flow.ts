import { randomUUID } from 'node:crypto';
import { badInput, DomainError, ErrorCode } from '../../../domain/errors.js';
import { payableNow } from '../../../domain/invoice-amounts.js';
import { PaymentChannel, PaymentMethodKind, SettlementState, TransactionKind, TransactionStatus } from '../../../domain/statuses.js';
import { claimRequest } from '../../idempotency/index.js';
import { assertTakesPayments, lockInvoices } from '../../invoice/index.js';
import type { MerchantActor } from '../../merchant/index.js';
import { offlineReport } from '../engine/outcome.js';
import { type LedgerTransaction, type NewTransaction, readChargeBegin } from '../ledger/ledger.js';
import { chargeAnswer } from './charge.js';
import { currentTransaction, type FlowDeps } from './flow-deps.js';

const OFFLINE_METHODS = new Set([PaymentMethodKind.CHECK, PaymentMethodKind.CASH, PaymentMethodKind.OTHER]);

export interface OfflinePaymentInput {
  invoiceId: string;
  amount: bigint;
  method: PaymentMethodKind;
  /** Check number, receipt number, ...: kept as the authorization code. */
  reference?: string | null;
}

/**
 * The invoice was paid outside any processor (a check, cash): recorded like every attempt, and
 * answered by the merchant's own word instead of a processor's (SUCCEEDED and settled at once,
 * no fee). Refunding it later is offline too.
 */
export async function recordOfflinePayment(
  deps: FlowDeps,
  actor: MerchantActor,
  input: OfflinePaymentInput,
  idempotencyKey: string,
): Promise<LedgerTransaction> {
  if (!OFFLINE_METHODS.has(input.method)) throw badInput('method', 'An offline payment is a CHECK, CASH or OTHER');
  if (input.amount <= 0n) throw badInput('amount', 'amount must be above zero');
  const claim = claimRequest(`merchant:${actor.merchantId}`, idempotencyKey, 'recordOfflinePayment', input);
  const outcome = await deps.engine.run({
    async begin(sql) {
      const [invoice] = await lockInvoices(sql, actor.merchantId, [input.invoiceId], 'invoiceId');
      const facts = await readChargeBegin(sql, {
        invoiceIds: [invoice.id],
        linkId: null,
        claim,
        merchantId: actor.merchantId,
        transactionKey: idempotencyKey,
        customerId: null,
      });
      const offlinePayment = (): NewTransaction => {
        const { amounts } = facts.invoices.get(invoice.id)!;
        assertTakesPayments(invoice, amounts);
        const payable = payableNow(amounts);
        if (input.amount > payable) {
          throw new DomainError(ErrorCode.AMOUNT_EXCEEDS_DUE, `The payment exceeds what is payable on invoice ${invoice.number}`, {
            field: 'amount',
            payable: payable.toString(),
          });
        }
        return {
          id: randomUUID(),
          merchantId: actor.merchantId,
          customerId: invoice.customerId,
          kind: TransactionKind.CHARGE,
          status: TransactionStatus.PENDING,
          channel: PaymentChannel.OFFLINE,
          method: input.method,
          amount: input.amount,
          currency: invoice.currency,
          authorizationCode: input.reference?.trim() || null,
          transactionKey: idempotencyKey,
          requiresManualReconciliation: false,
          settlement: SettlementState.PENDING,
          allocations: [{ invoiceId: invoice.id, amount: input.amount }],
        };
      };
      return {
        claim: { request: claim, row: facts.claim },
        existing: facts.existing ? [facts.existing] : [],
        awaitingAction: facts.awaitingAction,
        plan: () => ({ transactions: [offlinePayment()], events: [], answeredNow: offlineReport }),
      };
    },
    result: ([transaction]) => transaction.id,
  });
  return chargeAnswer(outcome, (id) => currentTransaction(deps, id));
}
