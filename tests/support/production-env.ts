/** A cursor secret for tests that run several API instances, or read cursors a child process issued. */
export const TEST_CURSOR_SECRET = 'test-cursor-secret-not-for-production-0123456789';

/**
 * NODE_ENV=production and what it requires to start: a cursor secret, (no Stripe keys here) the
 * sandbox allowed explicitly, an SMTP server and the public addresses. The SMTP address takes no
 * mail: tests in production mode send none. DATABASE_URL comes from each test's own database.
 */
export const PRODUCTION_ENV = {
  NODE_ENV: 'production',
  CURSOR_SECRETS: TEST_CURSOR_SECRET,
  ALLOW_SANDBOX_IN_PRODUCTION: 'true',
  SMTP_URL: 'smtp://127.0.0.1:2525',
  PUBLIC_API_URL: 'http://localhost:4000',
  CHECKOUT_URL: 'http://localhost:5173',
  CONSOLE_URL: 'http://localhost:5174',
} as const;
