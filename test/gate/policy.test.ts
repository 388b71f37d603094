import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, resolvePolicy, type Policy } from '../../src/gate/policy.js';

describe('resolvePolicy', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_POLICY).toEqual({
      required: true,
      maxPostpones: 2,
      postponeDeadline: null,
      code: { algorithm: 'SHA1', digits: 6, period: 30, window: { past: 1, future: 1 }, maxDrift: 4 },
      throttle: { lockAfter: 5, lockMs: 30_000, lockGrowth: 2, maxLockMs: 900_000, hardStopAfter: 100 },
      enrollment: { ttlMs: 600_000, maxFailures: 5 },
      recovery: { count: 10, warnBelow: 3 },
      reset: { ttlMs: 259_200_000, cooldownMs: 900_000 },
      authenticators: { max: 5 },
      trustedDevices: { enabled: false, ttlMs: 2_592_000_000, max: 10 },
      passkeys: { challengeTtlMs: 300_000, userVerification: 'preferred' },
    });
    expect(Object.isFrozen(DEFAULT_POLICY.throttle)).toBe(true);
    expect(resolvePolicy()).toBe(DEFAULT_POLICY);
  });

  it('fills in what is left out and keeps what is given', () => {
    const required = (userId: string) => userId.startsWith('corp:');
    const p = resolvePolicy({ required, maxPostpones: 0, postponeDeadline: new Date(1000), code: { window: 2 }, recovery: { count: 0 } });
    expect(p.required).toBe(required);
    expect(p.maxPostpones).toBe(0);
    expect(p.postponeDeadline).toBe(1000);
    expect(p.code).toEqual({ ...DEFAULT_POLICY.code, window: { past: 2, future: 2 } });
    expect(p.recovery.count).toBe(0);
    expect(p.throttle).toEqual(DEFAULT_POLICY.throttle);
    expect(resolvePolicy({ code: { window: { past: 2 } } }).code.window).toEqual({ past: 2, future: 0 });
  });

  const bad: Array<[string, unknown]> = [
    ['required', { required: 'yes' }],
    ['maxPostpones', { maxPostpones: -1 }],
    ['maxPostpones', { maxPostpones: 1.5 }],
    ['postponeDeadline', { postponeDeadline: Number.NaN }],
    ['algorithm', { code: { algorithm: 'MD5' } }],
    ['digits', { code: { digits: 5 } }],
    ['window', { code: { window: 11 } }],
    ['maxDrift', { code: { maxDrift: -1 } }],
    ['hardStopAfter', { throttle: { hardStopAfter: 101 } }], // NIST SP 800-63B: at most 100
    ['lockAfter', { throttle: { lockAfter: 0 } }],
    ['lockGrowth', { throttle: { lockGrowth: 0.5 } }],
    ['maxLockMs', { throttle: { lockMs: 60_000, maxLockMs: 1000 } }],
    ['maxFailures', { enrollment: { maxFailures: 0 } }],
    ['count', { recovery: { count: 101 } }],
    ['cooldownMs', { reset: { cooldownMs: -5 } }],
  ];
  it.each(bad)('refuses a bad %s with ERR_OPTIONS naming the field', (field, policy) => {
    expect(() => resolvePolicy(policy as Policy)).toThrowError(expect.objectContaining({ code: 'ERR_OPTIONS', message: expect.stringContaining(field) }));
  });
});
