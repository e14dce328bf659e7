import type { Cookies } from '@sveltejs/kit';

/**
 * The person's staff session token (kps_...) and, while it lasts, their supervisor token: each in an
 * httpOnly cookie of the console's own origin, so that no script in the page can read them, and
 * SameSite=Lax, so that another site cannot post a form with them. Secure whenever the console is
 * served over https: the request's protocol, which ORIGIN sets behind a proxy. (SvelteKit's own default
 * would make them Secure on any host but localhost, so that http://127.0.0.1 could never sign in.)
 */
const SESSION = 'kometpay_session';
const SUPERVISOR = 'kometpay_supervisor';

interface Where {
  cookies: Cookies;
  url: URL;
}

const options = (url: URL, expires: Date) => ({
  path: '/',
  httpOnly: true,
  secure: url.protocol === 'https:',
  sameSite: 'lax' as const,
  expires,
});

export const sessionToken = (cookies: Cookies) => cookies.get(SESSION);
export const supervisorToken = (cookies: Cookies) => cookies.get(SUPERVISOR);

/** Kept until the session's absolute end; the API ends it earlier when idle, and the console then asks to sign in again. */
const removal = (url: URL) => ({ path: '/', secure: url.protocol === 'https:' });

export function keepSession(where: Where, token: string, expiresAt: string): void {
  where.cookies.set(SESSION, token, options(where.url, new Date(expiresAt)));
  where.cookies.delete(SUPERVISOR, removal(where.url));
}

export function clearSession({ cookies, url }: Where): void {
  cookies.delete(SESSION, removal(url));
  cookies.delete(SUPERVISOR, removal(url));
}

export function keepSupervisor({ cookies, url }: Where, token: string, expiresAt: string): void {
  cookies.set(SUPERVISOR, token, options(url, new Date(expiresAt)));
}

/** Forgets an approval the API no longer accepts. Skipped if the response has already been made (another load redirected). */
export function clearSupervisor({ cookies, url }: Where): void {
  try {
    cookies.delete(SUPERVISOR, removal(url));
  } catch {
    // the response is already on its way; the next request clears it
  }
}

/** Whether a supervisor elevation is (as far as the console knows) still open: the API has the last word. */
export const isElevated = (cookies: Cookies) => Boolean(cookies.get(SUPERVISOR));
