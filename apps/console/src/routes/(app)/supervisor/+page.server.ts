import { ElevateSupervisorDocument } from '@kometpay/schema/merchant';
import { fail, redirect } from '@sveltejs/kit';
import { ApiError, merchantApi, safeNext } from '$lib/server/api';
import { messageFor, textFields } from '$lib/server/forms';
import { keepSupervisor } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ url }) => ({ next: safeNext(url.searchParams.get('next')) });

/**
 * The supervisor password prompt: a short-lived supervisor token (bound by the API to this session),
 * kept in an httpOnly cookie until it expires, then back to the page that asked for it.
 */
export const actions: Actions = {
  default: async (event) => {
    const values = textFields(await event.request.formData());
    const next = safeNext(values.next);
    if (!values.password)
      return fail(400, { form: 'supervisor', values: { next }, errors: { password: 'Enter the supervisor password.' } });
    try {
      const { elevateSupervisor } = await merchantApi(event).request(ElevateSupervisorDocument, { password: values.password });
      keepSupervisor(event, elevateSupervisor.token, elevateSupervisor.expiresAt);
    } catch (cause) {
      if (!(cause instanceof ApiError)) throw cause;
      return fail(cause.code === 'TOO_MANY_ATTEMPTS' ? 429 : 400, {
        form: 'supervisor',
        values: { next },
        errors: { password: messageFor(cause) },
      });
    }
    redirect(303, next);
  },
};
