/**
 * The only parts of KometPay's build the soak uses besides its HTTP and WebSocket APIs (and the
 * API process and migrated databases that bench/lib provides): the operator CLI, to onboard
 * merchants and partners as an operator would, and the payment events' cursor, to subscribe from
 * a known outbox position and read each event's position back. If the API's layout moves, this
 * file (and bench/lib) is what follows it.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { BENCH_CURSOR_SECRET } from '../../../bench/lib/api-process.mjs';
import { root } from '../../../bench/lib/postgres.mjs';

const dist = path.join(root, 'apps/api/dist');
const run = promisify(execFile);

/** `npm run kometpay -- <args> --json` against `databaseUrl`, without the build step: its JSON answer. */
export async function operatorCli(databaseUrl, ...args) {
  const { stdout } = await run(process.execPath, [path.join(dist, 'app/cli/main.js'), ...args, '--json'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'error' },
  });
  return JSON.parse(stdout);
}

const { PaymentEventCursors, CursorSigner } = await import(path.join(dist, 'app/test-kit.js'));

/**
 * Payment-event cursors are signed by the API (CURSOR_SECRETS): the soak signs and reads them with
 * the secret of the API it starts, or of the one it is pointed at (CURSOR_SECRETS in its environment).
 */
const cursors = new PaymentEventCursors(new CursorSigner((process.env.CURSOR_SECRETS || BENCH_CURSOR_SECRET).split(',')));

/** The `after` cursor of a merchant's paymentStatusChanged stream for an outbox position. */
export const cursorAfter = (merchantId, position) => cursors.issue(merchantId, BigInt(position));

/** The outbox position a payment event's cursor (of that merchant's stream) stands for. */
export const positionOf = (merchantId, eventCursor) => Number(cursors.read(merchantId, eventCursor));
