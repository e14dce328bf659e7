import type { EntityManager } from '@mikro-orm/postgresql';
import express, { type Router } from 'express';
import type { Logger } from '../../kit/logger.js';

/** GET /healthz (the process answers) and GET /readyz (and its database does, within 2 s). */
export function healthRouter({ em, logger }: { em: () => EntityManager; logger: Logger }): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await Promise.race([
        em().getConnection().execute('select 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('database check timed out')), 2000).unref()),
      ]);
      res.json({ status: 'ready' });
    } catch (err) {
      logger.warn({ err }, 'readiness check failed');
      res.status(503).json({ status: 'unavailable', reason: 'database' });
    }
  });
  return router;
}
