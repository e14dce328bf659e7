import { ConsoleDisputesDocument, ConsoleSubmitDisputeEvidenceDocument, type DisputeStatus } from '@kometpay/schema/merchant';
import { merchantApi } from '$lib/server/api';
import { attempt, required, textFields } from '$lib/server/forms';
import type { Actions, PageServerLoad } from './$types';

const PAGE_SIZE = 50;
const STATUSES: DisputeStatus[] = ['NEEDS_RESPONSE', 'UNDER_REVIEW', 'WON', 'LOST'];

/** Disputes, newest first: those needing a response unless another status (or all) is asked for. */
export const load: PageServerLoad = async (event) => {
  event.depends('kometpay:payments');
  const asked = event.url.searchParams.get('status');
  const status = asked === 'ALL' ? null : (STATUSES.find((s) => s === asked) ?? 'NEEDS_RESPONSE');
  const after = event.url.searchParams.get('after') || null;
  const { disputes } = await merchantApi(event).request(ConsoleDisputesDocument, { first: PAGE_SIZE, after, status });
  const next = new URLSearchParams({ status: status ?? 'ALL' });
  if (disputes.pageInfo.endCursor) next.set('after', disputes.pageInfo.endCursor);
  return {
    status: status ?? 'ALL',
    statuses: STATUSES,
    disputes: disputes.edges.map((edge) => edge.node),
    firstPage: after ? `?status=${status ?? 'ALL'}` : null,
    nextPage: disputes.pageInfo.hasNextPage ? `?${next}` : null,
  };
};

export const actions: Actions = {
  /** Text evidence for one dispute, submitted to the card network through the processor. */
  evidence: async (event) => {
    const values = textFields(await event.request.formData());
    return attempt('evidence', values, async () => {
      const explanation = required(values, 'explanation', 'Explain why the payment stands.');
      const { submitDisputeEvidence } = await merchantApi(event).request(ConsoleSubmitDisputeEvidenceDocument, {
        disputeId: values.disputeId ?? '',
        input: {
          explanation,
          customerCommunication: values.customerCommunication || null,
          receipt: values.receipt || null,
          submit: true,
        },
      });
      return {
        form: 'evidence',
        values,
        done: `Evidence submitted: the dispute is ${submitDisputeEvidence.status.toLowerCase().replace('_', ' ')}.`,
      };
    });
  },
};
