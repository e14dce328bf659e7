/**
 * The battery's two forms: `npm test` runs the short one, `npm run test:soak` (SOAK=1) the long one.
 * Every test prints its figure as one line, so a run's output is its report.
 */
export const LONG_FORM = process.env.SOAK === '1';

export function pick<T>(short: T, long: T): T {
  return LONG_FORM ? long : short;
}

export function report(test: string, figures: string): void {
  console.log(`[reliability] ${test}: ${figures}`);
}
