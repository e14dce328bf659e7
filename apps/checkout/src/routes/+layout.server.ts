/**
 * No SvelteKit client router on any page: pages are rendered on the server, and an interactive page
 * (pay, add card) brings only its own small script (see vite-plugin-islands.ts), to stay within its
 * JavaScript budget.
 */
export const csr = false;
