// Tests written to kill mutants that survived `npm run mutation` on
// src/gate/decide.ts, through the public gate: refusals with their codes and
// messages, the outbox cap, and the single `locked` event of a hard stop.
import { describe, expect, it } from 'vitest';
import { createGate, createMemoryStore, hotp, isOtpError, parseUri, type GateEvent, type Notifier, type Policy } from '../../src/index.js';

function rig(options: { policy?: Policy; admins?: string[]; notifier?: Notifier } = {}) {
  let now = Date.UTC(2026, 5, 1);
  const events: GateEvent[] = [];
  const store = createMemoryStore();
  const gate = createGate({
    store,
    issuer: 'ACME',
    clock: { now: () => now },
    ...(options.policy ? { policy: options.policy } : {}),
    directory: {
      administratorsOf: async () => (options.admins ?? ['root']).map((id) => ({ id, name: id })),
      isAdministratorOf: async (adminId, userId) => adminId !== userId && (options.admins ?? ['root']).includes(adminId),
    },
    notifier: options.notifier ?? { notify: async (event) => void events.push(event) },
    onNotifyError: () => {},
  });
  return {
    gate,
    store,
    events,
    advance: (ms: number) => void (now += ms),
    code: (secret: string) => hotp(secret, Math.floor(now / 30_000)),
  };
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string } | 'resolved'> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    if (isOtpError(error)) return { code: error.code, message: error.message };
    throw error;
  }
}

describe('gate refusals, outbox and hard stop pinned by mutation testing', () => {
  it('a transition not allowed in the current state names it and the state', async () => {
    const { gate, code } = rig();
    const { secret } = await gate.beginEnrollment('alice');
    expect(await gate.confirmEnrollment('alice', code(secret))).toMatchObject({ ok: true });
    expect(await refusal(gate.postpone('alice'))).toEqual({
      code: 'ERR_STATE',
      message: expect.stringMatching(/^postpone is not allowed while 2-step verification is set up$/),
    });
  });

  it('a reset request with no administrator to ask is ERR_DIRECTORY, saying so', async () => {
    const { gate, code } = rig({ admins: [] });
    const { uri } = await gate.beginEnrollment('alice');
    expect(await gate.confirmEnrollment('alice', code(parseUri(uri).secret))).toMatchObject({ ok: true });
    expect(await refusal(gate.requestReset('alice', { to: 'all' }))).toEqual({
      code: 'ERR_DIRECTORY',
      message: 'there is no administrator to ask',
    });
  });

  it('a record keeps the newest 500 undelivered events, no more', async () => {
    const { gate, store } = rig({ policy: { required: false }, notifier: { notify: async () => Promise.reject(new Error('mail is down')) } });
    for (let i = 0; i < 260; i++) {
      await gate.enable('bob');
      await gate.disable('bob');
    }
    const outbox = (await store.get('bob'))?.record['outbox'] as Array<{ event: GateEvent }>;
    expect(outbox).toHaveLength(500);
    expect(outbox.at(-1)?.event.type).toBe('disabled');
    // 520 events were made; the oldest 21 were dropped and are counted in one event kept first.
    expect(outbox[0]?.event).toMatchObject({ type: 'events-dropped', dropped: 21, types: { enabled: 11, disabled: 10 } });
    expect(outbox[1]?.event.type).toBe('disabled');
  });

  it('a hard stop emits one locked event; wrong recovery codes after it add none', async () => {
    const { gate, events, advance, code } = rig({ policy: { throttle: { lockAfter: 10, hardStopAfter: 3 } } });
    const { uri } = await gate.beginEnrollment('carol');
    const secret = parseUri(uri).secret;
    expect(await gate.confirmEnrollment('carol', code(secret))).toMatchObject({ ok: true });
    advance(30_000);
    const wrong = String((Number(code(secret)) + 500_000) % 1_000_000).padStart(6, '0');
    expect(await gate.verify('carol', wrong)).toEqual({ ok: false, reason: 'invalid' });
    expect(await gate.verify('carol', wrong)).toEqual({ ok: false, reason: 'invalid' });
    expect(await gate.verify('carol', wrong)).toEqual({ ok: false, reason: 'invalid', retryAt: null });
    expect(await gate.verify('carol', 'AAAA-AAAA-AAAA-AAAA-AAAA-AAAA')).toEqual({ ok: false, reason: 'invalid', retryAt: null });
    expect(await gate.verify('carol', 'BBBB-BBBB-BBBB-BBBB-BBBB-BBBB')).toEqual({ ok: false, reason: 'invalid', retryAt: null });
    expect(events.filter((event) => event.type === 'locked')).toEqual([expect.objectContaining({ until: null, failures: 3 })]);
  });
});
