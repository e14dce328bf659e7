import { type EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import type { Clock } from '../../domain/clock.js';
import { isEmailAddress } from '../../domain/email-address.js';
import { badInput, DomainError, ErrorCode, notFound } from '../../domain/errors.js';
import { isUuid } from '../../domain/tokens.js';
import type { AuditService } from '../audit/index.js';
import type { MerchantActor } from '../merchant/index.js';
import { recordEvent } from '../outbox/index.js';
import { Customer } from './customer.entity.js';
import { type CustomerSearch, searchCustomers } from './customer-search.sql.js';

export interface CreateCustomer {
  name: string;
  email: string;
  externalRef?: string | null;
}

/** Absent: unchanged; `externalRef: null` (or empty) clears it. */
export interface UpdateCustomer {
  name?: string | null;
  email?: string | null;
  externalRef?: string | null;
}

const duplicateRef = (externalRef: string | null | undefined) =>
  new DomainError(ErrorCode.DUPLICATE, `A customer with externalRef "${externalRef}" already exists`, { field: 'externalRef' });

export class CustomerService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  /** Another merchant's customer answers exactly like an id that does not exist. */
  async find(actor: MerchantActor, id: string): Promise<Customer | null> {
    if (!isUuid(id)) return null;
    return this.em.findOne(Customer, { id, merchant: actor.merchantId });
  }

  private async findOrFail(actor: MerchantActor, id: string): Promise<Customer> {
    const customer = await this.find(actor, id);
    if (!customer) throw notFound('customer', 'id');
    return customer;
  }

  async list(actor: MerchantActor, search: CustomerSearch) {
    return searchCustomers(this.em, actor.merchantId, search);
  }

  async create(actor: MerchantActor, input: CreateCustomer): Promise<Customer> {
    const email = input.email.trim().toLowerCase();
    // Checked here too, for callers other than the GraphQL input (the seed, the CLI, imports).
    if (!isEmailAddress(email)) throw badInput('email', 'email must be a valid email address');
    const now = this.clock.now();
    const customer = this.em.create(Customer, {
      merchant: actor.merchantId,
      name: input.name.trim(),
      email,
      externalRef: input.externalRef?.trim() || null,
      createdAt: now,
    });
    try {
      await this.em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw duplicateRef(input.externalRef);
      throw error;
    }
    return customer;
  }

  /** Corrects a customer's name, email (e.g. a wrong accounts-payable address) or external reference. */
  async update(actor: MerchantActor, id: string, input: UpdateCustomer): Promise<Customer> {
    const next: Partial<Pick<Customer, 'name' | 'email' | 'externalRef'>> = {};
    if (input.name !== undefined) {
      if (!input.name?.trim()) throw badInput('name', 'name must not be empty');
      next.name = input.name.trim();
    }
    if (input.email !== undefined) {
      const email = input.email?.trim().toLowerCase() ?? '';
      if (!isEmailAddress(email)) throw badInput('email', 'email must be a valid email address');
      next.email = email;
    }
    if (input.externalRef !== undefined) next.externalRef = input.externalRef?.trim() || null;
    const customer = await this.findOrFail(actor, id);
    const before = { name: customer.name, email: customer.email, externalRef: customer.externalRef ?? null };
    const changed = Object.keys(next).filter((key) => next[key as keyof typeof next] !== before[key as keyof typeof before]);
    if (!changed.length) return customer;
    try {
      await this.em.transactional(async (tx) => {
        tx.assign(await tx.findOneOrFail(Customer, customer.id), next);
        recordEvent(
          tx,
          {
            merchantId: actor.merchantId,
            aggregateType: 'customer',
            aggregateId: customer.id,
            type: 'customer.updated',
            payload: { changed },
          },
          this.clock.now(),
        );
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw duplicateRef(next.externalRef);
      throw error;
    }
    await this.audit.record({
      merchantId: actor.merchantId,
      actor,
      action: 'customer.updated',
      targetType: 'customer',
      targetId: customer.id,
      details: Object.fromEntries(
        changed.map((key) => [key, { from: before[key as keyof typeof before], to: next[key as keyof typeof next] }]),
      ),
    });
    return customer;
  }

  /** No new invoices for an archived customer; its invoices, payments and cards stay. */
  async archive(actor: MerchantActor, id: string): Promise<Customer> {
    return this.setArchived(actor, id, true);
  }

  async restore(actor: MerchantActor, id: string): Promise<Customer> {
    return this.setArchived(actor, id, false);
  }

  private async setArchived(actor: MerchantActor, id: string, archived: boolean): Promise<Customer> {
    const customer = await this.findOrFail(actor, id);
    if (Boolean(customer.archivedAt) === archived) return customer;
    await this.em.transactional(async (tx) => {
      const now = this.clock.now();
      (await tx.findOneOrFail(Customer, customer.id)).archivedAt = archived ? now : null;
      recordEvent(
        tx,
        {
          merchantId: actor.merchantId,
          aggregateType: 'customer',
          aggregateId: customer.id,
          type: archived ? 'customer.archived' : 'customer.restored',
          payload: {},
        },
        now,
      );
    });
    await this.audit.record({
      merchantId: actor.merchantId,
      actor,
      action: archived ? 'customer.archived' : 'customer.restored',
      targetType: 'customer',
      targetId: customer.id,
    });
    return customer;
  }
}

/** For modules that start something new for a customer (an invoice): an archived one answers CUSTOMER_ARCHIVED. */
export function assertCustomerActive(customer: Customer): void {
  if (customer.archivedAt)
    throw new DomainError(ErrorCode.CUSTOMER_ARCHIVED, `Customer ${customer.name} is archived: restore it first`, { field: 'customerId' });
}
