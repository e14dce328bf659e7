export { CreditMemo } from './credit-memo.entity.js';
export type { Context as CreditMemoResolverContext } from './credit-memo.resolver.js';
export { CreditMemoService, findCreditMemo, lockCreditMemo, markCreditMemoRefunded } from './credit-memo.service.js';
export { CreditMemoType } from './credit-memo.types.js';
