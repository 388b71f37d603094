// Gates on a shared store for the gate-level race tests: the same policy,
// directory and fixed clock in the test process and in every worker.
import { totp } from '../../src/core/totp.js';
import { createAesGcmCipher } from '../../src/gate/aes-gcm.js';
import { createGate, type Gate } from '../../src/gate/gate.js';
import { rewrapSecrets } from '../../src/gate/rewrap.js';
import type { SecretCipher } from '../../src/seams/cipher.js';
import type { Clock } from '../../src/seams/clock.js';
import type { MfaStore } from '../../src/seams/store.js';

/** Enrollment happens at this time (mid-step); the races run one minute later. */
export const ENROLLED_AT = Date.UTC(2030, 0, 1) + 15_000;
export const RACE_AT = ENROLLED_AT + 60_000;

const directory = {
  async administratorsOf() {
    return [{ id: 'root', name: 'Root' }];
  },
  async isAdministratorOf(adminId: string, userId: string) {
    return adminId === 'root' && userId !== 'root';
  },
};

export function gateOn(store: MfaStore, now: number): Gate {
  return createGate({
    store,
    issuer: 'Race Co',
    policy: { required: true, maxPostpones: 2 },
    clock: { now: () => now },
    directory,
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

// The second edition (issue 12): several authenticators, remembered devices,
// imports and key rotation. Set-up steps run from SETUP_AT on, half a step
// apart per code; every race fires at RACE2_AT, when no set-up code is fresh.

export const SETUP_AT = Date.UTC(2031, 0, 1) + 15_000;
export const RACE2_AT = SETUP_AT + 10 * 60_000;

const KEY_A = new Uint8Array(32).fill(0xa1);
const KEY_B = new Uint8Array(32).fill(0xb2);

/** Before the rotation: key a only. */
export const cipherBefore = (): SecretCipher => createAesGcmCipher({ keys: { a: KEY_A }, current: 'a' });
/** During the rotation: a still decrypts, b is current. Every racing server runs with this one. */
export const cipherDuring = (): SecretCipher => createAesGcmCipher({ keys: { a: KEY_A, b: KEY_B }, current: 'b' });
/** After the rotation: key a is gone, so only what was re-wrapped decrypts. */
export const cipherAfter = (): SecretCipher => createAesGcmCipher({ keys: { b: KEY_B }, current: 'b' });

/** A server of the second edition: 2-step required, devices remembered, secrets wrapped by `cipher`. */
export function secondEditionGate(store: MfaStore, clock: Clock, cipher: SecretCipher = cipherDuring()): Gate {
  return createGate({
    store,
    issuer: 'Race Co',
    policy: { required: true, trustedDevices: { enabled: true } },
    clock,
    cipher,
    directory,
    notifier: { async notify() {} },
  });
}

/** What one racing server is told to do; every user id is unique to its round. */
export type GateCommand =
  | { readonly op: 'verify'; readonly userId: string; readonly code: string; readonly rememberDevice?: boolean }
  | { readonly op: 'reset'; readonly userId: string }
  | { readonly op: 'remove-authenticator'; readonly userId: string; readonly id: string; readonly code: string }
  | { readonly op: 'import'; readonly userId: string; readonly secret: string }
  | { readonly op: 'rewrap'; readonly userId: string };

/** A command's result, or the code and message of what it threw (JSON, to cross a pipe). */
export type CommandOutcome =
  | { readonly value: unknown }
  | { readonly error: { readonly code: string; readonly message: string } };

/** One application server of the second edition's races: a gate on its own store connection. */
export interface RacingServer {
  /** Runs one command, never throwing: what it throws becomes an outcome. */
  run(command: GateCommand): Promise<CommandOutcome>;
  /** Compare-and-sets this server has lost so far: a race nobody ever lost did not race. */
  lost(): number;
}

/**
 * A server on `store` at a fixed time. Its rewrap walks a view of the store
 * whose `listUsers` lists the raced user alone, so that the walk reaches
 * that record at once instead of after every other user of the run.
 */
export function racingServer(store: MfaStore, now: number): RacingServer {
  let lost = 0;
  const counted: MfaStore = {
    get: (userId) => store.get(userId),
    async compareAndSet(userId, expected, next) {
      const written = await store.compareAndSet(userId, expected, next);
      if (!written) lost++;
      return written;
    },
    listOpenResets: () => store.listOpenResets(),
  };
  const cipher = cipherDuring();
  const gate = secondEditionGate(counted, { now: () => now }, cipher);
  const rewrap = (userId: string) =>
    rewrapSecrets({ store: { ...counted, listUsers: async () => ({ userIds: [userId], cursor: null }) }, cipher });
  return {
    lost: () => lost,
    async run(command) {
      try {
        switch (command.op) {
          case 'verify':
            return { value: await gate.verify(command.userId, command.code, command.rememberDevice ? { rememberDevice: {} } : undefined) };
          case 'reset':
            return { value: await gate.reset('root', command.userId) };
          case 'remove-authenticator':
            return { value: await gate.removeAuthenticator(command.userId, command.id, { code: command.code }) };
          case 'import':
            return { value: await gate.importEnrollment(command.userId, { secret: command.secret }) };
          case 'rewrap':
            return { value: await rewrap(command.userId) };
        }
      } catch (error) {
        const { code, message } = error as { code?: unknown; message?: unknown };
        return { error: { code: typeof code === 'string' ? code : 'THROWN', message: String(message) } };
      }
    },
  };
}
