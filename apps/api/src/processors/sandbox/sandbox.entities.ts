import { BigIntType, OptionalProps } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

/**
 * The sandbox processor's own records: it stands in for Stripe, so it keeps its state apart from
 * ours (tables prefixed `sandbox_`) and is reached only through the processor port. A payment
 * method keeps the facts a processor would tell us (brand, last 4, funding), never a number.
 */
@Entity({ tableName: 'sandbox_payment_method' })
export class SandboxPaymentMethod {
  [OptionalProps]?: 'createdAt' | 'customer' | 'account' | 'detachedAt' | 'brand' | 'expMonth' | 'expYear' | 'funding';

  @PrimaryKey({ type: 'text' })
  id!: string;

  /** 'card' | 'us_bank_account' */
  @Property({ type: 'text' })
  type!: string;

  /** What the test number or account makes happen: see sandbox.behaviours.ts. */
  @Property({ type: 'text' })
  behaviour!: string;

  @Property({ type: 'text', nullable: true })
  brand?: string | null;

  @Property({ type: 'text' })
  last4!: string;

  @Property({ type: 'smallint', nullable: true })
  expMonth?: number | null;

  @Property({ type: 'smallint', nullable: true })
  expYear?: number | null;

  @Property({ type: 'text', nullable: true })
  funding?: string | null;

  @Property({ type: 'text', nullable: true })
  customer?: string | null;

  /**
   * The sandbox account the method belongs to: the first to charge or save it (the tokeniser is
   * public and names none). Stripe keeps each connected account's objects apart; so does this.
   */
  @Property({ type: 'text', nullable: true })
  account?: string | null;

  @Property({ type: 'datetime', nullable: true })
  detachedAt?: Date | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}

@Entity({ tableName: 'sandbox_payment' })
@Unique({ properties: ['idempotencyKey'] })
@Index({ properties: ['status'] })
export class SandboxPayment {
  [OptionalProps]?:
    | 'createdAt'
    | 'authorizationCode'
    | 'failureCode'
    | 'reader'
    | 'refunded'
    | 'customer'
    | 'account'
    | 'microdepositType'
    | 'verificationAttempts';

  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text' })
  idempotencyKey!: string;

  /** Hash of the create parameters: a reused key with other parameters is refused, as at Stripe. */
  @Property({ type: 'text' })
  requestHash!: string;

  @Property({ type: new BigIntType('bigint') })
  amount!: bigint;

  @Property({ type: 'text' })
  currency!: string;

  @Property({ type: 'text', nullable: true })
  paymentMethod!: string | null;

  @Property({ type: 'text', nullable: true })
  customer?: string | null;

  @Property({ type: 'text', nullable: true })
  reader?: string | null;

  /** 'succeeded' | 'processing' | 'requires_action' | 'failed' | 'canceled' | 'requires_presentment' | 'returned' */
  @Property({ type: 'text' })
  status!: string;

  @Property({ type: 'text', nullable: true })
  authorizationCode?: string | null;

  @Property({ type: 'text', nullable: true })
  failureCode?: string | null;

  @Property({ type: new BigIntType('bigint') })
  refunded: bigint = 0n;

  /** The sandbox account the object belongs to (acct_sbx_...): another account's calls do not find it. */
  @Property({ type: 'text', nullable: true })
  account?: string | null;

  /** A bank debit waiting for micro-deposits: 'amounts' | 'descriptor_code', as Stripe's microdeposit_type. */
  @Property({ type: 'text', nullable: true })
  microdepositType?: string | null;

  /** Wrong micro-deposit answers so far. */
  @Property({ type: 'smallint' })
  verificationAttempts: number = 0;

  @Property({ type: 'json' })
  metadata!: Record<string, string>;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}

@Entity({ tableName: 'sandbox_refund' })
@Unique({ properties: ['idempotencyKey'] })
export class SandboxRefund {
  [OptionalProps]?: 'createdAt' | 'account';

  /** The sandbox account the object belongs to (acct_sbx_...): another account's calls do not find it. */
  @Property({ type: 'text', nullable: true })
  account?: string | null;

  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text' })
  idempotencyKey!: string;

  @Property({ type: 'text' })
  requestHash!: string;

  @Property({ type: 'text' })
  payment!: string;

  @Property({ type: new BigIntType('bigint') })
  amount!: bigint;

  @Property({ type: 'text' })
  currency!: string;

  @Property({ type: 'text' })
  status!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}

@Entity({ tableName: 'sandbox_reader' })
export class SandboxReader {
  [OptionalProps]?: 'createdAt' | 'account';

  /** The sandbox account the object belongs to (acct_sbx_...): another account's calls do not find it. */
  @Property({ type: 'text', nullable: true })
  account?: string | null;

  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text' })
  label!: string;

  @Property({ type: 'text', unique: true })
  idempotencyKey!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}

/** A merchant's sandbox account (Stripe Connect's connected account, in the sandbox). */
@Entity({ tableName: 'sandbox_account' })
export class SandboxAccount {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text', unique: true })
  idempotencyKey!: string;

  @Property({ type: 'text' })
  name!: string;

  /** 'pending' (onboarding not done) | 'active' */
  @Property({ type: 'text' })
  status!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}

/** A cardholder's dispute of a sandbox payment (pm_card_createDispute): opened right after the payment succeeds. */
@Entity({ tableName: 'sandbox_dispute' })
export class SandboxDispute {
  [OptionalProps]?: 'createdAt' | 'evidence';

  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text', unique: true })
  payment!: string;

  @Property({ type: new BigIntType('bigint') })
  amount!: bigint;

  @Property({ type: 'text' })
  currency!: string;

  /** Stripe's words: needs_response, under_review, won, lost. */
  @Property({ type: 'text' })
  status!: string;

  @Property({ type: 'text' })
  reason!: string;

  @Property({ type: new BigIntType('bigint') })
  fee!: bigint;

  @Property({ type: 'datetime' })
  evidenceDueBy!: Date;

  /** The evidence as sent, in Stripe's field names. */
  @Property({ type: 'json', nullable: true })
  evidence?: Record<string, string> | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
