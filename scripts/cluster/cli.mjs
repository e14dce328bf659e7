/**
 * `npm run cluster`: nginx in front of three API instances, two checkout instances and the console,
 * on DATABASE_URL or an embedded PostgreSQL (.data/cluster/postgres). CLUSTER_API_PORT (8080),
 * CLUSTER_CHECKOUT_PORT (8081) and CLUSTER_CONSOLE_PORT (8082) are nginx's ports. Ctrl-C stops all.
 */
import { startCluster } from './cluster.mjs';

const port = (name, fallback) => Number(process.env[name] || fallback);
const cluster = await startCluster({
  databaseUrl: process.env.DATABASE_URL || undefined,
  apiInstances: port('CLUSTER_API_INSTANCES', 3),
  checkoutInstances: port('CLUSTER_CHECKOUT_INSTANCES', 2),
  ports: {
    api: port('CLUSTER_API_PORT', 8080),
    checkout: port('CLUSTER_CHECKOUT_PORT', 8081),
    console: port('CLUSTER_CONSOLE_PORT', 8082),
  },
  onOutput: (name, line) => line && console.log(`[${name}] ${line}`),
});
const members = [...cluster.apis, ...cluster.checkouts, ...cluster.consoles].map((m) => `${m.name} :${m.port} (pid ${m.child.pid})`);
console.log(`
KometPay cluster is up (nginx pid ${cluster.nginxPid()}, config ${cluster.configFile})
  API (GraphQL, WebSockets):  ${cluster.urls.api}/graphql
  Checkout:                   ${cluster.urls.checkout}
  Console:                    ${cluster.urls.console}
  Database:                   ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded PostgreSQL'}
  Behind nginx:               ${members.join(', ')}
Onboard a merchant: DATABASE_URL=${cluster.databaseUrl} NODE_ENV=production npm run kometpay -- merchant create --name "Acme" --generate-supervisor-password
Rolling restart of the API instances: kill -USR2 ${process.pid}    Ctrl-C stops everything
`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await cluster.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
process.on('SIGUSR2', () => void cluster.rollingRestart().then(() => console.log('rolling restart done')));
