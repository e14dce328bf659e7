import type { BaseContext } from '../../kit/graphql/context.js';
import type { MerchantActor } from './actor.js';
import type { SupervisorGate } from './supervisor.service.js';

/**
 * An operation of a merchant key on the merchant schema. A resolver names the services and loaders it
 * uses: `type Context = MerchantContext<{ invoices: InvoiceService }, { customer: Loader<Customer | null> }>`.
 */
export interface MerchantContext<Services, Loaders> extends BaseContext<Services> {
  actor: MerchantActor;
  loaders: Loaders;
  supervisor: SupervisorGate;
}
