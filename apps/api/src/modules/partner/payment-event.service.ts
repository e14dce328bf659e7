import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode, badInput, notFound } from '../../domain/errors.js';
import { isUuid } from '../../domain/tokens.js';
import { Invoice } from '../invoice/invoice.entity.js';
import type { MerchantActor } from '../merchant/actor.js';
import { type OutboxFeed, type OutboxRow, invoiceIdsOf } from '../outbox/outbox-feed.js';
import type { PartnerActor } from './partner-actor.js';
import type { PartnerService } from './partner.service.js';
import { decodeEventCursor } from './payment-event.cursor.js';

export type PaymentEventSubscriber = { kind: 'merchant'; actor: MerchantActor } | { kind: 'partner'; actor: PartnerActor };

export interface PaymentEventFilter {
  merchantId?: string | null;
  invoiceId?: string | null;
  after?: string | null;
}

/** Forbidden and unknown merchants answer alike: the answer tells nothing about which merchants exist. */
const forbidden = (message: string) => new DomainError(ErrorCode.FORBIDDEN, message, { field: 'merchantId' });

/** The payment status stream: every outbox event of a merchant's transactions, to the merchant and the partners it granted. */
export class PaymentEventService {
  constructor(
    private readonly em: EntityManager,
    private readonly feed: OutboxFeed,
    private readonly partners: PartnerService,
  ) {}

  /**
   * Checks everything before the first event (cursor, merchant, grant, invoice), then streams the
   * merchant's transaction events after the cursor (or from now), replayed then live. For a partner,
   * access can only change through a grant event of the same outbox, so the grant is checked again
   * at each one: a revoke ends the stream with FORBIDDEN at its place in the order, before any later event.
   * A stream also ends, UNAUTHENTICATED, when the operator revokes the merchant or partner key that opened it.
   */
  async stream(subscriber: PaymentEventSubscriber, filter: PaymentEventFilter): Promise<AsyncIterableIterator<OutboxRow>> {
    const after = filter.after === undefined || filter.after === null ? undefined : decodeEventCursor(filter.after);
    const merchantId = await this.authorizedMerchant(subscriber, filter.merchantId ?? null);
    const invoiceId = filter.invoiceId ?? null;
    if (invoiceId !== null && !(isUuid(invoiceId) && (await this.em.count(Invoice, { id: invoiceId, merchant: merchantId })) > 0)) {
      throw notFound('invoice', 'invoiceId');
    }
    const partnerId = subscriber.kind === 'partner' ? subscriber.actor.partnerId : null;
    const keyEvent = subscriber.kind === 'merchant' ? 'api_key' : 'partner_api_key';
    return this.feed.watch<OutboxRow>({
      merchantId,
      after: after ?? (await this.feed.currentPosition()),
      project: async (row) => {
        if (partnerId !== null && row.aggregateType === 'partner_grant' && row.payload.partnerId === partnerId) {
          if (!(await this.partners.hasAccess(partnerId, merchantId))) throw forbidden('The merchant revoked this partner\'s access');
          return undefined;
        }
        if (row.aggregateType === keyEvent && row.aggregateId === subscriber.actor.apiKeyId) {
          throw new DomainError(ErrorCode.UNAUTHENTICATED, 'The API key of this subscription was revoked');
        }
        if (row.aggregateType !== 'transaction') return undefined;
        if (invoiceId !== null && !invoiceIdsOf(row).includes(invoiceId)) return undefined;
        return row;
      },
    });
  }

  private async authorizedMerchant(subscriber: PaymentEventSubscriber, requested: string | null): Promise<string> {
    if (subscriber.kind === 'merchant') {
      if (requested !== null && requested !== subscriber.actor.merchantId) throw forbidden('A merchant key follows its own merchant only');
      return subscriber.actor.merchantId;
    }
    if (requested === null) throw badInput('merchantId', 'A partner key must name the merchant to follow');
    if (!(await this.partners.hasAccess(subscriber.actor.partnerId, requested))) throw forbidden('This partner has no access to that merchant');
    return requested;
  }
}
