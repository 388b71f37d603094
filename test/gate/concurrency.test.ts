// Bursts against one user from several application servers (gates) sharing
// one store: every outcome is decided by compare-and-set, never by luck.
import { describe, expect, it } from 'vitest';
import type { Gate } from '../../src/gate/gate.js';
import type { MfaStore } from '../../src/seams/store.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { codeOf, enroll, harness } from './harness.js';

/** A memory store whose every call takes 0-2 ms, like a database across a network: reads and writes interleave. */
function laggyStore(): MfaStore {
  const inner = createMemoryStore();
  const lag = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 2));
  return {
    get: async (userId) => (await lag(), inner.get(userId)),
    compareAndSet: async (userId, expected, next) => (await lag(), inner.compareAndSet(userId, expected, next)),
    listOpenResets: async () => (await lag(), inner.listOpenResets()),
  };
}

/** Spreads `n` calls over `servers` gates, all started before any finishes. */
function burst<T>(servers: readonly Gate[], n: number, call: (gate: Gate, i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => call(servers[i % servers.length]!, i)));
}

function tally(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

describe('concurrency', () => {
  it('200 concurrent verify calls with one valid code: exactly one is accepted', async () => {
    const h = harness({ policy: { throttle: { lockAfter: 100 } } });
    const { secret } = await enroll(h, 'alice');
    const servers = [h.gate, h.server(), h.server(), h.server()];
    const code = h.code(secret);
    const results = await burst(servers, 200, (gate) => gate.verify('alice', code));
    const outcomes = tally(results.map((r) => (r.ok ? 'ok' : r.reason)));
    // Every loser is counted, up to the hard stop at 100 consecutive failures.
    expect(outcomes).toEqual({ ok: 1, replayed: 100, locked: 99 });
    expect((await h.record('alice')).throttle).toMatchObject({ failures: 100, hardStop: true });
  });

  it('200 concurrent verify calls under the default throttle: one accepted, the rest refused', async () => {
    const h = harness();
    const { secret } = await enroll(h, 'alice');
    const code = h.code(secret);
    const results = await burst([h.gate, h.server()], 200, (gate) => gate.verify('alice', code));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const refused = tally(results.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.reason)));
    // The lock starts at the fifth failure; nothing after it is checked or counted.
    expect(refused).toEqual({ replayed: 5, locked: 194 });
    expect((await h.record('alice')).throttle).toMatchObject({ failures: 5, locks: 1 });
  });

  it('20 concurrent postpones with two allowed: exactly two are granted', async () => {
    const h = harness();
    const servers = [h.gate, h.server(), h.server()];
    const results = await burst(servers, 20, (gate, i) => codeOf(gate.postpone('alice', { attempt: `login-${i}` })));
    expect(tally(results)).toEqual({ resolved: 2, ERR_POSTPONE_LIMIT: 18 });
    expect((await h.record('alice')).postpones.used).toBe(2);
    expect(h.events.filter((e) => e.type === 'postponed')).toHaveLength(2);
  });

  it('the same login attempt postponing from two tabs at once uses one postpone', async () => {
    const h = harness();
    const results = await burst([h.gate, h.server()], 10, (gate) => gate.postpone('alice', { attempt: 'login-1' }));
    expect(results.filter((r) => !r.repeated)).toHaveLength(1);
    expect(results.every((r) => r.postponesLeft === 1)).toBe(true);
    expect((await h.record('alice')).postpones).toEqual({ used: 1, attempts: ['login-1'], lastAt: h.now });
  });

  it('50 wrong codes sent in parallel count 50', async () => {
    const h = harness({ policy: { throttle: { lockAfter: 60 } } });
    await enroll(h, 'alice');
    const servers = [h.gate, h.server(), h.server()];
    const results = await burst(servers, 50, (gate, i) => gate.verify('alice', String(100_000 + i)));
    expect(results.every((r) => !r.ok && r.reason === 'invalid')).toBe(true);
    expect((await h.record('alice')).throttle.failures).toBe(50);
  });

  it('50 wrong codes in parallel under the default throttle: five checked, then locked', async () => {
    const h = harness();
    await enroll(h, 'alice');
    const results = await burst([h.gate, h.server()], 50, (gate, i) => gate.verify('alice', String(100_000 + i)));
    expect(tally(results.map((r) => (r.ok ? 'ok' : r.reason)))).toEqual({ invalid: 5, locked: 45 });
    expect((await h.record('alice')).throttle.failures).toBe(5);
    expect(h.events.filter((e) => e.type === 'locked')).toHaveLength(1);
  });

  it('ten administrators resetting at once: one reset, one notification to the user', async () => {
    const admins = Array.from({ length: 10 }, (_, i) => `admin-${i}`);
    const h = harness({ admins: { alice: admins } });
    await enroll(h, 'alice');
    await h.gate.requestReset('alice', { to: 'all' });
    expect(h.events.at(-1)).toMatchObject({ type: 'reset-requested', to: admins });
    const servers = [h.gate, h.server(), h.server(), h.server(), h.server()];
    const results = await Promise.all(admins.map((admin, i) => servers[i % servers.length]!.reset(admin, 'alice')));
    const winners = results.filter((r) => r.ok);
    expect(winners).toEqual([{ ok: true, notified: true }]);
    const winner = admins[results.findIndex((r) => r.ok)];
    for (const r of results.filter((x) => !x.ok)) expect(r).toMatchObject({ reason: 'already-handled', handled: { kind: 'reset', by: winner } });
    const completed = h.events.filter((e) => e.type === 'reset-completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ userId: 'alice', actor: winner });
  });

  it('concurrent confirmations of one enrollment: one wins, the code is consumed once', async () => {
    const h = harness();
    const { secret } = await h.gate.beginEnrollment('alice');
    const code = h.code(secret);
    const results = await burst([h.gate, h.server()], 20, (gate) => gate.confirmEnrollment('alice', code));
    // The winner enrolls; the others find the user enrolled, with nothing pending any more.
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toEqual(Array.from({ length: 19 }, () => ({ ok: false, reason: 'already-enrolled' })));
    expect(h.events.filter((e) => e.type === 'enrolled')).toHaveLength(1);
    expect(await h.gate.verify('alice', code)).toEqual({ ok: false, reason: 'replayed' });
  });

  describe('on a store with latency', () => {
    it('100 concurrent verify calls with one valid code: exactly one accepted, every loser counted', async () => {
      const h = harness({ store: laggyStore(), policy: { throttle: { lockAfter: 100 } } });
      const { secret } = await enroll(h, 'alice');
      const code = h.code(secret);
      const results = await burst([h.gate, h.server(), h.server()], 100, (gate) => gate.verify('alice', code));
      expect(tally(results.map((r) => (r.ok ? 'ok' : r.reason)))).toEqual({ ok: 1, replayed: 99 });
      expect((await h.record('alice')).throttle.failures).toBe(99);
    });

    it('20 concurrent postpones with two allowed: exactly two granted', async () => {
      const h = harness({ store: laggyStore() });
      const results = await burst([h.gate, h.server()], 20, (gate, i) => codeOf(gate.postpone('alice', { attempt: `login-${i}` })));
      expect(tally(results)).toEqual({ resolved: 2, ERR_POSTPONE_LIMIT: 18 });
    });

    it('50 wrong codes in parallel count 50', async () => {
      const h = harness({ store: laggyStore(), policy: { throttle: { lockAfter: 60 } } });
      await enroll(h, 'alice');
      await burst([h.gate, h.server()], 50, (gate, i) => gate.verify('alice', String(200_000 + i)));
      expect((await h.record('alice')).throttle.failures).toBe(50);
    });
  });
});
