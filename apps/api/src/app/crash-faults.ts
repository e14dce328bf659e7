import type { Settings } from '../kit/settings.js';
import { type FaultStep, type Faults, noFaults } from '../modules/payments/index.js';

const STEPS: readonly FaultStep[] = ['after-begin', 'after-processor', 'before-outcome'];

/**
 * The payments engine's faults for this process: none, or (the crash tests of tests/reliability,
 * NODE_ENV=test with KOMETPAY_CRASH_AT=<step>) a kill -9 of the process at that step of a payment.
 */
export function faultsFor(settings: Settings): Faults {
  const step = settings.crashAt;
  if (!step) return noFaults;
  if (!STEPS.includes(step as FaultStep)) throw new Error(`KOMETPAY_CRASH_AT must be one of ${STEPS.join(', ')}, got "${step}"`);
  return {
    reached(at) {
      if (at === step) process.kill(process.pid, 'SIGKILL');
    },
  };
}
