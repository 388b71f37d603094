// src/internal/sha512.ts is written by scripts/gen-sha512.mjs: the committed
// file must be exactly what the generator makes, so a hand edit of the
// generated rounds (or a generator change not run) fails here. Correctness of
// the compression itself is test/core/mac.test.ts's, against node:crypto.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain .mjs script without declarations
import { generate } from '../../scripts/gen-sha512.mjs';

describe('generated SHA-512 compression', () => {
  it('src/internal/sha512.ts is what scripts/gen-sha512.mjs makes', () => {
    const committed = readFileSync(new URL('../../src/internal/sha512.ts', import.meta.url), 'utf8');
    expect(committed === (generate as () => string)()).toBe(true);
  });
});
