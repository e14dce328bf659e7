import { Migration20261122021745_Initial } from './migration-20261122021745-initial.js';
import { Migration20261122021900_MoneyGuards } from './migration-20261122021900-money-guards.js';
import { Migration20261122023314_EmailOutbox } from './migration-20261122023314-email-outbox.js';
import { Migration20261122024338_Payments } from './migration-20261122024338-payments.js';
import { Migration20261122024725_AchMandate } from './migration-20261122024725-ach-mandate.js';
import { Migration20261122024921_Vault } from './migration-20261122024921-vault.js';
import { Migration20261122025617_Refunds } from './migration-20261122025617-refunds.js';
import { Migration20261122030445_PartnerSubscriptions } from './migration-20261122030445-partner-subscriptions.js';
import { Migration20261122063205_Payouts } from './migration-20261122063205-payouts.js';
import { Migration20261202110000_PayoutUnmatchedEntries } from './migration-20261202110000-payout-unmatched-entries.js';
import { Migration20261204192608_PartnerGrantPeriods } from './migration-20261204192608-partner-grant-periods.js';
import { Migration20261204193142_People } from './migration-20261204193142-people.js';
import { Migration20261204210000_QuietAttemptEvents } from './migration-20261204210000-quiet-attempt-events.js';
import { Migration20261204220000_AwaitingCustomerAction } from './migration-20261204220000-awaiting-customer-action.js';
import { Migration20261204230000_SandboxMicrodeposits } from './migration-20261204230000-sandbox-microdeposits.js';
import { Migration20261204231800_ProcessorAccounts } from './migration-20261204231800-processor-accounts.js';
import { Migration20261205000000_OutboxRetention } from './migration-20261205000000-outbox-retention.js';
import { Migration20261205000000_Disputes } from './migration-20261205000000-disputes.js';

/** Every committed migration, in order. The API applies the pending ones on start. */
export const migrationsList = [
  { name: 'Migration20261122021745_Initial', class: Migration20261122021745_Initial },
  { name: 'Migration20261122021900_MoneyGuards', class: Migration20261122021900_MoneyGuards },
  { name: 'Migration20261122023314_EmailOutbox', class: Migration20261122023314_EmailOutbox },
  { name: 'Migration20261122024338_Payments', class: Migration20261122024338_Payments },
  { name: 'Migration20261122024725_AchMandate', class: Migration20261122024725_AchMandate },
  { name: 'Migration20261122024921_Vault', class: Migration20261122024921_Vault },
  { name: 'Migration20261122025617_Refunds', class: Migration20261122025617_Refunds },
  { name: 'Migration20261122030445_PartnerSubscriptions', class: Migration20261122030445_PartnerSubscriptions },
  { name: 'Migration20261122063205_Payouts', class: Migration20261122063205_Payouts },
  { name: 'Migration20261202110000_PayoutUnmatchedEntries', class: Migration20261202110000_PayoutUnmatchedEntries },
  { name: 'Migration20261204192608_PartnerGrantPeriods', class: Migration20261204192608_PartnerGrantPeriods },
  { name: 'Migration20261204193142_People', class: Migration20261204193142_People },
  { name: 'Migration20261204210000_QuietAttemptEvents', class: Migration20261204210000_QuietAttemptEvents },
  { name: 'Migration20261204220000_AwaitingCustomerAction', class: Migration20261204220000_AwaitingCustomerAction },
  { name: 'Migration20261204230000_SandboxMicrodeposits', class: Migration20261204230000_SandboxMicrodeposits },
  { name: 'Migration20261204231800_ProcessorAccounts', class: Migration20261204231800_ProcessorAccounts },
  { name: 'Migration20261205000000_OutboxRetention', class: Migration20261205000000_OutboxRetention },
  { name: 'Migration20261205000000_Disputes', class: Migration20261205000000_Disputes },
];
