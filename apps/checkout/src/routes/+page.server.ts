import { checkoutApi } from '$lib/server/api';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async () => {
  const { processor } = await checkoutApi().request<{ processor: { kind: 'SANDBOX' | 'STRIPE' } }>(
    '{ processor { kind } }',
  );
  return { processorKind: processor.kind };
};
