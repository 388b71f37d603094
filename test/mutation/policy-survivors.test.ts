// Tests written to kill mutants that survived `npm run mutation` on
// src/gate/policy.ts: every numeric field's exact range, and the message that
// names it; the shapes refused; the deep freeze of the result.
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, resolvePolicy, type Policy } from '../../src/index.js';
import { policyRefusal } from './rig.js';

const DAY = 86_400_000;

/** [the field as the message names it, a policy setting it, min, max] */
const RANGES: Array<[string, (value: number) => Policy, number, number]> = [
  ['policy.maxPostpones', (v) => ({ maxPostpones: v }), 0, 1000],
  ['policy.code.digits', (v) => ({ code: { digits: v } }), 6, 10],
  ['policy.code.period', (v) => ({ code: { period: v } }), 1, 3600],
  ['policy.code.maxDrift', (v) => ({ code: { maxDrift: v } }), 0, 20],
  ['policy.code.window', (v) => ({ code: { window: v } }), 0, 10],
  ['policy.code.window.past', (v) => ({ code: { window: { past: v } } }), 0, 10],
  ['policy.code.window.future', (v) => ({ code: { window: { future: v } } }), 0, 10],
  ['policy.throttle.lockAfter', (v) => ({ throttle: { lockAfter: v } }), 1, 100],
  ['policy.throttle.hardStopAfter', (v) => ({ throttle: { hardStopAfter: v } }), 1, 100],
  ['policy.throttle.lockMs', (v) => ({ throttle: { lockMs: v, maxLockMs: DAY * 365 } }), 0, DAY * 365],
  ['policy.throttle.maxLockMs', (v) => ({ throttle: { lockMs: 1000, maxLockMs: v } }), 1000, DAY * 365],
  ['policy.enrollment.ttlMs', (v) => ({ enrollment: { ttlMs: v } }), 1000, DAY],
  ['policy.enrollment.maxFailures', (v) => ({ enrollment: { maxFailures: v } }), 1, 100],
  ['policy.recovery.count', (v) => ({ recovery: { count: v } }), 0, 100],
  ['policy.reset.ttlMs', (v) => ({ reset: { ttlMs: v } }), 60_000, DAY * 365],
  ['policy.reset.cooldownMs', (v) => ({ reset: { cooldownMs: v } }), 0, DAY * 365],
  // The second edition's fields.
  ['policy.recovery.warnBelow', (v) => ({ recovery: { warnBelow: v } }), 0, 100],
  ['policy.authenticators.max', (v) => ({ authenticators: { max: v } }), 1, 20],
  ['policy.trustedDevices.ttlMs', (v) => ({ trustedDevices: { ttlMs: v } }), 60_000, DAY * 400],
  ['policy.trustedDevices.max', (v) => ({ trustedDevices: { max: v } }), 1, 100],
  // Without a lock time, the longest lock still lasts a second.
  ['policy.throttle.maxLockMs', (v) => ({ throttle: { lockMs: 0, maxLockMs: v } }), 1000, DAY * 365],
];

describe('resolvePolicy, field by field', () => {
  for (const [name, set, min, max] of RANGES) {
    it(`${name}: integers from ${min} to ${max}, and the message names the field`, () => {
      const message = `${name} must be an integer from ${min} to ${max}`;
      expect(policyRefusal(set(min))).toBe('accepted');
      expect(policyRefusal(set(max))).toBe('accepted');
      expect(policyRefusal(set(min - 1))).toBe(message);
      expect(policyRefusal(set(max + 1))).toBe(message);
      expect(policyRefusal(set(min + 0.5))).toBe(message);
      // A string is refused too (for the window, as a shape: see below).
      if (name !== 'policy.code.window') expect(policyRefusal(set(String(min) as unknown as number))).toBe(message);
    });
  }

  it('takes each value it accepts as given', () => {
    const resolved = resolvePolicy({
      maxPostpones: 7,
      code: { digits: 8, period: 60, maxDrift: 3, window: { past: 2 } },
      throttle: { lockAfter: 3, hardStopAfter: 9, lockMs: 5_000, maxLockMs: 50_000, lockGrowth: 1.5 },
      enrollment: { ttlMs: 2_000, maxFailures: 2 },
      recovery: { count: 0 },
      reset: { ttlMs: 120_000, cooldownMs: 0 },
    });
    expect(resolved).toMatchObject({
      maxPostpones: 7,
      code: { digits: 8, period: 60, maxDrift: 3, window: { past: 2, future: 0 } },
      throttle: { lockAfter: 3, hardStopAfter: 9, lockMs: 5_000, maxLockMs: 50_000, lockGrowth: 1.5 },
      enrollment: { ttlMs: 2_000, maxFailures: 2 },
      recovery: { count: 0 },
      reset: { ttlMs: 120_000, cooldownMs: 0 },
    });
    expect(resolvePolicy({ code: { window: 3 } }).code.window).toEqual({ past: 3, future: 3 });
    // maxLockMs defaults to the larger of lockMs and the default.
    expect(resolvePolicy({ throttle: { lockMs: 2_000_000 } }).throttle.maxLockMs).toBe(2_000_000);
  });

  it('lockGrowth: a number from 1 to 100', () => {
    const message = 'policy.throttle.lockGrowth must be a number from 1 to 100';
    for (const ok of [1, 1.5, 100]) expect(policyRefusal({ throttle: { lockGrowth: ok } })).toBe('accepted');
    for (const bad of [0.99, 100.01, Number.NaN, Number.POSITIVE_INFINITY, '2']) {
      expect(policyRefusal({ throttle: { lockGrowth: bad } })).toBe(message);
    }
  });

  it('algorithm: SHA1, SHA256 or SHA512 only', () => {
    for (const ok of ['SHA1', 'SHA256', 'SHA512']) expect(policyRefusal({ code: { algorithm: ok } })).toBe('accepted');
    for (const bad of ['', 'sha1', 'MD5', 'SHA384']) {
      expect(policyRefusal({ code: { algorithm: bad } })).toBe("policy.code.algorithm must be 'SHA1', 'SHA256' or 'SHA512'");
    }
  });

  it('the shapes it refuses, each with its own message', () => {
    for (const bad of [null, 'strict', 5, true]) expect(policyRefusal(bad)).toBe('policy must be an object');
    for (const bad of [null, '1', true]) {
      expect(policyRefusal({ code: { window: bad } })).toBe('policy.code.window must be a number or { past, future }');
    }
    expect(policyRefusal({ required: 'yes' })).toBe('policy.required must be a boolean or a function');
    const deadline = 'policy.postponeDeadline must be a time in milliseconds, a Date or null';
    for (const bad of ['2027-01-01', Number.NaN, new Date(Number.NaN)]) expect(policyRefusal({ postponeDeadline: bad })).toBe(deadline);
  });

  it('postponeDeadline: null and undefined mean never; a Date becomes milliseconds', () => {
    expect(resolvePolicy({ postponeDeadline: null }).postponeDeadline).toBeNull();
    expect(resolvePolicy({ postponeDeadline: undefined }).postponeDeadline).toBeNull();
    expect(resolvePolicy({ postponeDeadline: new Date(5_000) }).postponeDeadline).toBe(5_000);
    expect(resolvePolicy({ postponeDeadline: 0 }).postponeDeadline).toBe(0);
  });

  it('the result and DEFAULT_POLICY are frozen all the way down', () => {
    const resolved = resolvePolicy({ maxPostpones: 1 });
    for (const object of [resolved, resolved.code, resolved.code.window, resolved.throttle, resolved.enrollment, resolved.recovery, resolved.reset]) {
      expect(Object.isFrozen(object)).toBe(true);
    }
    for (const object of [DEFAULT_POLICY, DEFAULT_POLICY.code, DEFAULT_POLICY.code.window, DEFAULT_POLICY.throttle]) {
      expect(Object.isFrozen(object)).toBe(true);
    }
    expect(resolvePolicy()).toBe(DEFAULT_POLICY);
  });
});

describe('the second edition\'s policy', () => {
  it('its defaults', () => {
    expect(DEFAULT_POLICY.recovery).toEqual({ count: 10, warnBelow: 3 });
    expect(DEFAULT_POLICY.authenticators).toEqual({ max: 5 });
    expect(DEFAULT_POLICY.trustedDevices).toEqual({ enabled: false, ttlMs: 30 * DAY, max: 10 });
    expect(resolvePolicy({ maxPostpones: 1 })).toMatchObject({
      recovery: { count: 10, warnBelow: 3 },
      authenticators: { max: 5 },
      trustedDevices: { enabled: false, ttlMs: 30 * DAY, max: 10 },
    });
  });

  it('takes each value as given', () => {
    expect(
      resolvePolicy({ recovery: { warnBelow: 0 }, authenticators: { max: 2 }, trustedDevices: { enabled: true, ttlMs: 120_000, max: 3 } }),
    ).toMatchObject({ recovery: { count: 10, warnBelow: 0 }, authenticators: { max: 2 }, trustedDevices: { enabled: true, ttlMs: 120_000, max: 3 } });
    expect(resolvePolicy({ trustedDevices: { enabled: false } }).trustedDevices.enabled).toBe(false);
  });

  it('trustedDevices.enabled must be a boolean', () => {
    for (const bad of ['yes', 1, 0]) expect(policyRefusal({ trustedDevices: { enabled: bad } })).toBe('policy.trustedDevices.enabled must be a boolean');
  });

  it('names every field it knows when refusing one it does not', () => {
    expect(policyRefusal({ maxPostpone: 1 })).toBe(
      'policy has no field "maxPostpone"; known: required, maxPostpones, postponeDeadline, code, throttle, enrollment, recovery, reset, authenticators, trustedDevices, passkeys',
    );
    const sections: Array<[string, string]> = [
      ['code', 'algorithm, digits, period, window, maxDrift'],
      ['throttle', 'lockAfter, lockMs, lockGrowth, maxLockMs, hardStopAfter'],
      ['enrollment', 'ttlMs, maxFailures'],
      ['recovery', 'count, warnBelow'],
      ['reset', 'ttlMs, cooldownMs'],
      ['authenticators', 'max'],
      ['trustedDevices', 'enabled, ttlMs, max'],
    ];
    for (const [section, fields] of sections) {
      expect(policyRefusal({ [section]: { nope: 1 } })).toBe(`policy.${section} has no field "nope"; known: ${fields}`);
      for (const bad of [null, [], 'x', 3]) expect(policyRefusal({ [section]: bad })).toBe(`policy.${section} must be an object`);
      // Every field it names is one it takes.
      for (const field of fields.split(', ')) expect(policyRefusal({ [section]: { [field]: undefined } })).toBe('accepted');
    }
    // A long unknown name is cut at 40 characters.
    expect(policyRefusal({ ['x'.repeat(50)]: 1 })).toMatch(new RegExp(`^policy has no field "${'x'.repeat(40)}"; known:`));
    for (const field of ['required', 'maxPostpones', 'postponeDeadline']) expect(policyRefusal({ [field]: undefined })).toBe('accepted');
  });

  it('its sections are frozen too', () => {
    const resolved = resolvePolicy({ maxPostpones: 1 });
    for (const object of [resolved.authenticators, resolved.trustedDevices, DEFAULT_POLICY.authenticators, DEFAULT_POLICY.trustedDevices, DEFAULT_POLICY.recovery]) {
      expect(Object.isFrozen(object)).toBe(true);
    }
  });
});
