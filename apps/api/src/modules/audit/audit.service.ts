import type { EntityManager } from '@mikro-orm/postgresql';
import type { RequestMeta } from '../merchant/actor.js';
import { AuditLog } from './audit-log.entity.js';

export interface AuditEntry {
  merchantId: string;
  actorType: 'api_key' | 'supervisor_session' | 'operator';
  actorId?: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  details?: Record<string, unknown>;
}

export class AuditService {
  constructor(
    private readonly em: EntityManager,
    private readonly meta: RequestMeta,
  ) {}

  /**
   * Writes one audit row at once, outside any unit of work: a failed or refused attempt must stay
   * recorded even though the operation that caused it throws.
   */
  async record(entry: AuditEntry): Promise<void> {
    await this.em.insert(AuditLog, {
      ...entry,
      details: entry.details ?? {},
      createdAt: new Date(),
      requestId: this.meta.requestId,
      ip: this.meta.ip ?? null,
    });
  }
}
