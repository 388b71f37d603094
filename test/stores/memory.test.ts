import { describe, expect, it } from 'vitest';
import { isOtpError } from '../../src/errors.js';
import type { MfaRecord } from '../../src/seams/store.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { describeStoreContract } from './contract.js';

describeStoreContract('memory', () => createMemoryStore());

describe('createMemoryStore', () => {
  it('each call makes an independent store', async () => {
    const one = createMemoryStore();
    const two = createMemoryStore();
    await one.compareAndSet('alice', null, { resetRequest: null });
    expect(await two.get('alice')).toBeNull();
  });

  it('refuses a record that is not a JSON value with ERR_STORE, writing nothing', async () => {
    const store = createMemoryStore();
    const cyclic: Record<string, unknown> = { resetRequest: null };
    cyclic['self'] = cyclic;
    const error = await store.compareAndSet('alice', null, cyclic as MfaRecord).catch((caught: unknown) => caught);
    expect(isOtpError(error) && error.code).toBe('ERR_STORE');
    await expect(store.compareAndSet('bob', null, { resetRequest: null, big: 1n } as MfaRecord)).rejects.toMatchObject({
      code: 'ERR_STORE',
    });
    expect(await store.get('alice')).toBeNull();
    expect(await store.get('bob')).toBeNull();
  });
});
