import type { EntityManager } from '@mikro-orm/postgresql';
import { describeActor, type MerchantActor, type RequestMeta } from '../merchant/index.js';
import { AuditLog } from './audit-log.entity.js';

export type AuditActorType = 'api_key' | 'staff_member' | 'supervisor_session' | 'operator' | 'customer' | 'anonymous';

interface AuditFacts {
  merchantId: string;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  details?: Record<string, unknown>;
}

/** An audit row names its actor either as the request's credential (`actor`) or explicitly. */
export type AuditEntry = AuditFacts &
  ({ actor: MerchantActor } | { actorType: AuditActorType; actorId?: string | null; actorName?: string | null });

const defaultNames: Partial<Record<AuditActorType, string>> = { operator: 'Operator (CLI)', customer: 'Customer (link)' };

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
    const who =
      'actor' in entry
        ? describeActor(entry.actor)
        : {
            actorType: entry.actorType,
            actorId: entry.actorId ?? null,
            actorName: entry.actorName ?? defaultNames[entry.actorType] ?? null,
          };
    await this.em.insert(AuditLog, {
      merchantId: entry.merchantId,
      action: entry.action,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      ...who,
      details: entry.details ?? {},
      createdAt: new Date(),
      requestId: this.meta.requestId,
      ip: this.meta.ip ?? null,
    });
  }
}
