/** The steps of an attempt where a fault can be injected: after phase 1, after the processor answered, inside phase 3. */
export type FaultStep = 'after-begin' | 'after-processor' | 'before-outcome';

/**
 * The engine's fault-injection port. Production wires `noFaults`; the crash tests wire an adapter
 * that kills the process at a chosen step (app composition decides, from its settings), so the
 * engine itself carries no test-only branch.
 */
export interface Faults {
  reached(step: FaultStep): void;
}

export const noFaults: Faults = { reached: () => undefined };
