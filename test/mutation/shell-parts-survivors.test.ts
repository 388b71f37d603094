// Written from the mutants of the small modules the gate's shell is built
// from in the second edition: the shared deadline of a call's seam calls
// (deadline.ts), the per-user queue (queue.ts), the pooled random ids
// (ids.ts), and the list of a user's authenticators (authenticators.ts).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { authenticatorsOf, idOf, labelOf, LEGACY_ID, withAuthenticators } from '../../src/gate/authenticators.js';
import { deadline } from '../../src/gate/deadline.js';
import { createKeyedQueue } from '../../src/gate/queue.js';
import { enrolled, T0 } from '../gate/fixtures.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

const late = () => new Error('late');

/** A promise and the functions that settle it. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Whether `promise` has settled, after the pending microtasks ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 20; i++) await Promise.resolve();
  return done;
}

describe('deadline', () => {
  it('has all its time left until the first race, and starts no timer before it', () => {
    vi.useFakeTimers();
    const d = deadline(100);
    vi.advanceTimersByTime(50);
    expect(d.left()).toBe(100);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a race settles like its work, and counts the time from the first race', async () => {
    vi.useFakeTimers();
    const d = deadline(100);
    const work = deferred<string>();
    const racing = d.race(() => work.promise, late);
    vi.advanceTimersByTime(30);
    expect(d.left()).toBe(70);
    work.resolve('answer');
    expect(await racing).toBe('answer');
    await expect(d.race(() => Promise.reject(new Error('seam failed')), late)).rejects.toThrow('seam failed');
    await expect(
      d.race(() => {
        throw new Error('thrown at once');
      }, late),
    ).rejects.toThrow('thrown at once');
  });

  it('rejects with late() once the time is up, for all races of the call together', async () => {
    vi.useFakeTimers();
    const d = deadline(100);
    const first = deferred();
    const racing = d.race(() => first.promise, late);
    vi.advanceTimersByTime(60);
    first.resolve();
    await racing;
    const hanging = d.race(() => new Promise(() => {}), late);
    vi.advanceTimersByTime(39);
    expect(await settled(hanging)).toBe(false);
    vi.advanceTimersByTime(1);
    await expect(hanging).rejects.toThrow('late');
    expect(d.left()).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(d.left()).toBe(0);
  });

  it('clear stops the timer; a later race arms a new one to the same end', async () => {
    vi.useFakeTimers();
    const d = deadline(100);
    await d.race(() => 'quick', late);
    expect(vi.getTimerCount()).toBe(1);
    d.clear();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(80);
    expect(d.left()).toBe(20);
    const hanging = d.race(() => new Promise(() => {}), late);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(19);
    expect(await settled(hanging)).toBe(false);
    vi.advanceTimersByTime(1);
    await expect(hanging).rejects.toThrow('late');
    d.clear();
    // Past the end, a new race of work that hangs fails at once.
    const after = d.race(() => new Promise(() => {}), late);
    vi.advanceTimersByTime(0);
    await expect(after).rejects.toThrow('late');
  });
});

describe('the keyed queue', () => {
  it('runs calls for one key in turn, each after the one before settled, failures included', async () => {
    const queue = createKeyedQueue();
    const a = deferred();
    const b = deferred();
    const started: string[] = [];
    const first = queue('alice', async () => (started.push('a'), a.promise));
    const second = queue('alice', async () => (started.push('b'), b.promise));
    const third = queue('alice', async () => (started.push('c'), 'c'));
    await settled(first);
    expect(started).toEqual(['a']);
    a.reject(new Error('a failed'));
    await expect(first).rejects.toThrow('a failed');
    await settled(second);
    expect(started).toEqual(['a', 'b']);
    // A call queued while b runs waits for b, not only for a.
    const fourth = queue('alice', async () => (started.push('d'), 'd'));
    expect(await settled(third)).toBe(false);
    expect(started).toEqual(['a', 'b']);
    b.resolve();
    await second;
    expect(await third).toBe('c');
    expect(await fourth).toBe('d');
    expect(started).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a call arriving while a later one runs waits for it, though the first call is done', async () => {
    const queue = createKeyedQueue();
    const a = deferred();
    const b = deferred();
    const started: string[] = [];
    const first = queue('alice', async () => (started.push('a'), a.promise));
    const second = queue('alice', async () => (started.push('b'), b.promise));
    a.resolve();
    await first;
    await settled(second);
    expect(started).toEqual(['a', 'b']);
    const third = queue('alice', async () => (started.push('c'), 'c'));
    expect(await settled(third)).toBe(false);
    expect(started).toEqual(['a', 'b']);
    b.resolve();
    expect(await third).toBe('c');
  });

  it('other keys do not wait, and a key is free again once its calls are done', async () => {
    const queue = createKeyedQueue();
    const a = deferred();
    const started: string[] = [];
    const alice = queue('alice', async () => (started.push('alice'), a.promise));
    expect(await queue('bob', async () => (started.push('bob'), 'bob'))).toBe('bob');
    expect(started).toEqual(['alice', 'bob']);
    a.resolve();
    await alice;
    expect(await queue('alice', async () => 'again')).toBe('again');
  });
});

describe('random ids', () => {
  it('are 128-bit hex, unique, drawn 256 to a 4096-byte pool whose used bytes are wiped', async () => {
    vi.resetModules();
    const draws: Uint8Array[] = [];
    const real = globalThis.crypto.getRandomValues.bind(globalThis.crypto);
    vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      draws.push(new Uint8Array((array as unknown as Uint8Array).buffer));
      return real(array as never) as T;
    });
    const { randomId } = await import('../../src/gate/ids.js');
    const first = randomId();
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(draws).toHaveLength(1);
    const pool = draws[0]!;
    expect(pool).toHaveLength(4096);
    // The id's bytes are the pool's first 16, wiped once used.
    expect(pool.subarray(0, 16).every((byte) => byte === 0)).toBe(true);
    expect(pool.subarray(16, 4096).some((byte) => byte !== 0)).toBe(true);
    const ids = new Set([first]);
    for (let i = 1; i < 256; i++) ids.add(randomId());
    expect(draws).toHaveLength(1);
    expect(pool.every((byte) => byte === 0)).toBe(true);
    ids.add(randomId());
    expect(draws).toHaveLength(2);
    expect(ids.size).toBe(257);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('a user\'s authenticators', () => {
  const first = enrolled(T0).active!;
  const second = { ...first, id: 'a2', label: 'Spare' };

  it('a record of the first edition is a list of one, called "primary" and "Authenticator app"', () => {
    expect(authenticatorsOf(enrolled(T0))).toEqual([first]);
    expect(authenticatorsOf({ ...enrolled(T0), active: null })).toEqual([]);
    expect(idOf(first)).toBe(LEGACY_ID);
    expect(LEGACY_ID).toBe('primary');
    expect(labelOf(first)).toBe('Authenticator app');
    expect([idOf(second), labelOf(second)]).toEqual(['a2', 'Spare']);
  });

  it('writing a list keeps old records without `additional` until a second one comes', () => {
    const record = enrolled(T0);
    expect(withAuthenticators(record, [second])).toEqual({ ...record, active: second });
    expect(Object.keys(withAuthenticators(record, [second]))).not.toContain('additional');
    expect(withAuthenticators(record, [first, second])).toEqual({ ...record, active: first, additional: [second] });
    expect(withAuthenticators(record, [])).toEqual({ ...record, active: null });
    // Once there, it stays, emptied.
    expect(withAuthenticators({ ...record, additional: [second] }, [first])).toEqual({ ...record, active: first, additional: [] });
    expect(withAuthenticators({ ...record, additional: [second] }, [])).toEqual({ ...record, active: null, additional: [] });
  });
});
