export type { Context as AuditResolverContext } from './audit.resolver.js';
export { AuditService } from './audit.service.js';
export { AuditLog } from './audit-log.entity.js';
