import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type Router } from 'express';

const require = createRequire(import.meta.url);
const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));

/** Files GraphiQL needs, served from node_modules: no CDN (many networks, this one included, have none). */
const assets: Record<string, string> = {
  'react.production.min.js': path.join(packageDir('react'), 'umd/react.production.min.js'),
  'react-dom.production.min.js': path.join(packageDir('react-dom'), 'umd/react-dom.production.min.js'),
  'graphiql.min.js': path.join(packageDir('graphiql'), 'graphiql.min.js'),
  'graphiql.min.css': path.join(packageDir('graphiql'), 'graphiql.min.css'),
};

const page = (endpoint: string) => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>KometPay GraphiQL</title>
  <link rel="stylesheet" href="/graphiql/graphiql.min.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="/graphiql/react.production.min.js"></script>
  <script src="/graphiql/react-dom.production.min.js"></script>
  <script src="/graphiql/graphiql.min.js"></script>
  <script src="/graphiql/start.js" data-endpoint="${endpoint}"></script>
</body>
</html>`;

const starter = `(function () {
  var endpoint = document.currentScript.dataset.endpoint;
  var wsUrl = location.origin.replace(/^http/, 'ws') + endpoint;
  var fetcher = GraphiQL.createFetcher({ url: endpoint, subscriptionUrl: wsUrl });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      shouldPersistHeaders: true,
      defaultHeaders: JSON.stringify({ Authorization: 'Bearer <your API key>' }, null, 2),
      defaultQuery: '# KometPay merchant API. Put your API key in the Headers tab below.\\n{\\n  merchant { id name }\\n}\\n'
    })
  );
})();`;

/** GET /graphql (development only): GraphiQL, bundled from npm. */
export function graphiqlRouter(endpoint: string): Router {
  const router = express.Router();
  router.get(endpoint, (req, res, next) => {
    if (!req.accepts('html') || req.query.query) return next();
    res.type('html').send(page(endpoint));
  });
  router.get('/graphiql/start.js', (_req, res) => res.type('js').send(starter));
  router.get('/graphiql/:asset', (req, res, next) => {
    const file = assets[req.params.asset];
    if (!file) return next();
    res.sendFile(file, { maxAge: '1h' });
  });
  return router;
}
