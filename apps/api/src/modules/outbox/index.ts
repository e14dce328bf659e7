export { type DomainEvent, insertOutboxRowsSql, outboxRow, recordEvent } from './outbox.service.js';
export { OUTBOX_WRITER_LOCK, OutboxEvent } from './outbox-event.entity.js';
export { CATCH_UP_PAGE, invoiceIdsOf, OutboxFeed, type OutboxRow, touchesInvoice } from './outbox-feed.js';
export { prunedThrough, pruneOutbox } from './outbox-retention.js';
