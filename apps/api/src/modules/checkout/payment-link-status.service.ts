import type { Clock } from '../../domain/clock.js';
import { DomainError, ErrorCode } from '../../domain/errors.js';
import { type OutboxFeed, touchesInvoice } from '../outbox/index.js';
import type { PaymentLinkService, PublicLinkView } from '../payment-link/index.js';

/** What the pay page shows; two views that compare equal look the same to the customer. */
function viewKey(view: PublicLinkView): string {
  return JSON.stringify(view, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
}

/** The pay page following its link live (an ACH payment from processing to settled, a payment made elsewhere). */
export class PaymentLinkStatusService {
  constructor(
    private readonly links: PaymentLinkService,
    private readonly feed: OutboxFeed,
    private readonly clock: Clock,
  ) {}

  /**
   * The link's public view now, then again after every outbox event touching its invoice, whenever
   * it changed. The view is read after the position the stream starts from, so no change falls
   * between the two. An unknown token answers NOT_FOUND, with the same single statement a known one costs.
   */
  async watch(token: string): Promise<AsyncIterableIterator<PublicLinkView>> {
    const from = await this.feed.currentPosition();
    const view = await this.links.findPublic(token, this.clock.now());
    if (!view) throw new DomainError(ErrorCode.NOT_FOUND, 'No payment link for that token', { field: 'token' });
    let shown = viewKey(view);
    return this.feed.watch<PublicLinkView>({
      merchantId: view.merchantId,
      after: from,
      initial: [view],
      project: async (row) => {
        if (!touchesInvoice(row, view.invoiceId)) return undefined;
        // findPublic is one raw statement: no identity map to go stale across the subscription's life.
        const current = await this.links.findPublic(token, this.clock.now());
        if (!current || viewKey(current) === shown) return undefined;
        shown = viewKey(current);
        return current;
      },
    });
  }
}
