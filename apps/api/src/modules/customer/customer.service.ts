import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode } from '../../domain/errors.js';
import { isUuid } from '../../domain/tokens.js';
import type { MerchantActor } from '../merchant/actor.js';
import { Customer } from './customer.entity.js';

export interface CreateCustomer {
  name: string;
  email: string;
  externalRef?: string | null;
}

export class CustomerService {
  constructor(private readonly em: EntityManager) {}

  /** Another merchant's customer answers exactly like an id that does not exist. */
  async find(actor: MerchantActor, id: string): Promise<Customer | null> {
    if (!isUuid(id)) return null;
    return this.em.findOne(Customer, { id, merchant: actor.merchantId });
  }

  async create(actor: MerchantActor, input: CreateCustomer): Promise<Customer> {
    const customer = this.em.create(Customer, {
      merchant: actor.merchantId,
      name: input.name.trim(),
      email: input.email.trim().toLowerCase(),
      externalRef: input.externalRef?.trim() || null,
    });
    try {
      await this.em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new DomainError(ErrorCode.DUPLICATE, `A customer with externalRef "${input.externalRef}" already exists`, { field: 'externalRef' });
      }
      throw error;
    }
    return customer;
  }
}
