import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { TEST_ROUTING_NUMBER, testBankAccounts, testCards } from './sandbox.behaviours.js';
import { SandboxPaymentMethod } from './sandbox.entities.js';

/** Shaped like Stripe's create-PaymentMethod body (form fields with bracket notation). */
export interface TokeniseRequest {
  type?: string;
  card?: { number?: string; exp_month?: string; exp_year?: string; cvc?: string };
  us_bank_account?: { routing_number?: string; account_number?: string; account_holder_type?: string };
}

export class TokeniserError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly param: string,
  ) {
    super(message);
  }
}

function expiry(card: NonNullable<TokeniseRequest['card']>, now: Date): { month: number; year: number } {
  const month = Number(card.exp_month);
  let year = Number(card.exp_year);
  if (year < 100) year += 2000;
  if (!Number.isInteger(month) || month < 1 || month > 12)
    throw new TokeniserError('invalid_expiry_month', "The card's expiration month is invalid.", 'card[exp_month]');
  const endOfMonth = Date.UTC(year, month, 1);
  if (!Number.isInteger(year) || endOfMonth <= now.getTime())
    throw new TokeniserError('invalid_expiry_year', "The card's expiration year is invalid.", 'card[exp_year]');
  return { month, year };
}

/**
 * The sandbox's tokeniser (POST /sandbox/v1/payment_methods). It accepts only the well-known test
 * numbers and keeps only what a processor tells its merchants (brand, last 4, expiry, funding): the
 * number and the CVC are checked and dropped here, never stored or logged.
 */
export async function tokenise(em: EntityManager, body: TokeniseRequest, now: Date): Promise<SandboxPaymentMethod> {
  const id = `pm_sbx_${randomBytes(12).toString('base64url')}`;
  if (body.type === 'card') {
    const card = body.card ?? {};
    const number = (card.number ?? '').replace(/[\s-]/g, '');
    const facts = testCards[number];
    if (!facts)
      throw new TokeniserError(
        'card_not_test',
        'The sandbox accepts only its test card numbers (e.g. 4242 4242 4242 4242).',
        'card[number]',
      );
    const { month, year } = expiry(card, now);
    if (!/^\d{3,4}$/.test(card.cvc ?? '')) throw new TokeniserError('invalid_cvc', "The card's security code is invalid.", 'card[cvc]');
    const method = em.create(SandboxPaymentMethod, {
      id,
      type: 'card',
      behaviour: facts.behaviour,
      brand: facts.brand,
      last4: number.slice(-4),
      expMonth: month,
      expYear: year,
      funding: facts.funding,
    });
    await em.flush();
    return method;
  }
  if (body.type === 'us_bank_account') {
    const account = body.us_bank_account ?? {};
    if (account.routing_number !== TEST_ROUTING_NUMBER)
      throw new TokeniserError(
        'routing_number_invalid',
        `The sandbox accepts the test routing number ${TEST_ROUTING_NUMBER}.`,
        'us_bank_account[routing_number]',
      );
    const behaviour = testBankAccounts[account.account_number ?? ''];
    if (!behaviour)
      throw new TokeniserError(
        'account_number_invalid',
        `The sandbox accepts the test accounts ${Object.keys(testBankAccounts).join(', ')}.`,
        'us_bank_account[account_number]',
      );
    const method = em.create(SandboxPaymentMethod, {
      id,
      type: 'us_bank_account',
      behaviour,
      brand: 'STRIPE TEST BANK',
      last4: account.account_number!.slice(-4),
    });
    await em.flush();
    return method;
  }
  throw new TokeniserError('parameter_invalid', 'type must be card or us_bank_account', 'type');
}
