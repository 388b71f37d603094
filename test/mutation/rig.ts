// Set-up shared by the survivor tests in this folder: the ways they catch a
// refusal, the instrumented memory store and the held notifier, gates with a
// stopped clock, decide() on frozen input, and a few record and cipher
// builders. Records, contexts and codes come from ../gate/fixtures.ts, and
// the gate with a movable clock from ../gate/harness.ts; what is here is what
// several files of this folder had written out each for itself. Where their
// copies differed, the difference is a parameter (countingStore's `listing`,
// countingCipher's `needsRewrap`, seams' `stubs`, sleep's timer).
import { createCipheriv } from 'node:crypto';
import { isOtpError, type OtpError } from '../../src/errors.js';
import { createAesGcmCipher } from '../../src/gate/aes-gcm.js';
import { decide, type Command, type DecideContext } from '../../src/gate/decide.js';
import type { GateEvent } from '../../src/gate/events.js';
import { createGate, type GateConfig } from '../../src/gate/gate.js';
import { resolvePolicy, type Policy } from '../../src/gate/policy.js';
import { parseGateRecord, type ActiveSecret, type GateRecord } from '../../src/gate/record.js';
import type { SecretCipher } from '../../src/seams/cipher.js';
import type { Directory } from '../../src/seams/directory.js';
import type { Notifier } from '../../src/seams/notifier.js';
import type { MfaStore } from '../../src/seams/store.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { codeAt, ctx, frozen, OTHER_SECRET, SECRET, STEP, T0 } from '../gate/fixtures.js';
import type { harness } from '../gate/harness.js';
import { SoftPasskey } from '../gate/soft-passkey.js';

export type H = ReturnType<typeof harness>;

/** T0 + 15 s: mid-step, where the harness's clock starts, so a code computed at T stays current for 15 s. */
export const T = T0 + 15_000;

// ---------------------------------------------------------------------------
// Refusals.

/**
 * The OtpError a call throws or rejects with (fails the test if it does not).
 * Takes a function, so a synchronous throw is caught too, or a promise
 * already started.
 */
export async function failure(call: (() => unknown) | Promise<unknown>): Promise<OtpError> {
  try {
    await (typeof call === 'function' ? call() : call);
  } catch (error) {
    if (isOtpError(error)) return error;
    throw new Error(`expected an OtpError, got ${String(error)}`);
  }
  throw new Error('expected a failure, got none');
}

/**
 * The code and message of whatever a promise rejects with, OtpError or not:
 * for a module loaded afresh, whose OtpError is another class, and for
 * rewrapSecrets, whose refusals are compared whole.
 */
export async function rejection(promise: Promise<unknown>): Promise<{ code: unknown; message: unknown }> {
  try {
    await promise;
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    return { code, message };
  }
  throw new Error('expected a rejection');
}

/** The code and message of the OtpError a synchronous call throws, or 'no error' (anything else is rethrown). */
export function refusal(fn: () => unknown): { code: string; message: string } | 'no error' {
  try {
    fn();
  } catch (error) {
    if (isOtpError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  return 'no error';
}

/** The message with which resolvePolicy refuses `policy` as ERR_OPTIONS, or 'accepted'. */
export function policyRefusal(policy: unknown): string {
  try {
    resolvePolicy(policy as Policy);
  } catch (error) {
    if (isOtpError(error) && error.code === 'ERR_OPTIONS') return error.message;
    throw error;
  }
  return 'accepted';
}

/** A promise that resolves after `ms`; pass the real setTimeout where a test stubs the global one. */
export function sleep(ms: number, setTimer: (fn: () => void, ms: number) => unknown = setTimeout): Promise<void> {
  return new Promise((resolve) => void setTimer(resolve, ms));
}

// ---------------------------------------------------------------------------
// decide() and the records it works on.

/** A throttle with nothing counted. */
export const CLEAR = { failures: 0, locks: 0, lockedUntil: null, hardStop: false };

/** A code that is not `code`. */
export const wrong = (code: string) => (code === '000000' ? '111111' : '000000');

/** A code of SECRET that is wrong at `at`. */
export const wrongAt = (at: number) => wrong(codeAt(at));

/** decide() on a frozen record, so a decision that mutates its input throws. */
export function run<C extends Command>(record: GateRecord, command: C, context: DecideContext = ctx()) {
  return decide(frozen(record), command, context);
}

/** A second authenticator (OTHER_SECRET, id 'a2', label 'Spare'), last used the step before `now`. */
export function spare(now = T0, overrides: Partial<ActiveSecret> = {}): ActiveSecret {
  return {
    secret: OTHER_SECRET,
    wrapped: false,
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    enrolledAt: now - STEP,
    lastStep: Math.floor(now / STEP) - 1,
    drift: 0,
    id: 'a2',
    label: 'Spare',
    lastUsedAt: null,
    ...overrides,
  };
}

// ---------------------------------------------------------------------------
// Seams and gates.

/**
 * A memory store that counts its calls and can be made to misbehave on its
 * next compare-and-sets: lose `n` of them (`loseNext`), wait until released
 * (`hold` / `release`, `waiting` counts those held), or throw `failNext.error`,
 * after writing when `failNext.written`. `listing` adds `delete` and a
 * `listUsers` that records the pages asked for (rewrapSecrets needs it; the
 * gate's tests do without, as a store may). Its methods do not use `this`, so
 * they can be copied into another store.
 */
export function countingStore(options: { listing?: boolean } = {}) {
  const inner = createMemoryStore();
  const counts = { get: 0, cas: 0 };
  const pages: Array<{ cursor: string | null | undefined; limit: number | undefined }> = [];
  let lose = 0;
  let held: Promise<void> | null = null;
  let open: () => void = () => {};
  let waiting = 0;
  const listing: Pick<MfaStore, 'delete' | 'listUsers'> = {
    delete: (userId) => inner.delete!(userId),
    async listUsers(page) {
      pages.push({ cursor: page?.cursor, limit: page?.limit });
      return inner.listUsers!(page);
    },
  };
  const rig = {
    inner,
    counts,
    pages,
    failNext: null as { error: unknown; written: boolean } | null,
    get waiting() {
      return waiting;
    },
    loseNext(n: number) {
      lose = n;
    },
    hold() {
      held = new Promise((resolve) => (open = resolve));
    },
    release() {
      held = null;
      open();
    },
    reset() {
      counts.get = 0;
      counts.cas = 0;
    },
    store: {
      async get(userId) {
        counts.get++;
        return inner.get(userId);
      },
      async compareAndSet(userId, expected, next) {
        counts.cas++;
        if (lose > 0) {
          lose--;
          return false;
        }
        if (held !== null) {
          waiting++;
          await held;
        }
        const fail = rig.failNext;
        if (fail !== null) {
          rig.failNext = null;
          if (fail.written) await inner.compareAndSet(userId, expected, next);
          throw fail.error;
        }
        return inner.compareAndSet(userId, expected, next);
      },
      listOpenResets: () => inner.listOpenResets(),
      ...(options.listing === true ? listing : {}),
    } satisfies MfaStore as MfaStore,
  };
  return rig;
}

/** A notifier whose every call waits until the test resolves or rejects it. */
export function heldNotifier() {
  const calls: Array<{ event: GateEvent; resolve: () => void; reject: (error: Error) => void }> = [];
  return {
    calls,
    notify: (event: GateEvent) => new Promise<void>((resolve, reject) => calls.push({ event, resolve, reject })),
  };
}

/**
 * The least createGate takes: a memory store (or `store`) and the issuer
 * 'ACME', with a directory that names no administrator and a notifier that
 * takes every event, unless `stubs` is false.
 */
export function seams(options?: { store?: MfaStore; stubs?: true }): { store: MfaStore; directory: Directory; notifier: Notifier; issuer: string };
export function seams(options: { store?: MfaStore; stubs: false }): { store: MfaStore; issuer: string };
export function seams(options: { store?: MfaStore; stubs?: boolean } = {}): { store: MfaStore; directory?: Directory; notifier?: Notifier; issuer: string } {
  const store = options.store ?? createMemoryStore();
  if (options.stubs === false) return { store, issuer: 'ACME' };
  return {
    store,
    directory: { administratorsOf: async () => [], isAdministratorOf: async () => false },
    notifier: { notify: async () => {} },
    issuer: 'ACME',
  };
}

/** A gate on `store` with the issuer 'X', its clock stopped at T, and only the other seams `config` gives. */
export function bareGate(store: MfaStore, config: Partial<Omit<GateConfig, 'store'>> = {}) {
  return createGate({ store, issuer: 'X', clock: { now: () => T }, ...config });
}

/** Alice enrolled with SECRET a minute before T, through a gate without a notifier (no events queued). */
export async function enrolledIn(store: MfaStore): Promise<void> {
  const setup = bareGate(store, { clock: { now: () => T - 60_000 } });
  await setup.importEnrollment('alice', { secret: SECRET, lastStep: 0 });
}

/** Alice enrolled (as by enrolledIn) in a new counting store, and a bareGate on that store with `config`. */
export async function enrolledGate(config: Partial<Omit<GateConfig, 'store'>> = {}) {
  const s = countingStore();
  await enrolledIn(s.inner);
  return { s, gate: bareGate(s.store, config) };
}

/** The record of `userId` as parsed from the store (which must hold one). */
export async function recordOf(store: MfaStore, userId = 'alice'): Promise<GateRecord> {
  return parseGateRecord((await store.get(userId))!.record);
}

// ---------------------------------------------------------------------------
// Passkeys.

export const RP = { rpId: 'example.com', rpName: 'Example', origin: 'https://example.com' } as const;

/** Registers `key` (a new software passkey by default) for `userId` through the gate; returns it. */
export async function passkeyUser(h: H, userId = 'alice', key = new SoftPasskey()): Promise<SoftPasskey> {
  const options = await h.gate.beginPasskeyRegistration(userId, RP);
  const result = await h.gate.confirmPasskeyRegistration(userId, key.register(options, RP.origin));
  if (!result.ok) throw new Error(`registration refused: ${result.reason}`);
  return key;
}

// ---------------------------------------------------------------------------
// The cipher.

export const CIPHER_KEY = new Uint8Array(32).fill(9);
export const OTHER_CIPHER_KEY = new Uint8Array(32).fill(4);
/** The secret the cipher tests wrap (shorter than fixtures' SECRET, which the gate tests enroll). */
export const PLAIN_SECRET = 'JBSWY3DPEHPK3PXP';

export const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/** A v1 token sealed by node:crypto, independently of the cipher under test, with the same key, IV and additional data. */
export function sealV1(plain: Uint8Array, context: string, key = CIPHER_KEY, iv = new Uint8Array(12).fill(1)): string {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return `v1.${b64url(iv)}.${b64url(body)}`;
}

/**
 * A cipher that counts its calls around `inner` (by default the real AES-GCM
 * one on a fixed key). `needsRewrap` passes that question on to `inner`;
 * without it the counting cipher has no `needsRewrap`, as a host's may not.
 */
export function countingCipher(inner: SecretCipher = createAesGcmCipher({ key: new Uint8Array(32).fill(7) }), options: { needsRewrap?: boolean } = {}) {
  const counts = { encrypt: 0, decrypt: 0 };
  const cipher: SecretCipher = {
    encrypt: (plain, context) => (counts.encrypt++, inner.encrypt(plain, context)),
    decrypt: (wrapped, context) => (counts.decrypt++, inner.decrypt(wrapped, context)),
    ...(options.needsRewrap === true ? { needsRewrap: (wrapped: string) => inner.needsRewrap!(wrapped) } : {}),
  };
  return { cipher, counts };
}
