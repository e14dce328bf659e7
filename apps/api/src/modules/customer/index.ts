export { Customer } from './customer.entity.js';
export type { Context as CustomerResolverContext } from './customer.resolver.js';
export { assertCustomerActive, CustomerService } from './customer.service.js';
export { CustomerType } from './customer.types.js';
