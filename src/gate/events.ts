// PLACEHOLDER owned by the gate work (issue 4).

/**
 * An event the gate emits after a state change was stored.
 *
 * @example
 * ```ts
 * import type { GateEvent } from 'otpgate';
 * const describe = (event: GateEvent) => `${event.type} for ${event.userId}`;
 * ```
 */
export interface GateEvent {
  readonly id: string;
  readonly type: string;
  readonly userId: string;
  readonly at: number;
  readonly to?: readonly string[];
}
