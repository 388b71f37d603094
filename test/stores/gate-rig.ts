// Gates on a shared store for the gate-level race tests: the same policy,
// directory and fixed clock in the test process and in every worker.
import { totp } from '../../src/core/totp.js';
import { createGate, type Gate } from '../../src/gate/gate.js';
import type { MfaStore } from '../../src/seams/store.js';

/** Enrollment happens at this time (mid-step); the races run one minute later. */
export const ENROLLED_AT = Date.UTC(2030, 0, 1) + 15_000;
export const RACE_AT = ENROLLED_AT + 60_000;

export function gateOn(store: MfaStore, now: number): Gate {
  return createGate({
    store,
    issuer: 'Race Co',
    policy: { required: true, maxPostpones: 2 },
    clock: { now: () => now },
    directory: {
      async administratorsOf() {
        return [{ id: 'root', name: 'Root' }];
      },
      async isAdministratorOf(adminId, userId) {
        return adminId === 'root' && userId !== 'root';
      },
    },
    notifier: { async notify() {} },
  });
}

/** Enrolls each user through the gate and returns their secrets. */
export async function enrollAll(store: MfaStore, users: readonly string[]): Promise<string[]> {
  const gate = gateOn(store, ENROLLED_AT);
  const secrets: string[] = [];
  for (const userId of users) {
    const { secret } = await gate.beginEnrollment(userId);
    const confirmed = await gate.confirmEnrollment(userId, totp(secret, { now: ENROLLED_AT }));
    if (!confirmed.ok) throw new Error(`enrollment of ${userId} failed: ${confirmed.reason}`);
    secrets.push(secret);
  }
  return secrets;
}

export interface RoundPlan {
  readonly verifyUser: string;
  readonly code: string;
  readonly postponeUser: string;
}

export type Tally = Record<string, number>;

/** Fires `verifies` verifies and `postpones` postpones at once, spread over the gates. */
export async function fireRound(
  gates: readonly Gate[],
  plan: RoundPlan,
  verifies: number,
  postpones: number,
  attemptPrefix: string,
): Promise<{ verify: Tally; postpone: Tally }> {
  const verify: Tally = {};
  const postpone: Tally = {};
  const count = (tally: Tally, key: string) => (tally[key] = (tally[key] ?? 0) + 1);
  const errorCode = (error: unknown) => (error as { code?: string }).code ?? String(error);
  await Promise.all([
    ...Array.from({ length: verifies }, (_, i) =>
      gates[i % gates.length]!.verify(plan.verifyUser, plan.code).then(
        (result) => count(verify, result.ok ? 'ok' : result.reason),
        (error: unknown) => count(verify, errorCode(error)),
      ),
    ),
    ...Array.from({ length: postpones }, (_, i) =>
      gates[i % gates.length]!.postpone(plan.postponeUser, { attempt: `${attemptPrefix}-${i}` }).then(
        () => count(postpone, 'granted'),
        (error: unknown) => count(postpone, errorCode(error)),
      ),
    ),
  ]);
  return { verify, postpone };
}
