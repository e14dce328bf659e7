export { ProcessorPayoutRecord } from './processor-payout.entity.js';
export { SettlementService } from './settlement.service.js';
