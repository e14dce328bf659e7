/**
 * The baseline for bench/subscriptions.bench.mjs: a bare `ws` server in its own process (as the API
 * is) that sends whatever bytes its parent hands it over IPC to every connected client. No GraphQL,
 * no database: the floor any subscription server sits on.
 */
import { WebSocketServer } from 'ws';

const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
server.on('listening', () => process.send({ port: server.address().port }));
process.on('message', (bytes) => {
  for (const client of server.clients) client.send(bytes);
});
process.on('disconnect', () => server.close(() => process.exit(0)));
