export { ProcessorAccount } from './processor-account.entity.js';
export {
  ensureProcessorAccount,
  onboardingUrl,
  ProcessorAccountService,
  type ProcessorAccountView,
} from './processor-account.service.js';
export {
  ProcessorAccountStatusEnum,
  ProcessorAccountType,
  ProcessorKindEnum,
  ProcessorOnboardingLinkType,
} from './processor-account.types.js';
export { accountNotReady, ProcessorAccountDirectory } from './processor-account-directory.js';
