import { ProcessorDocument } from '@kometpay/schema/checkout';
import { checkoutApi } from '$lib/server/api';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async () => {
  const { processor } = await checkoutApi().request(ProcessorDocument);
  return { processorKind: processor.kind };
};
