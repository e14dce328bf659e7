import {
  ConsoleInviteStaffMemberDocument,
  ConsoleRemoveStaffMemberDocument,
  ConsoleStaffMembersDocument,
  type StaffRole,
} from '@kometpay/schema/merchant';
import { fail } from '@sveltejs/kit';
import { ApiError, merchantApi } from '$lib/server/api';
import { attempt, FieldProblem, required, textFields } from '$lib/server/forms';
import { isElevated } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

/** The merchant's people: invited by email (a link to set a password), removed (their sessions end at once). Supervised. */
export const load: PageServerLoad = async (event) => {
  if (!isElevated(event.cookies)) return { staff: null };
  try {
    const { staffMembers } = await merchantApi(event, { supervised: true }).request(ConsoleStaffMembersDocument);
    return { staff: staffMembers };
  } catch (cause) {
    if (cause instanceof ApiError && cause.code === 'SUPERVISOR_REQUIRED') return { staff: null };
    throw cause;
  }
};

export const actions: Actions = {
  invite: async (event) => {
    const values = textFields(await event.request.formData());
    return attempt('invite', values, async () => {
      const name = required(values, 'name', 'Enter the person’s name.');
      const email = required(values, 'email', 'Enter their email address.');
      const role = (['STAFF', 'SUPERVISOR'] as StaffRole[]).find((value) => value === values.role);
      if (!role) throw new FieldProblem('role', 'Choose a role.');
      await merchantApi(event, { supervised: true }).request(ConsoleInviteStaffMemberDocument, { name, email, role });
      return { form: 'invite', done: `Invitation emailed to ${email}.` };
    });
  },
  remove: async (event) => {
    const values = textFields(await event.request.formData());
    if (!values.id) return fail(400, { form: 'remove', values, errors: {}, message: 'Choose the person to remove.' });
    return attempt('remove', values, async () => {
      await merchantApi(event, { supervised: true }).request(ConsoleRemoveStaffMemberDocument, { id: values.id });
      return { form: 'remove', done: 'Removed: their sessions ended.' };
    });
  },
};
