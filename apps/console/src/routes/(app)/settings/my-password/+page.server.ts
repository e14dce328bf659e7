import { ConsoleChangeMyPasswordDocument } from '@kometpay/schema/merchant';
import { merchantApi } from '$lib/server/api';
import { attempt, FieldProblem, required, textFields } from '$lib/server/forms';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = () => ({});

/** The signed-in person's own password: their other sessions end. */
export const actions: Actions = {
  default: async (event) => {
    const values = textFields(await event.request.formData());
    const kept = { currentPassword: '', newPassword: '', confirmation: '' };
    return attempt('my-password', kept, async () => {
      const currentPassword = required(values, 'currentPassword', 'Enter your current password.');
      const newPassword = required(values, 'newPassword', 'Choose the new password.');
      if (newPassword !== values.confirmation) throw new FieldProblem('confirmation', 'The two new passwords are not the same.');
      await merchantApi(event).request(ConsoleChangeMyPasswordDocument, { currentPassword, newPassword });
      return { form: 'my-password', done: 'Password changed: your other sessions have ended.' };
    });
  },
};
