import type { AddressInfo } from 'node:net';
import express from 'express';
import { DomainError, ErrorCode } from '../../../domain/errors.js';
import { createLogger } from '../../../kit/logger.js';
import { jsonErrorHandlers } from '../error-handler.js';

/** The handlers on a real Express app, with routes that fail each way. */
async function withApp(test: (url: string, logs: string[]) => Promise<void>) {
  const logs: string[] = [];
  const handlers = jsonErrorHandlers(createLogger('info', { write: (line: string) => void logs.push(line) }));
  const app = express();
  app.use((req, _res, next) => {
    req.requestId = 'req-1';
    next();
  });
  app.get('/boom', () => {
    throw new Error('secret detail at /srv/app/file.ts:12');
  });
  app.get('/coded', async () => {
    throw new DomainError(ErrorCode.NOT_FOUND, 'No invoice with that id', { field: 'id' });
  });
  app.get('/half', (_req, res, next) => {
    res.write('partial,');
    next(new Error('failed mid-stream'));
  });
  app.use(handlers.notFound);
  app.use(handlers.failed);
  const server = app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    await test(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, logs);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('jsonErrorHandlers', () => {
  it('masks an unexpected error as a 500 with the request id, and logs it', () =>
    withApp(async (url, logs) => {
      const response = await fetch(`${url}/boom`);
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error', requestId: 'req-1' } });
      expect(text).not.toContain('secret detail');
      expect(logs.some((line) => /unexpected error/.test(line) && /secret detail/.test(line) && /req-1/.test(line))).toBe(true);
    }));

  it("keeps a domain error's code and details, with its status", () =>
    withApp(async (url) => {
      const response = await fetch(`${url}/coded`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        error: { code: 'NOT_FOUND', message: 'No invoice with that id', field: 'id', requestId: 'req-1' },
      });
    }));

  it('cuts an answer short whose headers are already out', () =>
    withApp(async (url) => {
      await expect(fetch(`${url}/half`).then((r) => r.text())).rejects.toThrow();
    }));
});
