import { describe, expect, it } from 'vitest';
import { isOtpError } from '../../src/errors.js';
import { decide, TRANSITIONS, type Command, type DecideContext } from '../../src/gate/decide.js';
import { initialRecord, type GateRecord, type MfaState } from '../../src/gate/record.js';
import { codeAt, ctx, enrolled, enrolling, frozen, OTHER_SECRET, policy, RECOVERY, SECRET, STEP, T0 } from './fixtures.js';

function run<C extends Command>(record: GateRecord, command: C, context: DecideContext = ctx()) {
  return decide(frozen(record), command, context);
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isOtpError(error)) return error.code;
    throw error;
  }
  return 'no error';
}

const none = (overrides: Partial<GateRecord> = {}): GateRecord => ({ ...initialRecord(), ...overrides });

describe('nextStep (inspect): the policy truth table', () => {
  const locked = { failures: 5, locks: 1, lockedUntil: T0 + 30_000, hardStop: false };
  const rows: Array<[string, GateRecord, Partial<DecideContext>, unknown]> = [
    ['not enrolled, not required', none(), { required: false }, { step: 'allow' }],
    ['not enrolled, required', none(), {}, { step: 'setup', required: true, postponesLeft: 2 }],
    ['required, one postpone used', none({ postpones: { used: 1, attempts: [] } }), {}, { step: 'setup', required: true, postponesLeft: 1 }],
    ['required, both used', none({ postpones: { used: 2, attempts: [] } }), {}, { step: 'setup', required: true, postponesLeft: 0 }],
    ['required, past the deadline', none(), { policy: policy({ postponeDeadline: T0 }) }, { step: 'setup', required: true, postponesLeft: 0 }],
    ['required, before the deadline', none(), { policy: policy({ postponeDeadline: T0 + 1 }) }, { step: 'setup', required: true, postponesLeft: 2 }],
    ['enrolling counts as not enrolled', enrolling(), {}, { step: 'setup', required: true, postponesLeft: 2 }],
    ['opted in, not required', none({ voluntary: true }), { required: false }, { step: 'setup', required: false, postponesLeft: 0 }],
    ['after an admin reset, not required', none({ mustEnroll: true }), { required: false }, { step: 'setup', required: true, postponesLeft: 0 }],
    ['after an admin reset, required', none({ mustEnroll: true }), {}, { step: 'setup', required: true, postponesLeft: 0 }],
    ['enrolled, required', enrolled(), {}, { step: 'code' }],
    ['enrolled voluntarily, not required', enrolled(T0, { voluntary: true }), { required: false }, { step: 'code' }],
    ['enrolled, locked', enrolled(T0, { throttle: locked }), {}, { step: 'locked', retryAt: T0 + 30_000 }],
    ['enrolled, lock over', enrolled(T0, { throttle: locked }), { now: T0 + 30_000 }, { step: 'code' }],
    ['enrolled, hard stop', enrolled(T0, { throttle: { ...locked, failures: 100, lockedUntil: null, hardStop: true } }), {}, { step: 'locked', retryAt: null }],
  ];
  it.each(rows)('%s', (_, record, overrides, expected) => {
    const decision = run(record, { type: 'inspect' }, ctx(overrides));
    expect(decision.result).toEqual(expected);
    expect(decision.next).toBe(record);
    expect(decision.events).toEqual([]);
  });
});

describe('the transition table', () => {
  const states: Record<MfaState, GateRecord> = { none: none(), enrolling: enrolling(), enrolled: enrolled() };
  const commands: Command[] = [
    { type: 'inspect' },
    { type: 'postpone' },
    { type: 'begin-enrollment', renew: false },
    { type: 'confirm-enrollment', code: '000000' },
    { type: 'verify', code: '000000' },
    { type: 'request-reset', to: ['root'] },
    { type: 'reset', adminId: 'root' },
    { type: 'decline', adminId: 'root' },
    { type: 'enable' },
    { type: 'disable' },
    { type: 'remove-authenticator', id: 'primary', code: '000000' },
    { type: 'rename-authenticator', id: 'primary', label: 'Phone' },
    { type: 'regenerate-recovery-codes', code: '000000' },
    { type: 'status' },
    { type: 'forget-device', id: 'd1' },
    { type: 'forget-all-devices' },
    { type: 'import', algorithm: 'SHA1', digits: 6, period: 30, lastStep: 0, label: undefined, add: false },
    { type: 'begin-passkey', kind: 'login', rpId: 'example.com', origins: ['https://example.com'] },
    { type: 'confirm-passkey', challenge: 'AAAA', credentialId: 'BBBB' },
    { type: 'verify-passkey', challenge: 'AAAA', credentialId: 'BBBB' },
  ];
  it('names every command', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual(commands.map((c) => c.type).sort());
  });
  for (const command of commands) {
    for (const state of ['none', 'enrolling', 'enrolled'] as const) {
      const rule = TRANSITIONS[command.type];
      if (rule.from.includes(state)) continue;
      it(`${command.type} from ${state} is refused with ${rule.otherwise}`, () => {
        expect(refusal(() => run(states[state], command, ctx({ required: false })))).toBe(rule.otherwise);
      });
    }
  }
  it('refuses exactly these moves', () => {
    const refused = Object.entries(TRANSITIONS).flatMap(([type, rule]) =>
      (['none', 'enrolling', 'enrolled'] as const).filter((s) => !rule.from.includes(s)).map((s) => `${type}:${s}`),
    );
    expect(refused.sort()).toEqual(
      [
        'postpone:enrolled',
        'enable:enrolled',
        ...['remove-authenticator', 'rename-authenticator', 'regenerate-recovery-codes'].flatMap((type) => [`${type}:none`, `${type}:enrolling`]),
      ].sort(),
    );
  });
  it('refuses request-reset from none and enrolling with ERR_NOT_ENROLLED, unless hard-stopped', () => {
    const stop = { failures: 100, locks: 19, lockedUntil: null, hardStop: true };
    for (const state of ['none', 'enrolling'] as const) {
      expect(refusal(() => run(states[state], { type: 'request-reset', to: ['root'] }))).toBe('ERR_NOT_ENROLLED');
      const stopped = { ...states[state], throttle: stop };
      expect(run(stopped, { type: 'request-reset', to: ['root'] }).events).toMatchObject([{ type: 'reset-requested', to: ['root'] }]);
    }
  });
});

describe('postpone', () => {
  it('uses one postpone and emits postponed', () => {
    const d = run(none(), { type: 'postpone', attempt: 'login-1' });
    expect(d.result).toEqual({ postponesLeft: 1, repeated: false });
    expect(d.next.postpones).toEqual({ used: 1, attempts: ['login-1'], lastAt: T0 });
    expect(d.events).toMatchObject([{ type: 'postponed', postponesLeft: 1, userId: 'alice', actor: 'alice', at: T0 }]);
    expect(d.next.outbox.map((entry) => entry.event)).toEqual(d.events);
  });
  it('counts the same login attempt once', () => {
    const once = run(none(), { type: 'postpone', attempt: 'login-1' }).next;
    const twice = run(once, { type: 'postpone', attempt: 'login-1' });
    expect(twice.result).toEqual({ postponesLeft: 1, repeated: true });
    expect(twice.next).toBe(once);
  });
  it('refuses with ERR_POSTPONE_LIMIT when none is left, whatever the attempt id', () => {
    const used = none({ postpones: { used: 2, attempts: ['a', 'b'] } });
    expect(refusal(() => run(used, { type: 'postpone', attempt: 'c' }))).toBe('ERR_POSTPONE_LIMIT');
    expect(refusal(() => run(used, { type: 'postpone' }))).toBe('ERR_POSTPONE_LIMIT');
  });
  it('refuses with ERR_POSTPONE_LIMIT after the deadline', () => {
    expect(refusal(() => run(none(), { type: 'postpone' }, ctx({ policy: policy({ postponeDeadline: T0 - 1 }) })))).toBe('ERR_POSTPONE_LIMIT');
  });
  it('refuses with ERR_POSTPONE_NOT_ALLOWED where not required, and after a reset', () => {
    expect(refusal(() => run(none(), { type: 'postpone' }, ctx({ required: false })))).toBe('ERR_POSTPONE_NOT_ALLOWED');
    expect(refusal(() => run(none({ mustEnroll: true }), { type: 'postpone' }))).toBe('ERR_POSTPONE_NOT_ALLOWED');
  });
  it('honours maxPostpones 0', () => {
    expect(refusal(() => run(none(), { type: 'postpone' }, ctx({ policy: policy({ maxPostpones: 0 }) })))).toBe('ERR_POSTPONE_LIMIT');
  });
});

describe('beginEnrollment', () => {
  it('stores the fresh secret as pending, as the shell wrapped it', () => {
    const d = run(none(), { type: 'begin-enrollment', renew: false }, ctx({ freshSecret: { plain: SECRET, stored: 'v1.wrapped', wrapped: true } }));
    expect(d.result).toEqual({ secret: SECRET, algorithm: 'SHA1', digits: 6, period: 30, expiresAt: T0 + 600_000, reused: false });
    expect(d.next.state).toBe('enrolling');
    expect(d.next.pending).toMatchObject({ secret: 'v1.wrapped', wrapped: true, createdAt: T0, expiresAt: T0 + 600_000, failures: 0 });
    expect(d.events).toMatchObject([{ type: 'enrollment-started', renew: false, expiresAt: T0 + 600_000 }]);
  });
  it('gives the live pending secret back unchanged on a reload', () => {
    const record = enrolling(T0);
    const d = run(record, { type: 'begin-enrollment', renew: false }, ctx({ now: T0 + 599_999, pendingKey: OTHER_SECRET }));
    expect(d.result).toMatchObject({ secret: OTHER_SECRET, reused: true });
    expect(d.next).toBe(record);
  });
  it('draws a new one when asked to renew, or once the pending one expired', () => {
    const fresh = { plain: OTHER_SECRET, stored: OTHER_SECRET, wrapped: false };
    const renewed = run(enrolling(T0), { type: 'begin-enrollment', renew: true }, ctx({ freshSecret: fresh }));
    expect(renewed.result).toMatchObject({ secret: OTHER_SECRET });
    const expired = run(enrolling(T0), { type: 'begin-enrollment', renew: false }, ctx({ now: T0 + 600_000, freshSecret: fresh }));
    expect(expired.result).toMatchObject({ secret: OTHER_SECRET, reused: false });
  });
  it('keeps the active secret of an enrolled user beside the new pending one, after a fresh code', () => {
    const fresh = ctx({ freshSecret: { plain: OTHER_SECRET, stored: OTHER_SECRET, wrapped: false } });
    expect(refusal(() => run(enrolled(), { type: 'begin-enrollment', renew: false }, fresh))).toBe('ERR_REAUTH_REQUIRED');
    const d = run(enrolled(), { type: 'begin-enrollment', renew: false, code: codeAt(T0) }, fresh);
    expect(d.next.state).toBe('enrolled');
    expect(d.next.active?.secret).toBe(SECRET);
    expect(d.next.pending?.secret).toBe(OTHER_SECRET);
    expect(d.events).toMatchObject([{ type: 'verified' }, { type: 'enrollment-started', renew: true }]);
  });
  it('takes the code options of new enrollments from the policy', () => {
    const d = run(none(), { type: 'begin-enrollment', renew: false }, ctx({ policy: policy({ code: { digits: 8, period: 60, algorithm: 'SHA256' } }) }));
    expect(d.next.pending).toMatchObject({ digits: 8, period: 60, algorithm: 'SHA256' });
  });
});

describe('confirmEnrollment', () => {
  const now = T0 + 5 * STEP;
  it('activates the pending secret on the right code, consumes its step and stores only recovery hashes', () => {
    const d = run(enrolling(T0), { type: 'confirm-enrollment', code: codeAt(now) }, ctx({ now, recoveryCodes: RECOVERY }));
    expect(d.result).toEqual({ ok: true, recoveryCodes: RECOVERY.codes });
    expect(d.next.state).toBe('enrolled');
    expect(d.next.pending).toBeNull();
    expect(d.next.active).toMatchObject({ secret: SECRET, lastStep: now / STEP, drift: 0, enrolledAt: now });
    expect(d.next.recoveryCodes).toEqual(RECOVERY.hashes);
    expect(JSON.stringify(d.next)).not.toContain(RECOVERY.codes[0]!.replaceAll('-', ''));
    expect(d.events).toMatchObject([{ type: 'enrolled', renewed: false, recoveryCodes: 3 }]);
  });
  it('marks a user who enrolls where not required as opted in, and clears a mandatory re-enrollment', () => {
    const d = run(enrolling(T0, { mustEnroll: true }), { type: 'confirm-enrollment', code: codeAt(now) }, ctx({ now, required: false }));
    expect(d.next).toMatchObject({ voluntary: true, mustEnroll: false });
  });
  it('counts wrong codes, and discards the pending secret at the fifth', () => {
    let record = enrolling(T0);
    for (let i = 1; i <= 4; i++) {
      const d = run(record, { type: 'confirm-enrollment', code: '000000' }, ctx({ now }));
      expect(d.result).toMatchObject({ ok: false, reason: 'invalid', attemptsLeft: 5 - i });
      record = d.next;
    }
    expect(record.throttle.failures).toBe(4);
    const fifth = run(record, { type: 'confirm-enrollment', code: '000000' }, ctx({ now }));
    expect(fifth.result).toMatchObject({ ok: false, reason: 'invalid', attemptsLeft: 0, retryAt: now + 30_000 });
    expect(fifth.next).toMatchObject({ state: 'none', pending: null });
    expect(fifth.events.map((e) => e.type)).toEqual(['code-refused', 'locked', 'enrollment-discarded']);
    expect(fifth.events[0]).toMatchObject({ during: 'set-up', reason: 'invalid', failures: 5 });
    // A sixth try is answered, not refused: nothing is pending any more.
    const sixth = run(fifth.next, { type: 'confirm-enrollment', code: codeAt(now) }, ctx({ now: now + 60_000 }));
    expect(sixth.result).toEqual({ ok: false, reason: 'no-setup' });
    expect(sixth.next).toBe(fifth.next);
  });
  it('keeps the old secret when a re-enrollment is discarded', () => {
    let record = enrolled(T0, { pending: enrolling(T0).pending });
    for (let i = 0; i < 5; i++) record = run(record, { type: 'confirm-enrollment', code: '000000' }, ctx({ now })).next;
    expect(record).toMatchObject({ state: 'enrolled', pending: null, active: { secret: SECRET } });
  });
  it('refuses an expired pending secret without checking the code', () => {
    const d = run(enrolling(T0), { type: 'confirm-enrollment', code: codeAt(T0 + 600_000) }, ctx({ now: T0 + 600_000 }));
    expect(d.result).toEqual({ ok: false, reason: 'expired' });
  });
  it('refuses while locked without checking the code', () => {
    const record = enrolling(T0, { throttle: { failures: 5, locks: 1, lockedUntil: now + 1, hardStop: false } });
    const d = run(record, { type: 'confirm-enrollment', code: codeAt(now) }, ctx({ now }));
    expect(d.result).toEqual({ ok: false, reason: 'locked', retryAt: now + 1 });
    expect(d.next).toBe(record);
  });
  it('answers already-enrolled when enrolled and nothing is pending (a second "Verify and Save"), changing nothing', () => {
    const record = enrolled();
    const d = run(record, { type: 'confirm-enrollment', code: '123456' });
    expect(d.result).toEqual({ ok: false, reason: 'already-enrolled' });
    expect(d.next).toBe(record);
    expect(d.events).toEqual([]);
  });
});

describe('verify', () => {
  const now = T0 + 10 * STEP;
  const at = (record: GateRecord, code: string, t = now, p?: DecideContext['policy']) =>
    run(record, { type: 'verify', code }, ctx(p ? { now: t, policy: p } : { now: t }));

  it('accepts a fresh code once, then refuses it as replayed', () => {
    const first = at(enrolled(now), codeAt(now));
    expect(first.result).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 0 });
    expect(first.next.active?.lastStep).toBe(now / STEP);
    expect(first.events).toMatchObject([{ type: 'verified', delta: 0 }]);
    const again = at(first.next, codeAt(now), now + 1000);
    expect(again.result).toEqual({ ok: false, reason: 'replayed' });
    expect(again.next.throttle.failures).toBe(1);
    expect(again.events).toMatchObject([{ type: 'code-refused', during: 'login', reason: 'replayed', failures: 1 }]);
  });
  it('refuses an older code after a newer one', () => {
    const newer = at(enrolled(now), codeAt(now + STEP), now).next; // a phone one step ahead
    expect(newer.active?.lastStep).toBe(now / STEP + 1);
    expect(at(newer, codeAt(now), now).result).toEqual({ ok: false, reason: 'replayed' });
  });
  it('refuses a wrong code as invalid and counts it', () => {
    const d = at(enrolled(now), '000000');
    expect(d.result).toEqual({ ok: false, reason: 'invalid' });
    expect(d.next.throttle).toEqual({ failures: 1, locks: 0, lockedUntil: null, hardStop: false });
    expect(d.events).toMatchObject([{ type: 'code-refused', during: 'login', reason: 'invalid', failures: 1 }]);
  });
  it('answers not-enrolled for a user without an active secret', () => {
    expect(at(none(), codeAt(now)).result).toEqual({ ok: false, reason: 'not-enrolled' });
    expect(at(enrolling(now), codeAt(now)).result).toEqual({ ok: false, reason: 'not-enrolled' });
  });
  it('locks after five failures, refuses the right code while locked, and accepts it after', () => {
    let record = enrolled(now);
    for (let i = 0; i < 4; i++) record = at(record, '000000').next;
    const fifth = at(record, '000000');
    expect(fifth.result).toEqual({ ok: false, reason: 'invalid', retryAt: now + 30_000 });
    expect(fifth.events).toMatchObject([{ type: 'code-refused', failures: 5 }, { type: 'locked', until: now + 30_000, failures: 5 }]);
    const during = at(fifth.next, codeAt(now + 29_999), now + 29_999);
    expect(during.result).toEqual({ ok: false, reason: 'locked', retryAt: now + 30_000 });
    expect(during.next).toBe(fifth.next); // not counted, not checked
    const after = at(fifth.next, codeAt(now + 30_000), now + 30_000);
    expect(after.result).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 0 });
    expect(after.next.throttle).toEqual({ failures: 0, locks: 0, lockedUntil: null, hardStop: false });
  });
  it('makes each lock longer than the one before, up to the cap, and hard-stops at 100', () => {
    let record = enrolled(now);
    let t = now;
    const locks: number[] = [];
    for (let i = 1; i <= 100; i++) {
      const d = at(record, '000000', t);
      expect(d.result).toMatchObject({ ok: false, reason: 'invalid' });
      record = d.next;
      for (const e of d.events) if (e.type === 'locked' && e.until !== null) locks.push(e.until - t);
      if (record.throttle.lockedUntil !== null) t = record.throttle.lockedUntil;
    }
    expect(locks.slice(0, 6)).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 900_000]);
    expect(locks).toHaveLength(19);
    expect(record.throttle).toMatchObject({ failures: 100, hardStop: true });
    const later = t + 365 * 86_400_000;
    expect(at(record, codeAt(later), later).result).toEqual({ ok: false, reason: 'locked', retryAt: null });
  });
  it('lifts a hard stop with a recovery code, and a recovery code works once', () => {
    const stopped = enrolled(now, { recoveryCodes: RECOVERY.hashes, throttle: { failures: 100, locks: 19, lockedUntil: null, hardStop: true } });
    const used = at(stopped, RECOVERY.codes[1]!.toLowerCase());
    expect(used.result).toEqual({ ok: true, method: 'recovery', recoveryCodesLeft: 2 });
    expect(used.events).toMatchObject([{ type: 'recovery-code-used', remaining: 2 }]);
    expect(used.next.throttle).toEqual({ failures: 0, locks: 0, lockedUntil: null, hardStop: false });
    expect(used.next.recoveryCodes).toEqual([RECOVERY.hashes[0], RECOVERY.hashes[2]]);
    const again = at(used.next, RECOVERY.codes[1]!);
    expect(again.result).toEqual({ ok: false, reason: 'invalid' });
    expect(again.next.throttle.failures).toBe(1);
  });
  it('does not check even a recovery code during a timed lock', () => {
    const locked = enrolled(now, { recoveryCodes: RECOVERY.hashes, throttle: { failures: 5, locks: 1, lockedUntil: now + 1, hardStop: false } });
    expect(at(locked, RECOVERY.codes[0]!).result).toEqual({ ok: false, reason: 'locked', retryAt: now + 1 });
  });
  it('counts a wrong recovery code as a failure', () => {
    const d = at(enrolled(now, { recoveryCodes: RECOVERY.hashes }), 'AAAA-AAAA-AAAA-AAAA-AAAA-AAAA');
    expect(d.result).toEqual({ ok: false, reason: 'invalid' });
    expect(d.next.throttle.failures).toBe(1);
  });
  it('follows a drifting phone within the bound, without widening the window of others (RFC 6238 §6)', () => {
    const base = enrolled(T0); // last code long ago
    // Two steps late is outside the ±1 window of a user with no drift.
    expect(at(base, codeAt(now - 2 * STEP)).result).toMatchObject({ ok: false, reason: 'invalid' });
    // A phone drifting slowly: one step late is accepted and remembered...
    const one = at(base, codeAt(now - STEP));
    expect(one.result).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 0 });
    expect(one.next.active?.drift).toBe(-1);
    // ...so the next login may be two steps late, and the drift follows.
    const t2 = now + 3 * STEP;
    const two = at(one.next, codeAt(t2 - 2 * STEP), t2);
    expect(two.result).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 0 });
    expect(two.next.active?.drift).toBe(-2);
    // A corrected clock still works: the normal window stays.
    const t3 = t2 + 3 * STEP;
    expect(at(two.next, codeAt(t3), t3).result).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 0 });
    // The bound: with maxDrift 1 the drift stays at -1 and -2 is not followed.
    const bounded = policy({ code: { maxDrift: 1 } });
    const b1 = at(base, codeAt(now - STEP), now, bounded);
    expect(b1.next.active?.drift).toBe(-1);
    const b2 = at(b1.next, codeAt(t2 - 2 * STEP), t2, bounded);
    expect(b2.next.active?.drift).toBe(-1);
    const t4 = t2 + 3 * STEP;
    expect(at(b2.next, codeAt(t4 - 3 * STEP), t4, bounded).result).toMatchObject({ ok: false, reason: 'invalid' });
  });
});

describe('requestReset', () => {
  const cooldown = 900_000;
  it('opens a request naming exactly the chosen administrators', () => {
    const d = run(enrolled(), { type: 'request-reset', to: ['root'] }, ctx({ id: 'r1' }));
    expect(d.result).toEqual({ requestId: 'r1', to: ['root'], expiresAt: T0 + 72 * 3_600_000 });
    expect(d.next.resetRequest).toMatchObject({ id: 'r1', to: ['root'], requestedAt: T0, notifiedAt: {} });
    expect(d.events).toMatchObject([{ type: 'reset-requested', requestId: 'r1', to: ['root'] }]);
  });
  it('works while locked', () => {
    const locked = enrolled(T0, { throttle: { failures: 100, locks: 19, lockedUntil: null, hardStop: true } });
    expect(run(locked, { type: 'request-reset', to: ['root'] }).events).toHaveLength(1);
  });
  it('refuses administrators notified within the cool-down, and lets others and later requests through', () => {
    const sent = enrolled(T0, {
      resetRequest: { id: 'r1', to: ['root'], requestedAt: T0, expiresAt: T0 + 72 * 3_600_000, lastNotifiedAt: T0, notifiedAt: { root: T0 } },
    });
    expect(refusal(() => run(sent, { type: 'request-reset', to: ['root'] }, ctx({ now: T0 + cooldown - 1 })))).toBe('ERR_COOLDOWN');
    const all = run(sent, { type: 'request-reset', to: ['root', 'carol'] }, ctx({ now: T0 + 60_000 }));
    expect(all.result).toMatchObject({ requestId: 'r1', to: ['carol'] });
    expect(all.next.resetRequest?.to).toEqual(['root', 'carol']);
    expect(run(sent, { type: 'request-reset', to: ['root'] }, ctx({ now: T0 + cooldown })).result).toMatchObject({ requestId: 'r1', to: ['root'] });
  });
  it('keeps an undelivered notification, under its own id, instead of queueing a second one', () => {
    const first = run(enrolled(), { type: 'request-reset', to: ['root'] }, ctx({ id: 'r1' }));
    const second = run(first.next, { type: 'request-reset', to: ['root'] }, ctx({ id: 'r2', now: T0 + 1000 }));
    expect(second.events).toEqual([]);
    expect(second.next).not.toBe(first.next); // written, so the shell sends the queued one again
    expect(second.next.outbox.map((e) => e.event.id)).toEqual([first.events[0]!.id]);
    expect(second.result.to).toEqual(['root']);
    // Asking another administrator meanwhile adds an event for them only.
    const third = run(second.next, { type: 'request-reset', to: ['root', 'carol'] }, ctx({ id: 'r3', now: T0 + 2000 }));
    expect(third.events).toMatchObject([{ type: 'reset-requested', to: ['carol'] }]);
    expect(third.next.outbox.map((e) => e.event.id)).toEqual([first.events[0]!.id, third.events[0]!.id]);
    expect(third.result.to).toEqual(['root', 'carol']);
  });
  it('opens a new request once the old one expired', () => {
    const old = enrolled(T0, { resetRequest: { id: 'r1', to: ['root'], requestedAt: T0, expiresAt: T0 + 10, lastNotifiedAt: T0, notifiedAt: { root: T0 } } });
    expect(run(old, { type: 'request-reset', to: ['root'] }, ctx({ id: 'r2', now: T0 + 10 })).result.requestId).toBe('r2');
  });
});

describe('reset and decline', () => {
  const open = { id: 'r1', to: ['root'], requestedAt: T0, expiresAt: T0 + 1000, lastNotifiedAt: null, notifiedAt: {} };
  it('reset clears the enrollment, closes the request and makes set-up mandatory', () => {
    const record = enrolled(T0, { recoveryCodes: RECOVERY.hashes, resetRequest: open, throttle: { failures: 100, locks: 19, lockedUntil: null, hardStop: true } });
    const d = run(record, { type: 'reset', adminId: 'root' });
    expect(d.result).toEqual({ ok: true, notified: false });
    expect(d.next).toMatchObject({ state: 'none', active: null, pending: null, recoveryCodes: [], resetRequest: null, mustEnroll: true });
    expect(d.next.throttle).toEqual({ failures: 0, locks: 0, lockedUntil: null, hardStop: false });
    expect(d.events).toMatchObject([{ type: 'reset-completed', requestId: 'r1', actor: 'root', userId: 'alice' }]);
    const late = run(d.next, { type: 'reset', adminId: 'carol' });
    expect(late.result).toEqual({ ok: false, reason: 'already-handled', handled: { kind: 'reset', by: 'root', at: T0, requestId: 'r1' } });
    expect(late.events).toEqual([]);
  });
  it('reset of a user with nothing to reset changes nothing', () => {
    const record = none();
    expect(run(record, { type: 'reset', adminId: 'root' })).toEqual({ next: record, events: [], result: { ok: false, reason: 'nothing-to-do', handled: null } });
  });
  it('decline closes the request and leaves the enrollment', () => {
    const d = run(enrolled(T0, { resetRequest: open }), { type: 'decline', adminId: 'root' });
    expect(d.next).toMatchObject({ state: 'enrolled', resetRequest: null, lastResolution: { kind: 'declined', by: 'root' } });
    expect(d.events).toMatchObject([{ type: 'reset-declined', requestId: 'r1', actor: 'root' }]);
    expect(run(d.next, { type: 'decline', adminId: 'carol' }).result).toMatchObject({ ok: false, reason: 'already-handled' });
    expect(run(enrolled(), { type: 'decline', adminId: 'root' }).result).toMatchObject({ ok: false, reason: 'nothing-to-do' });
  });
  it('drops an expired request when it writes', () => {
    const d = run(enrolled(T0, { resetRequest: open }), { type: 'verify', code: '000000' }, ctx({ now: T0 + 1000 }));
    expect(d.next.resetRequest).toBeNull();
  });
});

describe('enable and disable', () => {
  it('enable opts in where not required, once', () => {
    const d = run(none(), { type: 'enable' }, ctx({ required: false }));
    expect(d.next.voluntary).toBe(true);
    expect(d.events).toMatchObject([{ type: 'enabled' }]);
    expect(refusal(() => run(d.next, { type: 'enable' }, ctx({ required: false })))).toBe('ERR_STATE');
    expect(refusal(() => run(none(), { type: 'enable' }))).toBe('ERR_STATE');
  });
  it('disable clears an enrollment where not required', () => {
    const record = enrolled(T0, { voluntary: true, recoveryCodes: RECOVERY.hashes });
    expect(refusal(() => run(record, { type: 'disable' }, ctx({ required: false })))).toBe('ERR_REAUTH_REQUIRED');
    const d = run(record, { type: 'disable', code: codeAt(T0) }, ctx({ required: false }));
    expect(d.next).toMatchObject({ state: 'none', voluntary: false, active: null, recoveryCodes: [] });
    expect(d.events).toMatchObject([{ type: 'verified' }, { type: 'disabled' }]);
  });
  it('disable is refused where required (ERR_REQUIRED), while locked (ERR_STATE), and with nothing to disable (ERR_NOT_ENROLLED)', () => {
    expect(refusal(() => run(enrolled(), { type: 'disable' }))).toBe('ERR_REQUIRED');
    expect(refusal(() => run(none({ mustEnroll: true }), { type: 'disable' }, ctx({ required: false })))).toBe('ERR_REQUIRED');
    const locked = enrolled(T0, { throttle: { failures: 5, locks: 1, lockedUntil: T0 + 1, hardStop: false } });
    expect(refusal(() => run(locked, { type: 'disable' }, ctx({ required: false })))).toBe('ERR_STATE');
    expect(refusal(() => run(none(), { type: 'disable' }, ctx({ required: false })))).toBe('ERR_NOT_ENROLLED');
  });
});

describe('purity', () => {
  it('gives the same decision for the same inputs and never mutates the record', () => {
    const record = frozen(enrolled(T0 + STEP));
    const context = ctx({ now: T0 + STEP, id: 'fixed' });
    const before = JSON.stringify(record);
    const a = decide(record, { type: 'verify', code: '000000' }, context);
    const b = decide(record, { type: 'verify', code: '000000' }, context);
    expect(a).toEqual(b);
    expect(JSON.stringify(record)).toBe(before);
  });
  it('keeps every record it writes a JSON value', () => {
    const d = run(enrolling(T0), { type: 'confirm-enrollment', code: codeAt(T0) }, ctx({ recoveryCodes: RECOVERY }));
    expect(JSON.parse(JSON.stringify(d.next))).toEqual(d.next);
  });
});
