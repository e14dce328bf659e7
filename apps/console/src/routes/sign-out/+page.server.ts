import { ConsoleSignOutDocument } from '@kometpay/schema/merchant';
import { redirect } from '@sveltejs/kit';
import { ApiError, merchantApi } from '$lib/server/api';
import { clearSession, sessionToken } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = () => redirect(303, '/');

export const actions: Actions = {
  default: async (event) => {
    if (sessionToken(event.cookies)) {
      // The API ends the session (and its supervisor tokens); an already ended one is fine too.
      await merchantApi(event)
        .request(ConsoleSignOutDocument)
        .catch((cause) => {
          if (!(cause instanceof ApiError)) throw cause;
        });
    }
    clearSession(event);
    redirect(303, '/sign-in');
  },
};
