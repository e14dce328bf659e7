import type { TestApi, TestMerchant } from '../../support/api.js';
import { Shop } from './shop.js';

type Json = Record<string, any>;

export const KINDS = ['customer', 'draftInvoice', 'openInvoice', 'paidInvoice', 'charge', 'refund', 'memo', 'reader', 'card'] as const;
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
  const { createInvoice: draft } = await client.request<Json>(`mutation ($input: CreateInvoiceInput!) { createInvoice(input: $input) { id } }`, {
    input: { customerId: shop.customerId, number: `${marker}-DRAFT`, currency: 'USD', lines: [{ description: `${marker} roses`, quantity: 1, unitAmount: '1000' }] },
  });
  const open = await shop.invoice(50_000);
  const paid = await shop.invoice(8_000);
  const charge = await shop.charge([paid.id], 'pm_card_visa');
  const memo = await shop.creditMemo(paid.id, 1_000);
  const { refunds } = await shop.issueMemoRefund(memo.id);
  const { registerTerminalReader: reader } = await client.request<Json>(`mutation ($label: String!) { registerTerminalReader(input: { label: $label, registrationCode: "simulated-wpe" }) { id } }`, { label: `${marker} counter` });
  const { elevateSupervisor } = await client.request<Json>(`mutation ($p: String!) { elevateSupervisor(password: $p) { token } }`, { p: merchant.supervisorPassword });
  const { addVaultedCard: card } = await merchant.client(elevateSupervisor.token).request<Json>(`mutation ($c: ID!) { addVaultedCard(customerId: $c, paymentMethodToken: "pm_card_visa") { id } }`, { c: shop.customerId });
  return {
    merchant,
    supervisorToken: elevateSupervisor.token,
    linkToken: open.token,
    ids: { customer: shop.customerId, draftInvoice: draft.id, openInvoice: open.id, paidInvoice: paid.id, charge: charge.id, refund: refunds[0].id, memo: memo.id, reader: reader.id, card: card.id },
  };
}
