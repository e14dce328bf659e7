import { PaymentMethodKind } from './statuses.js';

/** Processing fees by method, in basis points plus a fixed part (minor units), with an optional cap. */
export interface FeeSchedule {
  cardBasisPoints: number;
  cardFixed: bigint;
  achBasisPoints: number;
  achCap: bigint;
}

const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;

/** The fee a payment pays; links themselves are free. Rounded up to the minor unit. */
export function feeFor(method: PaymentMethodKind, amount: bigint, schedule: FeeSchedule): bigint {
  switch (method) {
    case PaymentMethodKind.CREDIT_CARD:
    case PaymentMethodKind.DEBIT_CARD:
    case PaymentMethodKind.PREPAID_CARD:
      return ceilDiv(amount * BigInt(schedule.cardBasisPoints), 10_000n) + schedule.cardFixed;
    case PaymentMethodKind.ACH: {
      const fee = ceilDiv(amount * BigInt(schedule.achBasisPoints), 10_000n);
      return fee < schedule.achCap ? fee : schedule.achCap;
    }
    default:
      return 0n;
  }
}
