import { ConsoleAcceptInvitationDocument } from '@kometpay/schema/merchant';
import { fail, redirect } from '@sveltejs/kit';
import { ApiError, anonymousApi } from '$lib/server/api';
import { messageFor, textFields } from '$lib/server/forms';
import { keepSession } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = () => ({});

/** The invitation email's link: the person chooses a password, and is signed in. */
export const actions: Actions = {
  default: async (event) => {
    const values = textFields(await event.request.formData());
    const password = values.password ?? '';
    const errors: Record<string, string> = {};
    if (!password) errors.password = 'Choose a password.';
    else if (password !== values.confirmation) errors.confirmation = 'The two passwords are not the same.';
    if (Object.keys(errors).length) return fail(400, { form: 'invitation', errors, message: undefined });
    try {
      const { acceptStaffInvitation } = await anonymousApi(event).request(ConsoleAcceptInvitationDocument, {
        token: event.params.token,
        password,
      });
      keepSession(event, acceptStaffInvitation.token, acceptStaffInvitation.expiresAt);
    } catch (cause) {
      if (!(cause instanceof ApiError)) throw cause;
      if (cause.code === 'INVITATION_INVALID') {
        return fail(400, {
          form: 'invitation',
          errors: {},
          message: 'This invitation link is no longer valid (used, replaced or expired). Ask a supervisor to invite you again.',
        });
      }
      if (cause.field === 'password') return fail(400, { form: 'invitation', errors: { password: messageFor(cause) }, message: undefined });
      return fail(400, { form: 'invitation', errors: {}, message: messageFor(cause) });
    }
    redirect(303, '/');
  },
};
