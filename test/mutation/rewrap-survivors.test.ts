// Written from the mutants of src/gate/rewrap.ts (key rotation): what
// rewrapSecrets refuses and with which message, how it pages through the
// store and reports progress, what it writes (only stale records, every
// secret of them under the current key, bound to the user), and how it
// retries a lost compare-and-set.
import { describe, expect, it } from 'vitest';
import { totp } from '../../src/core/totp.js';
import { createAesGcmCipher, createGate, createMemoryStore, rewrapSecrets, type MfaStore, type RewrapProgress, type SecretCipher } from '../../src/index.js';
import { isStale, upgradeSecrets, type SecretIo } from '../../src/gate/rewrap.js';
import { initialRecord, type GateRecord } from '../../src/gate/record.js';
import { enrolled, SECRET, OTHER_SECRET, T0 } from '../gate/fixtures.js';
import { countingStore, recordOf, rejection } from './rig.js';

const keyA = new Uint8Array(32).fill(1);
const keyB = new Uint8Array(32).fill(2);
const underA = () => createAesGcmCipher({ keys: { a: keyA }, current: 'a' });
const rotated = () => createAesGcmCipher({ keys: { a: keyA, b: keyB }, current: 'b' });

/** The counting store with `delete` and `listUsers`, which rewrapSecrets walks; it records the pages asked for. */
const spyStore = () => countingStore({ listing: true });

async function seed(store: MfaStore, userId: string, record: GateRecord): Promise<void> {
  expect(await store.compareAndSet(userId, null, record)).toBe(true);
}

describe('rewrapSecrets refuses what it cannot work with, saying why', () => {
  const { store } = spyStore();
  const cipher = rotated();
  const listLess: MfaStore = { get: store.get, compareAndSet: store.compareAndSet, listOpenResets: store.listOpenResets };

  it.each([
    ['no options at all', undefined, 'rewrapSecrets: the store must offer listUsers'],
    ['no store', { cipher }, 'rewrapSecrets: the store must offer listUsers'],
    ['a store without listUsers', { store: listLess, cipher }, 'rewrapSecrets: the store must offer listUsers'],
    ['no cipher', { store }, 'rewrapSecrets: cipher is required'],
    ['a cipher without encrypt', { store, cipher: { decrypt: cipher.decrypt } }, 'rewrapSecrets: cipher is required'],
    ['a cipher without decrypt', { store, cipher: { encrypt: cipher.encrypt } }, 'rewrapSecrets: cipher is required'],
    ['pageSize 0', { store, cipher, pageSize: 0 }, 'rewrapSecrets: pageSize must be an integer from 1 to 1000'],
    ['pageSize 1001', { store, cipher, pageSize: 1001 }, 'rewrapSecrets: pageSize must be an integer from 1 to 1000'],
    ['pageSize 2.5', { store, cipher, pageSize: 2.5 }, 'rewrapSecrets: pageSize must be an integer from 1 to 1000'],
  ])('%s', async (_, options, message) => {
    expect(await rejection(rewrapSecrets(options as never))).toEqual({ code: 'ERR_OPTIONS', message });
  });

  it('accepts pageSize 1 and 1000, and asks the store for pages of 100 by default, from the start', async () => {
    const spy = spyStore();
    for (const pageSize of [1, 1000]) expect(await rewrapSecrets({ store: spy.store, cipher, pageSize })).toEqual({ users: 0, rewrapped: 0, cursor: null });
    await rewrapSecrets({ store: spy.store, cipher });
    expect(spy.pages).toEqual([
      { cursor: null, limit: 1 },
      { cursor: null, limit: 1000 },
      { cursor: null, limit: 100 },
    ]);
  });
});

describe('rewrapSecrets walks every user once and reports each page', () => {
  it('wraps plain and old-key secrets under the current key, leaves current ones alone, and counts both', async () => {
    const spy = spyStore();
    const oldKey = underA();
    const plainRecord = enrolled(T0);
    const wrappedA = enrolled(T0, { active: { ...enrolled(T0).active!, secret: await oldKey.encrypt(SECRET, 'bea'), wrapped: true } });
    const cipher = rotated();
    const current = enrolled(T0, { active: { ...enrolled(T0).active!, secret: await cipher.encrypt(SECRET, 'cid'), wrapped: true } });
    await seed(spy.store, 'ann', plainRecord);
    await seed(spy.store, 'bea', wrappedA);
    await seed(spy.store, 'cid', current);
    await seed(spy.store, 'dan', initialRecord());
    const currentJson = JSON.stringify((await spy.store.get('cid'))!.record);
    spy.counts.cas = 0;

    const progress: RewrapProgress[] = [];
    const done = await rewrapSecrets({ store: spy.store, cipher, pageSize: 3, onProgress: (p) => progress.push(p) });
    expect(done).toEqual({ users: 4, rewrapped: 2, cursor: null });
    expect(progress).toEqual([
      { users: 3, rewrapped: 2, cursor: 'cid' },
      { users: 4, rewrapped: 2, cursor: null },
    ]);
    expect(spy.pages).toEqual([
      { cursor: null, limit: 3 },
      { cursor: 'cid', limit: 3 },
    ]);
    // One write per stale record, none for the others.
    expect(spy.counts.cas).toBe(2);
    expect(JSON.stringify((await spy.store.get('cid'))!.record)).toBe(currentJson);
    // Each secret now opens under the current key, for its own user only.
    for (const userId of ['ann', 'bea']) {
      const active = (await recordOf(spy.store, userId)).active!;
      expect(active.wrapped).toBe(true);
      expect(active.secret.startsWith('v2.b.')).toBe(true);
      expect(await createAesGcmCipher({ keys: { b: keyB }, current: 'b' }).decrypt(active.secret, userId)).toBe(SECRET);
    }
    // Nothing else of the record moved.
    const ann = await recordOf(spy.store, 'ann');
    expect({ ...ann, active: { ...ann.active!, secret: SECRET, wrapped: false } }).toEqual(plainRecord);
  });

  it('resumes after the cursor it is given', async () => {
    const spy = spyStore();
    for (const userId of ['ann', 'bea', 'cid']) await seed(spy.store, userId, enrolled(T0));
    const done = await rewrapSecrets({ store: spy.store, cipher: rotated(), cursor: 'ann' });
    expect(done).toEqual({ users: 2, rewrapped: 2, cursor: null });
    expect(spy.pages).toEqual([{ cursor: 'ann', limit: 100 }]);
    expect((await recordOf(spy.store, 'ann')).active!.wrapped).toBe(false);
  });

  it('skips a user deleted between the listing and the read', async () => {
    const spy = spyStore();
    await seed(spy.store, 'ann', enrolled(T0));
    const vanishing: MfaStore = {
      ...spy.store,
      async listUsers(options) {
        const page = await spy.inner.listUsers!(options);
        await spy.inner.delete!('ann');
        return page;
      },
    };
    expect(await rewrapSecrets({ store: vanishing, cipher: rotated() })).toEqual({ users: 1, rewrapped: 0, cursor: null });
    expect(spy.counts.cas).toBe(1); // the seed only
  });

  it('re-wraps every authenticator and the pending secret; the gate still logs in with each', async () => {
    const store = createMemoryStore();
    let now = T0 + 15_000;
    const clock = { now: () => now };
    const plain = createGate({ store, issuer: 'X', clock });
    const { secret: first } = await plain.beginEnrollment('ann');
    await plain.confirmEnrollment('ann', totp(first, { now }));
    now += 30_000;
    const { secret: second } = await plain.beginEnrollment('ann', { code: totp(first, { now }) });
    await plain.confirmEnrollment('ann', totp(second, { now }));
    now += 30_000;
    const { secret: third } = await plain.beginEnrollment('ann', { code: totp(second, { now }) });
    const cipher = rotated();
    expect(await rewrapSecrets({ store, cipher })).toEqual({ users: 1, rewrapped: 1, cursor: null });
    const record = await recordOf(store, 'ann');
    for (const secret of [record.active!, ...record.additional!, record.pending!]) expect(secret).toMatchObject({ wrapped: true, secret: expect.stringMatching(/^v2\.b\./) });
    const gate = createGate({ store, issuer: 'X', clock, cipher: createAesGcmCipher({ keys: { b: keyB }, current: 'b' }) });
    expect(await gate.confirmEnrollment('ann', totp(third, { now }))).toEqual({ ok: true, recoveryCodes: [] });
    now += 30_000;
    for (const secret of [first, second, third]) {
      expect(await gate.verify('ann', totp(secret, { now }))).toMatchObject({ ok: true, method: 'totp' });
    }
  });
});

describe('rewrapSecrets and lost compare-and-sets', () => {
  it('reads again and retries: 23 lost rounds still succeed', async () => {
    const spy = spyStore();
    await seed(spy.store, 'ann', enrolled(T0));
    spy.counts.get = 0;
    spy.counts.cas = 0;
    spy.loseNext(23);
    expect(await rewrapSecrets({ store: spy.store, cipher: rotated() })).toEqual({ users: 1, rewrapped: 1, cursor: null });
    expect(spy.counts).toEqual({ get: 24, cas: 24 });
  });

  it('gives up after 24 lost rounds with ERR_CONFLICT', async () => {
    const spy = spyStore();
    await seed(spy.store, 'ann', enrolled(T0));
    spy.counts.cas = 0;
    spy.loseNext(24);
    expect(await rejection(rewrapSecrets({ store: spy.store, cipher: rotated() }))).toEqual({
      code: 'ERR_CONFLICT',
      message: "rewrapSecrets kept losing the race for a user's record; run it again",
    });
    expect(spy.counts.cas).toBe(24);
    expect((await recordOf(spy.store, 'ann')).active!.wrapped).toBe(false);
  });
});

describe('upgradeSecrets and isStale', () => {
  const io = (log: string[]): SecretIo => ({
    plain: async (s) => (log.push(`plain ${s.secret}`), s.secret.replace(/^w:/, '')),
    wrap: async (p) => (log.push(`wrap ${p}`), `w:${p}`),
  });
  const noRotation: SecretCipher = { encrypt: async (p) => `w:${p}`, decrypt: async (w) => w.slice(2) };

  it('a cipher without needsRewrap finds only plain secrets stale', () => {
    const stored = (secret: string, wrapped: boolean) => ({ secret, wrapped, algorithm: 'SHA1' as const, digits: 6, period: 30 });
    expect(isStale(noRotation, stored(SECRET, false))).toBe(true);
    expect(isStale(noRotation, stored(`w:${SECRET}`, true))).toBe(false);
    const rotating: SecretCipher = { ...noRotation, needsRewrap: (w) => !w.startsWith('w:') };
    expect(isStale(rotating, stored(`x:${SECRET}`, true))).toBe(true);
    expect(isStale(rotating, stored(`w:${SECRET}`, true))).toBe(false);
    // A plain secret is stale whatever needsRewrap says.
    expect(isStale({ ...noRotation, needsRewrap: () => false }, stored(SECRET, false))).toBe(true);
  });

  it('returns the same record when nothing is stale, pending included', async () => {
    const log: string[] = [];
    const record = enrolled(T0, { active: { ...enrolled(T0).active!, secret: `w:${SECRET}`, wrapped: true } });
    expect(await upgradeSecrets(record, noRotation, io(log))).toBe(record);
    const withPending: GateRecord = {
      ...record,
      pending: { secret: `w:${OTHER_SECRET}`, wrapped: true, algorithm: 'SHA1', digits: 6, period: 30, createdAt: T0, expiresAt: T0 + 600_000, failures: 0 },
    };
    expect(await upgradeSecrets(withPending, noRotation, io(log))).toBe(withPending);
    expect(log).toEqual([]);
  });

  it('wraps only the stale ones: a plain pending secret beside a wrapped authenticator', async () => {
    const log: string[] = [];
    const record: GateRecord = {
      ...enrolled(T0, { active: { ...enrolled(T0).active!, secret: `w:${SECRET}`, wrapped: true } }),
      pending: { secret: OTHER_SECRET, wrapped: false, algorithm: 'SHA1', digits: 6, period: 30, createdAt: T0, expiresAt: T0 + 600_000, failures: 0 },
    };
    const next = await upgradeSecrets(record, noRotation, io(log));
    expect(next.active).toBe(record.active);
    expect(next.pending).toEqual({ ...record.pending, secret: `w:${OTHER_SECRET}`, wrapped: true });
    expect(log).toEqual([`plain ${OTHER_SECRET}`, `wrap ${OTHER_SECRET}`]);
  });

  it('wraps a stale second authenticator beside a current first one, with nothing pending', async () => {
    const log: string[] = [];
    const first = { ...enrolled(T0).active!, secret: `w:${SECRET}`, wrapped: true };
    const second = { ...enrolled(T0).active!, secret: OTHER_SECRET, id: 'a2' };
    const record: GateRecord = { ...enrolled(T0), active: first, additional: [second] };
    const next = await upgradeSecrets(record, noRotation, io(log));
    expect(next.active).toBe(first);
    expect(next.additional).toEqual([{ ...second, secret: `w:${OTHER_SECRET}`, wrapped: true }]);
    expect(next.pending).toBeNull();
    expect(log).toEqual([`plain ${OTHER_SECRET}`, `wrap ${OTHER_SECRET}`]);
  });

  it('a record with no secret at all is the same record', async () => {
    const record = initialRecord();
    expect(await upgradeSecrets(record, noRotation, io([]))).toBe(record);
  });
});
