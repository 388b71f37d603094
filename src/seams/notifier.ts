import type { GateEvent } from '../gate/events.js';

/**
 * Receives the gate's events after the state change they report was stored:
 * send mail, post to chat, write an audit log. Each event carries an `id`;
 * a notifier that may see an event twice (after a retry) drops duplicates by
 * it. When `notify` rejects, the gate keeps the event and sends it again
 * later; nothing is lost and no state is rolled back.
 *
 * @example
 * ```ts
 * import type { Notifier } from 'otpgate';
 * const notifier: Notifier = {
 *   async notify(event) {
 *     if (event.type === 'reset-requested') console.log('tell', event.to, 'about', event.userId);
 *   },
 * };
 * ```
 */
export interface Notifier {
  /** Delivers one event; reject to have it kept and retried. */
  notify(event: GateEvent): Promise<void>;
}
