import { ConsoleChangeSupervisorPasswordDocument } from '@kometpay/schema/merchant';
import { merchantApi } from '$lib/server/api';
import { attempt, FieldProblem, required, textFields } from '$lib/server/forms';
import { clearSupervisor } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = () => ({});

/** The merchant's supervisor password: every supervisor approval ends with it. Refused to STAFF members. */
export const actions: Actions = {
  default: async (event) => {
    const values = textFields(await event.request.formData());
    const kept = { currentPassword: '', newPassword: '', confirmation: '' };
    return attempt('supervisor-password', kept, async () => {
      const currentPassword = required(values, 'currentPassword', 'Enter the current supervisor password.');
      const newPassword = required(values, 'newPassword', 'Choose the new password.');
      if (newPassword !== values.confirmation) throw new FieldProblem('confirmation', 'The two new passwords are not the same.');
      await merchantApi(event).request(ConsoleChangeSupervisorPasswordDocument, { currentPassword, newPassword });
      clearSupervisor(event);
      return { form: 'supervisor-password', done: 'Supervisor password changed: every supervisor approval has ended.' };
    });
  },
};
