import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

/** Logs to stdout, or to `destination` (tests read what was logged). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'kometpay-api' },
    // Secrets that may sit in a request: never written to a log line.
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-supervisor-token"]', '*.password', '*.token', 'password', 'token'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
