// Shared builders for the gate tests: records in a given state, decision
// contexts, and codes computed by the core at a chosen time.
import { totp } from '../../src/core/totp.js';
import type { DecideContext } from '../../src/gate/decide.js';
import { DEFAULT_POLICY, resolvePolicy, type Policy } from '../../src/gate/policy.js';
import { initialRecord, type GateRecord } from '../../src/gate/record.js';
import { issueRecoveryCodes } from '../../src/gate/recovery.js';

export const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
export const OTHER_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
/** 2026-01-01T00:00:00Z, on a 30 s step boundary. */
export const T0 = Date.UTC(2026, 0, 1);
export const STEP = 30_000;

/** The code of `secret` at `now` (ms), by the core. */
export function codeAt(now: number, secret = SECRET): string {
  return totp(secret, { now });
}

let serial = 0;

export function ctx(overrides: Partial<DecideContext> & { policy?: DecideContext['policy'] } = {}): DecideContext {
  return {
    userId: 'alice',
    now: T0,
    policy: DEFAULT_POLICY,
    id: `id${++serial}`,
    required: true,
    activeKey: SECRET,
    pendingKey: SECRET,
    freshSecret: { plain: SECRET, stored: SECRET, wrapped: false },
    recoveryCodes: { codes: [], hashes: [] },
    ...overrides,
  };
}

export function policy(p: Policy): DecideContext['policy'] {
  return resolvePolicy(p);
}

/** An enrolled record whose last accepted step is the one before `now`. */
export function enrolled(now = T0, overrides: Partial<GateRecord> = {}): GateRecord {
  return {
    ...initialRecord(),
    state: 'enrolled',
    active: {
      secret: SECRET,
      wrapped: false,
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
      enrolledAt: now - STEP,
      lastStep: Math.floor(now / STEP) - 1,
      drift: 0,
    },
    ...overrides,
  };
}

export function enrolling(now = T0, overrides: Partial<GateRecord> = {}): GateRecord {
  return {
    ...initialRecord(),
    state: 'enrolling',
    pending: { secret: SECRET, wrapped: false, algorithm: 'SHA1', digits: 6, period: 30, createdAt: now, expiresAt: now + 600_000, failures: 0 },
    ...overrides,
  };
}

export const RECOVERY = issueRecoveryCodes(3);

/** Freezes a value deeply, so a decision that mutates its input throws. */
export function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) frozen(inner);
    Object.freeze(value);
  }
  return value;
}
