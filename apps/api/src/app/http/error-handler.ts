import type { NextFunction, Request, Response } from 'express';
import { DomainError, ErrorCode, httpStatusFor } from '../../domain/errors.js';
import { isDatabaseUnavailable } from '../../kit/graphql/errors.js';
import type { Logger } from '../../kit/logger.js';

const GRAPHQL_PATHS = new Set(['/graphql', '/checkout/graphql']);

/** Errors of the body parsers and of Express itself (http-errors): a status, and whether the message is safe to show. */
interface HttpError {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  message?: unknown;
}

const codeByStatus: Record<number, string> = {
  404: ErrorCode.NOT_FOUND,
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: ErrorCode.TOO_MANY_ATTEMPTS,
};

interface Answer {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

function answerFor(error: unknown): Answer | null {
  if (isDatabaseUnavailable(error))
    return { status: 503, code: ErrorCode.SERVICE_UNAVAILABLE, message: 'The service is temporarily unavailable; please retry shortly' };
  if (error instanceof DomainError) {
    const status = httpStatusFor(error.code) ?? (error.code === ErrorCode.NOT_FOUND ? 404 : 400);
    return { status, code: error.code, message: error.message, details: error.details };
  }
  const { status: rawStatus, statusCode, expose, message } = (error ?? {}) as HttpError;
  const status = typeof rawStatus === 'number' ? rawStatus : statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return {
      status,
      code: codeByStatus[status] ?? 'BAD_REQUEST',
      message: expose === true && typeof message === 'string' ? message : 'The request could not be read',
    };
  }
  return null;
}

/**
 * The last handlers of the Express app: every request no route answered, and every error a route or
 * body parser passed on, get JSON with a code and the request id, never Express's HTML page (which
 * shows the stack and file paths outside production). GraphQL endpoints answer in GraphQL's shape
 * (`errors[].extensions.code`), the REST routes as `{ error: { code, message, requestId } }`.
 */
export function jsonErrorHandlers(logger: Logger) {
  const send = (req: Request, res: Response, { status, code, message, details }: Answer) => {
    const requestId = req.requestId;
    res.status(status);
    if (GRAPHQL_PATHS.has(req.path)) res.json({ errors: [{ message, extensions: { code, ...details, requestId } }] });
    else res.json({ error: { code, message, ...details, requestId } });
  };

  const notFound = (req: Request, res: Response) =>
    send(req, res, { status: 404, code: ErrorCode.NOT_FOUND, message: `No route for ${req.method} ${req.path}` });

  const failed = (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const answer = answerFor(error);
    if (!answer || answer.status >= 500) {
      if (answer) logger.warn({ err: error, requestId: req.requestId }, 'database unavailable');
      else logger.error({ err: error, requestId: req.requestId, method: req.method, path: req.path }, 'unexpected error');
    }
    // Part of an answer (a CSV being streamed) is already out: all that is left is to cut it short.
    if (res.headersSent) return void res.destroy();
    send(req, res, answer ?? { status: 500, code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' });
  };

  return { notFound, failed };
}
