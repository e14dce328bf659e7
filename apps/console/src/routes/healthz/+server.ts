import type { RequestHandler } from './$types';

/** Liveness, for the load balancer and `npm start`: the console's own process, not the API. */
export const GET: RequestHandler = () => new Response('ok', { headers: { 'content-type': 'text/plain' } });
