export {
  assertIdempotencyKey,
  CLAIM_SQL,
  type ClaimRequest,
  type ClaimRow,
  COMPLETE_CLAIM_SQL,
  claimDecision,
  claimParams,
  claimRequest,
  completeClaimParams,
  IdempotencyService,
} from './idempotency.service.js';
export { IdempotencyKey } from './idempotency-key.entity.js';
