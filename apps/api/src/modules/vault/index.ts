export { CardSetupLink } from './card-setup-link.entity.js';
export { findChargeableCard } from './chargeable-card.js';
export type { Context as VaultResolverContext } from './vault.resolver.js';
export { CardSetupLinkStatus, VaultService } from './vault.service.js';
export { VaultedCardType } from './vault.types.js';
export { VaultedCard } from './vaulted-card.entity.js';
