import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, DomainError, ErrorCode, notFound } from '../../domain/errors.js';
import { isUuid } from '../../domain/tokens.js';
import { Invoice } from '../invoice/index.js';
import type { MerchantActor } from '../merchant/index.js';
import { invoiceIdsOf, type OutboxFeed, type OutboxRow, prunedThrough } from '../outbox/index.js';
import type { GrantPeriod, PartnerService } from './partner.service.js';
import type { PartnerActor } from './partner-actor.js';
import type { PaymentEventCursors } from './payment-event.cursor.js';

export type PaymentEventSubscriber = { kind: 'merchant'; actor: MerchantActor } | { kind: 'partner'; actor: PartnerActor };

export interface PaymentEventFilter {
  merchantId?: string | null;
  invoiceId?: string | null;
  after?: string | null;
}

/** Forbidden and unknown merchants answer alike: the answer tells nothing about which merchants exist. */
const forbidden = (message: string) => new DomainError(ErrorCode.FORBIDDEN, message, { field: 'merchantId' });

const within = (periods: GrantPeriod[], position: bigint) =>
  periods.some((period) => position > period.from && (period.to === null || position < period.to));

/** The payment status stream: every outbox event of a merchant's transactions, to the merchant and the partners it granted. */
export class PaymentEventService {
  constructor(
    private readonly em: EntityManager,
    private readonly feed: OutboxFeed,
    private readonly partners: PartnerService,
    private readonly cursors: PaymentEventCursors,
  ) {}

  /** The cursor to resume right after `event`, for its merchant's stream. */
  cursorOf(event: OutboxRow): string {
    return this.cursors.issue(event.merchantId!, event.position);
  }

  /**
   * Checks everything before the first event (merchant, grant, cursor, invoice), then streams the
   * merchant's transaction events after the cursor (or from now), replayed then live.
   *
   * A partner sees only the events inside its periods of access (after a grant, before its revoke),
   * however old its cursor: nothing from before it was granted, nothing from while it was revoked.
   * Access changes only through grant events of the same outbox, so the periods are read again at
   * each one: a revoke with no newer grant ends the stream with FORBIDDEN at its place in the order,
   * before any later event; a revoke already followed by a new grant (a replay across it) goes on,
   * skipping the events in between.
   * A stream also ends, UNAUTHENTICATED, when the operator revokes the merchant or partner key that opened it.
   */
  async stream(subscriber: PaymentEventSubscriber, filter: PaymentEventFilter): Promise<AsyncIterableIterator<OutboxRow>> {
    const merchantId = await this.authorizedMerchant(subscriber, filter.merchantId ?? null);
    const after = filter.after === undefined || filter.after === null ? undefined : this.cursors.read(merchantId, filter.after);
    if (after !== undefined && after < (await prunedThrough(this.em))) {
      throw new DomainError(
        ErrorCode.CURSOR_EXPIRED,
        'The cursor is older than the events kept (OUTBOX_RETENTION_DAYS): events after it were pruned. Subscribe without `after` to start from now, and reconcile the gap from the transaction list',
        { field: 'after' },
      );
    }
    const invoiceId = filter.invoiceId ?? null;
    if (invoiceId !== null && !(isUuid(invoiceId) && (await this.em.count(Invoice, { id: invoiceId, merchant: merchantId })) > 0)) {
      throw notFound('invoice', 'invoiceId');
    }
    const partnerId = subscriber.kind === 'partner' ? subscriber.actor.partnerId : null;
    // The event that ends the credential: a key's revocation, or a staff session's end (sign-out, removal...).
    const keyEvent =
      subscriber.kind === 'partner'
        ? 'partner_api_key'
        : subscriber.actor.credential.kind === 'staff_session'
          ? 'staff_session'
          : 'api_key';
    let periods = partnerId === null ? [] : await this.partners.grantPeriods(partnerId, merchantId);
    return this.feed.watch<OutboxRow>({
      merchantId,
      after: after ?? (await this.feed.currentPosition()),
      project: async (row) => {
        if (partnerId !== null && row.aggregateType === 'partner_grant' && row.payload.partnerId === partnerId) {
          periods = await this.partners.grantPeriods(partnerId, merchantId);
          if (!periods.some((period) => period.to === null)) throw forbidden("The merchant revoked this partner's access");
          return undefined;
        }
        // Only the credential's end: its start (a session's sign-in) may lie after a cursor too.
        if (row.aggregateType === keyEvent && row.aggregateId === subscriber.actor.apiKeyId && row.type !== 'staff_session.started') {
          throw new DomainError(ErrorCode.UNAUTHENTICATED, 'The API key of this subscription was revoked');
        }
        if (row.aggregateType !== 'transaction') return undefined;
        if (partnerId !== null && !within(periods, row.position)) return undefined;
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
    if (!(await this.partners.hasAccess(subscriber.actor.partnerId, requested)))
      throw forbidden('This partner has no access to that merchant');
    return requested;
  }
}
