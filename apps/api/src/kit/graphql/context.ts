import type { EntityManager } from '@mikro-orm/postgresql';
import type DataLoader from 'dataloader';
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../logger.js';
import type { Settings } from '../settings.js';

/**
 * What every GraphQL operation is resolved with, whatever its schema or transport: the facts of its
 * request and its own unit of work. `Services` is left open: a resolver names the services it uses
 * (`MerchantContext<{ invoices: InvoiceService }, …>`), and app/, which builds the real ones, is
 * checked against what every resolver named.
 */
export interface BaseContext<Services> {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  /** This request's own EntityManager fork. */
  em: EntityManager;
  logger: Logger;
  settings: Settings;
  clock: Clock;
  services: Services;
  /** No credential was sent: only the operations that give one may run (anonymous-operations.ts). */
  anonymous?: boolean;
}

/** A per-request batch loader by id (see app/loaders.ts). */
export type Loader<Value> = DataLoader<string, Value>;
