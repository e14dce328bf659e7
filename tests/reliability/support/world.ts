import { randomUUID } from 'node:crypto';
import { AddVaultedCardDocument, ElevateSupervisorDocument, RegisterTerminalReaderDocument } from '@kometpay/schema/merchant';
import { AuditService, createServices, SandboxDispute, StaffRole, StaffService, Transaction } from '../../../apps/api/src/app/test-kit.js';
import type { TestApi, TestMerchant } from '../../support/api.js';
import { Shop } from '../../support/shop.js';

export const KINDS = [
  'customer',
  'draftInvoice',
  'openInvoice',
  'paidInvoice',
  'charge',
  'refund',
  'memo',
  'reader',
  'card',
  'staffMember',
  'dispute',
] as const;
export type Kind = (typeof KINDS)[number];

export interface World {
  merchant: TestMerchant;
  supervisorToken: string;
  ids: Record<Kind, string>;
  /** The pay-link token of the open invoice. */
  linkToken: string;
}

/** A merchant with one object of every kind an operation may name by id; `marker` is in every name it chose. */
export async function buildWorld(t: TestApi, marker: string): Promise<World> {
  const merchant = await t.createMerchant(`${marker} Flowers`);
  const shop = await Shop.open(merchant, t.url, `${marker} Buyer`);
  const client = merchant.client();
  const draft = await shop.draftInvoice({
    number: `${marker}-DRAFT`,
    lines: [{ description: `${marker} roses`, quantity: 1, unitAmount: '1000' }],
  });
  const open = await shop.sentInvoice(50_000);
  const { payment: charge, ...paid } = await shop.paidInvoice(8_000);
  const memo = await shop.creditMemo(paid.id, 1_000);
  const { refunds } = await shop.issueMemoRefund(memo.id);
  const { registerTerminalReader: reader } = await client.request(RegisterTerminalReaderDocument, {
    input: { label: `${marker} counter`, registrationCode: 'simulated-wpe' },
  });
  const { elevateSupervisor } = await client.request(ElevateSupervisorDocument, { password: merchant.supervisorPassword });
  const { addVaultedCard: card } = await merchant
    .client(elevateSupervisor.token)
    .request(AddVaultedCardDocument, { customerId: shop.customerId, paymentMethodToken: 'pm_card_visa' });
  const em = t.orm.em.fork();
  // A payment the cardholder disputes. The sandbox tells the app through a job, and jobs may be off: the dispute is synced here.
  const { payment: disputed } = await shop.paidInvoice(3_000, 'pm_card_createDispute');
  const { processorReference } = await em.findOneOrFail(Transaction, { id: disputed.id });
  const { id: disputeReference } = await em.findOneOrFail(SandboxDispute, { payment: processorReference! });
  const dispute = await createServices(t.orm.em.fork(), t.api.deps, { requestId: 'world' }).disputes.syncDispute(
    disputeReference,
    merchant.id,
  );
  const staffMember = await new StaffService(em, t.clock, t.settings, new AuditService(em, { requestId: 'world' })).createWithPassword(
    merchant.id,
    {
      name: `${marker} Clerk`,
      email: `clerk-${randomUUID()}@reliability.example`,
      role: StaffRole.STAFF,
      password: 'a long staff password',
    },
  );
  return {
    merchant,
    supervisorToken: elevateSupervisor.token,
    linkToken: open.token,
    ids: {
      customer: shop.customerId,
      draftInvoice: draft.id,
      openInvoice: open.id,
      paidInvoice: paid.id,
      charge: charge.id,
      refund: refunds[0].id,
      memo: memo.id,
      reader: reader.id,
      card: card.id,
      staffMember: staffMember.id,
      dispute: dispute!.id,
    },
  };
}
