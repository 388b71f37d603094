import * as OTPAuth from 'otpauth';
import { afterEach, describe, expect, it, vi } from 'vitest';

describe('examples/core.ts', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('makes a secret and a code that another implementation agrees with, and verifies it', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const before = Date.now();
    const example = await import('../../examples/core.js');
    expect(example.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(example.code).toMatch(/^\d{6}$/);
    // otpauth computes the code for the same secret at the same moment (or the next
    // step, if the 30-second boundary fell in between).
    const reference = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(example.secret) });
    const expected = [reference.generate({ timestamp: before }), reference.generate({ timestamp: Date.now() })];
    expect(expected).toContain(example.code);
    expect(example.match).toEqual({ delta: 0, step: expect.any(Number) });
    expect(example.match?.step).toBeGreaterThanOrEqual(Math.floor(before / 30_000));
    expect(log).toHaveBeenCalledWith(example.code, example.match);
  });
});
