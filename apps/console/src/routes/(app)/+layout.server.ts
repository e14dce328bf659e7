import { ConsoleViewerDocument } from '@kometpay/schema/merchant';
import { env } from '$env/dynamic/private';
import { merchantApi } from '$lib/server/api';
import { processorOf } from '$lib/server/processor';
import { isElevated } from '$lib/server/session';
import type { LayoutServerLoad } from './$types';

/** Every signed-in page: who is signed in, the card form's processor (for the page's security policy), the time zone. */
export const load: LayoutServerLoad = async (event) => {
  const api = merchantApi(event);
  const [{ viewer }, processor] = await Promise.all([api.request(ConsoleViewerDocument), processorOf(api)]);
  event.locals.processor = processor;
  return {
    viewer,
    processor,
    timeZone: env.CONSOLE_TIME_ZONE || 'UTC',
    elevated: isElevated(event.cookies),
  };
};
