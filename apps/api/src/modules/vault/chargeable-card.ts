import type { EntityManager } from '@mikro-orm/postgresql';
import { notFound } from '../../domain/errors.js';
import { isUuid } from '../../domain/tokens.js';

/** A saved card a payment may use: the processor's payment method and the processor customer it is attached to. */
export interface ChargeableCard {
  processorPaymentMethodId: string;
  processorCustomerId: string;
}

/**
 * The card in the customer's vault that a payment names: the merchant's customer (NOT_FOUND on
 * `customerId` otherwise) and that customer's own card, not deleted (NOT_FOUND on `vaultedCardId`).
 * Charging a saved card needs no supervisor: staff pick it, they never see it.
 */
export async function findChargeableCard(
  em: EntityManager,
  merchantId: string,
  customerId: string,
  cardId: string,
): Promise<ChargeableCard> {
  if (!isUuid(customerId)) throw notFound('customer', 'customerId');
  const [row] = await em.execute<{ customer_id: string; payment_method: string | null; processor_customer: string | null }[]>(
    `select c.id as customer_id, v.processor_payment_method_id as payment_method, v.processor_customer_id as processor_customer
     from customer c
     left join vaulted_card v on v.id = ?::uuid and v.customer_id = c.id and v.merchant_id = c.merchant_id and v.deleted_at is null
     where c.id = ? and c.merchant_id = ?`,
    [isUuid(cardId) ? cardId : null, customerId, merchantId],
  );
  if (!row) throw notFound('customer', 'customerId');
  if (!row.payment_method || !row.processor_customer) throw notFound("card in this customer's vault", 'vaultedCardId');
  return { processorPaymentMethodId: row.payment_method, processorCustomerId: row.processor_customer };
}
