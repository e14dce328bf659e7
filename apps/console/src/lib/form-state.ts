/**
 * What a form action answered, as the page reads it: which form it was about, the values typed (to
 * show them again), a message per field, a message for the whole form, or what was done.
 */
export interface FormState {
  form?: string;
  values?: Record<string, string>;
  errors?: Record<string, string>;
  message?: string;
  done?: string;
}

/** The last answer, if it was about the form named `name`. */
export function stateOf(form: unknown, name: string): FormState | null {
  const state = form as FormState | null | undefined;
  return state?.form === name ? state : null;
}
