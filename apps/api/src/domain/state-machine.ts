import { DomainError, ErrorCode } from './errors.js';

/** An explicit transition table: the only way a status may change. */
export class StateMachine<S extends string> {
  constructor(
    private readonly name: string,
    private readonly transitions: Readonly<Record<S, readonly S[]>>,
  ) {}

  canTransition(from: S, to: S): boolean {
    return this.transitions[from].includes(to);
  }

  assertTransition(from: S, to: S): void {
    if (from !== to && !this.canTransition(from, to)) {
      throw new DomainError(ErrorCode.INVALID_STATE_TRANSITION, `${this.name} cannot go from ${from} to ${to}`, {
        from,
        to,
      });
    }
  }
}
