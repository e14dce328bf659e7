import { ConsoleProcessorAccountDocument, ConsoleStartProcessorOnboardingDocument } from '@kometpay/schema/merchant';
import { merchantApi } from '$lib/server/api';
import { attempt } from '$lib/server/forms';
import { isElevated } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

/** The merchant's own account at the processor: its status, and the way to the processor's onboarding. */
export const load: PageServerLoad = async (event) => {
  const { merchant } = await merchantApi(event).request(ConsoleProcessorAccountDocument);
  return { account: merchant.processorAccount, elevated: isElevated(event.cookies) };
};

export const actions: Actions = {
  /**
   * Supervised: a single-use link to the processor's hosted onboarding, shown for the person to
   * follow (the console's pages post forms to the console only, so it is a link, not a redirect).
   */
  onboard: async (event) => {
    const back = `${event.url.origin}/settings/payments-account`;
    return attempt('onboard', {}, async () => {
      const { startProcessorOnboarding } = await merchantApi(event, { supervised: true }).request(ConsoleStartProcessorOnboardingDocument, {
        returnUrl: back,
        refreshUrl: back,
      });
      return { form: 'onboard', onboardingUrl: startProcessorOnboarding.url };
    });
  },
};
