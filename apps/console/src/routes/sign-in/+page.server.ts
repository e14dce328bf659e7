import { ConsoleSignInDocument } from '@kometpay/schema/merchant';
import { fail, redirect } from '@sveltejs/kit';
import { ApiError, anonymousApi, safeNext } from '$lib/server/api';
import { messageFor, textFields } from '$lib/server/forms';
import { clearSession, keepSession, sessionToken } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = (event) => {
  const { cookies, url } = event;
  const next = safeNext(url.searchParams.get('next'));
  if (sessionToken(cookies)) {
    // Sent here from a page: the session ended at the API. Otherwise a signed-in person has nothing to do here.
    if (url.searchParams.has('next')) clearSession(event);
    else redirect(303, next);
  }
  return { next, expired: url.searchParams.has('next') };
};

interface Merchant {
  id: string;
  name: string;
}

/** Every refusal of the sign-in form has the same shape (the merchant choice is empty unless the API asked for one). */
const refuse = (
  status: number,
  values: Record<string, string>,
  refusal: { errors?: Record<string, string>; message?: string; merchants?: Merchant[] },
) => fail(status, { form: 'sign-in', values, errors: refusal.errors ?? {}, message: refusal.message, merchants: refusal.merchants ?? [] });

export const actions: Actions = {
  default: async (event) => {
    const values = textFields(await event.request.formData());
    const next = safeNext(values.next ?? null);
    const kept = { email: values.email ?? '', next, merchantId: values.merchantId ?? '' };
    const errors: Record<string, string> = {};
    if (!values.email) errors.email = 'Enter your email address.';
    if (!values.password) errors.password = 'Enter your password.';
    if (Object.keys(errors).length) return refuse(400, kept, { errors });
    try {
      const { signIn } = await anonymousApi(event).request(ConsoleSignInDocument, {
        email: values.email,
        password: values.password,
        merchantId: values.merchantId || null,
      });
      keepSession(event, signIn.token, signIn.expiresAt);
    } catch (cause) {
      if (!(cause instanceof ApiError)) throw cause;
      if (cause.code === 'MERCHANT_CHOICE_REQUIRED') {
        const merchants = (cause.extensions.merchants ?? []) as Merchant[];
        return refuse(400, kept, { merchants, message: 'This email has accounts at several merchants: choose one.' });
      }
      const message = cause.code === 'INVALID_CREDENTIALS' ? 'The email or password is not right.' : messageFor(cause);
      return refuse(cause.code === 'TOO_MANY_ATTEMPTS' ? 429 : 400, kept, { message });
    }
    redirect(303, next);
  },
};
