/**
 * Where the gate reads the time, so tests and simulations can move it.
 *
 * @example
 * ```ts
 * import type { Clock } from 'otpgate';
 * let t = Date.UTC(2026, 0, 1);
 * const clock: Clock = { now: () => t };
 * t += 30_000; // thirty seconds later
 * ```
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/**
 * The real clock: `Date.now()`.
 *
 * @example
 * ```ts
 * import { createGate, systemClock } from 'otpgate';
 * console.log(systemClock.now());
 * ```
 */
export const systemClock: Clock = { now: () => Date.now() };
