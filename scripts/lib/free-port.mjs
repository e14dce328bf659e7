import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The lowest port the kernel hands out for outgoing connections and `listen(0)` (Linux; elsewhere, IANA's 49152). */
function ephemeralLow() {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return 49_152;
  }
}

const FIRST = 10_000;
const handedOut = new Set();

function listenable(port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * A port on 127.0.0.1 that nothing listens on now, for a server that is named before it starts (a
 * child process's API_PORT, say). It lies below the kernel's ephemeral range: a port from there,
 * even one `listen(0)` just gave, can become the local port of the next outgoing connection before
 * the server binds it, and the server then fails with EADDRINUSE (the bench lost a scenario to
 * that). A port is handed out once per process.
 */
export async function freePort() {
  const last = Math.max(FIRST + 1_000, Math.min(ephemeralLow(), 65_536));
  for (let attempt = 0; attempt < 1_000; attempt++) {
    const port = FIRST + Math.floor(Math.random() * (last - FIRST));
    if (handedOut.has(port) || !(await listenable(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port between ${FIRST} and ${last}`);
}
