import { type EntityManager, LockMode, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import type { Clock } from '../../domain/clock.js';
import { badInput, DomainError, ErrorCode, notFound } from '../../domain/errors.js';
import { PaymentMethodKind } from '../../domain/statuses.js';
import { generateSecret, hashToken, isUuid } from '../../domain/tokens.js';
import type { Settings } from '../../kit/settings.js';
import { type PaymentMethodDetails, ProcessorError, type SavedPaymentMethod } from '../../processors/processor.port.js';
import type { MerchantProcessors } from '../../processors/processor-account.port.js';
import type { AuditService } from '../audit/index.js';
import { Customer } from '../customer/index.js';
import { queueEmail } from '../email/index.js';
import type { MerchantActor } from '../merchant/index.js';
import { recordEvent } from '../outbox/index.js';
import { CardSetupLink } from './card-setup-link.entity.js';
import { VaultedCard } from './vaulted-card.entity.js';

export enum CardSetupLinkStatus {
  ACTIVE = 'ACTIVE',
  USED = 'USED',
  EXPIRED = 'EXPIRED',
}

export interface IssuedCardSetupLink {
  link: CardSetupLink;
  /** Exists only now: only a hash of the token is stored. */
  url: string;
}

export interface PublicCardSetupView {
  /** Internal: the branding of the page is read by it. */
  merchantId: string;
  merchantName: string;
  customerName: string;
  status: CardSetupLinkStatus;
  expiresAt: Date;
}

const fundingKind: Record<string, PaymentMethodKind> = {
  debit: PaymentMethodKind.DEBIT_CARD,
  prepaid: PaymentMethodKind.PREPAID_CARD,
};

/**
 * The customer's card vault (the seeds' KPVault tab). Seeing and changing it is guarded by the
 * `@supervisor` directive at the API; charging a saved card is not (see PaymentService). Cards are
 * saved at the processor; we keep its payment-method id and what a receipt shows, never a number.
 */
export class VaultService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly settings: Settings,
    private readonly processors: MerchantProcessors,
    private readonly audit: AuditService,
  ) {}

  /** The customer's live (not deleted) cards, newest first. */
  async listCards(actor: MerchantActor, customerId: string): Promise<VaultedCard[]> {
    return this.em.find(
      VaultedCard,
      { customer: customerId, merchant: actor.merchantId, deletedAt: null },
      { orderBy: { createdAt: 'desc' } },
    );
  }

  /** "Add New CC": staff save a card they tokenised for the customer. */
  async addCard(actor: MerchantActor, customerId: string, paymentMethodToken: string): Promise<VaultedCard> {
    const customer = await this.ownedCustomer(actor, customerId);
    const card = await this.save(customer, paymentMethodToken, `vault:${actor.merchantId}:${paymentMethodToken}`);
    await this.audit.record({
      merchantId: actor.merchantId,
      actor,
      action: 'vault.card.added',
      targetType: 'vaulted_card',
      targetId: card.id,
      details: { customerId, brand: card.brand, last4: card.last4 },
    });
    return card;
  }

  /** Detaches the card at the processor, then removes it from every list: it can no longer be charged. */
  async deleteCard(actor: MerchantActor, cardId: string): Promise<void> {
    const card = isUuid(cardId) ? await this.em.findOne(VaultedCard, { id: cardId, merchant: actor.merchantId }) : null;
    if (!card) throw notFound('vaulted card', 'id');
    if (card.deletedAt) throw new DomainError(ErrorCode.ALREADY_DELETED, 'This card was already deleted from the vault', { field: 'id' });
    try {
      await (await this.processors.of(actor.merchantId)).detachPaymentMethod(card.processorPaymentMethodId);
    } catch (error) {
      // Already gone at the processor: the vault may forget it too.
      if (!(error instanceof ProcessorError) || error.retryable) throw error;
    }
    await this.em.transactional(async (tx) => {
      const locked = await tx.findOneOrFail(VaultedCard, { id: card.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (locked.deletedAt)
        throw new DomainError(ErrorCode.ALREADY_DELETED, 'This card was already deleted from the vault', { field: 'id' });
      locked.deletedAt = this.clock.now();
      recordEvent(
        tx,
        {
          merchantId: actor.merchantId,
          aggregateType: 'vaulted_card',
          aggregateId: card.id,
          type: 'vaulted_card.deleted',
          payload: { customerId: card.customer.id },
        },
        locked.deletedAt,
      );
    });
    await this.audit.record({
      merchantId: actor.merchantId,
      actor,
      action: 'vault.card.deleted',
      targetType: 'vaulted_card',
      targetId: card.id,
      details: { customerId: card.customer.id, last4: card.last4 },
    });
  }

  /** "Send New CC Link": emails the customer a single-use link to add a card themselves. */
  async sendCardSetupLink(actor: MerchantActor, customerId: string): Promise<IssuedCardSetupLink> {
    const issued = await this.em.transactional(async (tx) => {
      const customer = isUuid(customerId)
        ? await tx.findOne(Customer, { id: customerId, merchant: actor.merchantId }, { populate: ['merchant'] })
        : null;
      if (!customer) throw notFound('customer', 'customerId');
      const now = this.clock.now();
      const token = generateSecret(32);
      const link = tx.create(CardSetupLink, {
        merchant: actor.merchantId,
        customer,
        tokenHash: hashToken(token),
        expiresAt: new Date(now.getTime() + this.settings.cardSetupLinkTtlDays * 86_400_000),
        createdAt: now,
      });
      const url = `${this.settings.checkoutUrl}/card/${token}`;
      await queueEmail(
        tx,
        {
          merchantId: actor.merchantId,
          to: customer.email,
          template: 'card-setup-link',
          data: {
            merchantName: customer.merchant.name,
            customerName: customer.name,
            setupUrl: url,
            expiresAt: link.expiresAt.toISOString(),
          },
          related: { type: 'card_setup_link', id: link.id },
        },
        now,
      );
      return { link, url };
    });
    await this.audit.record({
      merchantId: actor.merchantId,
      actor,
      action: 'vault.card_setup_link.sent',
      targetType: 'customer',
      targetId: customerId,
      details: { linkId: issued.link.id, expiresAt: issued.link.expiresAt.toISOString() },
    });
    return issued;
  }

  /** The add-card page's view; null for a token we never issued. */
  async findPublicSetupLink(token: string): Promise<PublicCardSetupView | null> {
    const link = await this.em.findOne(CardSetupLink, { tokenHash: hashToken(token) }, { populate: ['merchant', 'customer'] });
    if (!link) return null;
    return {
      merchantId: link.merchant.id,
      merchantName: link.merchant.name,
      customerName: link.customer.name,
      status: this.statusOf(link),
      expiresAt: link.expiresAt,
    };
  }

  /**
   * "Save CC Data": the customer's card lands in their vault and the link is used up. The link is
   * claimed first (so two submits cannot both save), the processor is called outside any
   * transaction, and a processor refusal gives the link back for another try.
   */
  async saveCardWithLink(token: string, paymentMethodToken: string): Promise<VaultedCard> {
    const claimed = await this.em.fork().transactional(async (tx) => {
      const link = await tx.findOne(CardSetupLink, { tokenHash: hashToken(token) }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!link) throw new DomainError(ErrorCode.NOT_FOUND, 'This add-card link does not exist');
      const status = this.statusOf(link);
      if (status === CardSetupLinkStatus.USED)
        throw new DomainError(ErrorCode.CARD_SETUP_LINK_USED, 'This link was already used to save a card');
      if (status === CardSetupLinkStatus.EXPIRED)
        throw new DomainError(ErrorCode.CARD_SETUP_LINK_EXPIRED, 'This link has expired: ask for a new one');
      link.usedAt = this.clock.now();
      return link;
    });
    try {
      const customer = await this.em.fork().findOneOrFail(Customer, { id: claimed.customer.id });
      const card = await this.save(customer, paymentMethodToken, `card-setup:${claimed.id}`);
      await this.em.fork().nativeUpdate(CardSetupLink, { id: claimed.id }, { vaultedCardId: card.id });
      await this.audit.record({
        merchantId: claimed.merchant.id,
        actorType: 'customer',
        action: 'vault.card.added_by_customer',
        targetType: 'vaulted_card',
        targetId: card.id,
        details: { customerId: customer.id, linkId: claimed.id, brand: card.brand, last4: card.last4 },
      });
      return card;
    } catch (error) {
      await this.em.fork().nativeUpdate(CardSetupLink, { id: claimed.id, vaultedCardId: null }, { usedAt: null });
      throw error;
    }
  }

  private statusOf(link: CardSetupLink): CardSetupLinkStatus {
    if (link.usedAt) return CardSetupLinkStatus.USED;
    return link.expiresAt <= this.clock.now() ? CardSetupLinkStatus.EXPIRED : CardSetupLinkStatus.ACTIVE;
  }

  private async ownedCustomer(actor: MerchantActor, customerId: string): Promise<Customer> {
    const customer = isUuid(customerId) ? await this.em.findOne(Customer, { id: customerId, merchant: actor.merchantId }) : null;
    if (!customer) throw notFound('customer', 'customerId');
    return customer;
  }

  /** Saves the token at the processor (for the customer's processor record) and records the card. */
  private async save(customer: Customer, paymentMethodToken: string, idempotencyKey: string): Promise<VaultedCard> {
    // Saved on the merchant's own account, which must be able to take charges (PROCESSOR_ACCOUNT_NOT_READY otherwise).
    const processor = await this.processors.ready(customer.merchant.id);
    let saved: SavedPaymentMethod;
    try {
      saved = await processor.savePaymentMethod({
        idempotencyKey,
        paymentMethod: paymentMethodToken,
        customerReference: customer.processorCustomerId ?? null,
        customerName: customer.name,
        customerEmail: customer.email,
        metadata: { customerId: customer.id, merchantId: customer.merchant.id },
      });
    } catch (error) {
      if (error instanceof ProcessorError && !error.retryable) {
        // Our own words: a processor's message may echo the token back, and a token field may hold anything.
        if (error.code === 'INVALID_PAYMENT_METHOD') {
          throw new DomainError(
            ErrorCode.INVALID_PAYMENT_METHOD,
            'The payment method token is not one the processor issued, or cannot be saved',
            { field: 'paymentMethodToken', reason: error.code },
          );
        }
        throw new DomainError(ErrorCode.BAD_USER_INPUT, 'The processor refused to save this card', {
          field: 'paymentMethodToken',
          reason: error.code,
        });
      }
      throw new DomainError(
        ErrorCode.PROCESSOR_UNAVAILABLE,
        'The payment processor did not answer; nothing was saved. Please retry.',
        {},
        true,
      );
    }
    const details: PaymentMethodDetails = saved.paymentMethod;
    if (details.type !== 'card' || !details.last4 || !details.expMonth || !details.expYear) {
      throw badInput('paymentMethodToken', 'Only cards can be saved in the vault');
    }
    return this.em.fork().transactional(async (tx) => {
      const owner = await tx.findOneOrFail(Customer, { id: customer.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      owner.processorCustomerId ??= saved.customerReference;
      const card = tx.create(VaultedCard, {
        merchant: owner.merchant,
        customer: owner,
        processorPaymentMethodId: details.reference,
        processorCustomerId: saved.customerReference,
        brand: details.brand ?? 'card',
        last4: details.last4!,
        expMonth: details.expMonth!,
        expYear: details.expYear!,
        funding: fundingKind[details.funding ?? ''] ?? PaymentMethodKind.CREDIT_CARD,
        createdAt: this.clock.now(),
      });
      recordEvent(
        tx,
        {
          merchantId: owner.merchant.id,
          aggregateType: 'vaulted_card',
          aggregateId: card.id,
          type: 'vaulted_card.added',
          payload: { customerId: owner.id, brand: card.brand, last4: card.last4 },
        },
        this.clock.now(),
      );
      try {
        await tx.flush();
      } catch (error) {
        if (error instanceof UniqueConstraintViolationException)
          throw new DomainError(ErrorCode.DUPLICATE, 'This card is already in the vault', { field: 'paymentMethodToken' });
        throw error;
      }
      return card;
    });
  }
}
