// A gate wired to a memory store, a movable clock, a directory and a
// recording notifier that can be made to fail.
import { totp } from '../../src/core/totp.js';
import type { GateEvent } from '../../src/gate/events.js';
import { createGate, type Gate, type GateConfig } from '../../src/gate/gate.js';
import type { Policy } from '../../src/gate/policy.js';
import { parseGateRecord, type GateRecord } from '../../src/gate/record.js';
import type { SecretCipher } from '../../src/seams/cipher.js';
import type { Directory } from '../../src/seams/directory.js';
import type { MfaStore } from '../../src/seams/store.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { T0 } from './fixtures.js';

export interface HarnessOptions {
  readonly policy?: Policy;
  readonly cipher?: SecretCipher;
  readonly store?: MfaStore;
  /** userId → the ids of their administrators. */
  readonly admins?: Record<string, string[]>;
  readonly onNotifyError?: GateConfig['onNotifyError'];
  readonly notifyTimeoutMs?: number;
  /** Default 0: deliveries' results are written before each call returns, so records can be inspected right after. */
  readonly settleDelayMs?: number;
}

export function harness(options: HarnessOptions = {}) {
  // Mid-step, so a code computed "now" stays the current one for 15 s.
  let now = T0 + 15_000;
  const clock = { now: () => now };
  const store = options.store ?? createMemoryStore();
  const events: GateEvent[] = [];
  const notifier = {
    failing: false,
    calls: 0,
    async notify(event: GateEvent) {
      notifier.calls++;
      if (notifier.failing) throw new Error('smtp: connection refused');
      events.push(event);
    },
  };
  const admins = options.admins ?? { alice: ['root', 'carol'], bob: ['root'], root: ['carol'] };
  const directory: Directory = {
    async administratorsOf(userId) {
      return (admins[userId] ?? []).map((id) => ({ id, name: id.toUpperCase() }));
    },
    async isAdministratorOf(adminId, userId) {
      return adminId !== userId && (admins[userId] ?? []).includes(adminId);
    },
    async accountLabel(userId) {
      return `${userId}@acme.example`;
    },
  };
  const config: GateConfig = {
    store,
    directory,
    notifier,
    issuer: 'ACME Co',
    clock,
    policy: options.policy,
    cipher: options.cipher,
    onNotifyError: options.onNotifyError,
    notifyTimeoutMs: options.notifyTimeoutMs,
    settleDelayMs: options.settleDelayMs ?? 0,
  };
  /** Another application server on the same store. */
  const server = (): Gate => createGate(config);
  return {
    gate: server(),
    server,
    store,
    events,
    notifier,
    admins,
    get now() {
      return now;
    },
    advance(ms: number) {
      now += ms;
    },
    /** The current code of `secret` on the gate's clock, computed by the core. */
    code(secret: string, at = now) {
      return totp(secret, { now: at });
    },
    async record(userId: string): Promise<GateRecord> {
      const found = await store.get(userId);
      if (found === null) throw new Error(`no record for ${userId}`);
      return parseGateRecord(found.record);
    },
  };
}

/** The OtpError code a promise rejects with, or 'resolved'. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

/** Enrolls `userId` through the gate and returns the secret and recovery codes. */
export async function enroll(h: ReturnType<typeof harness>, userId: string): Promise<{ secret: string; recoveryCodes: readonly string[] }> {
  const { secret } = await h.gate.beginEnrollment(userId);
  const confirmed = await h.gate.confirmEnrollment(userId, h.code(secret));
  if (!confirmed.ok) throw new Error(`enrollment failed: ${confirmed.reason}`);
  h.advance(30_000); // the confirming step is consumed
  return { secret, recoveryCodes: confirmed.recoveryCodes };
}
