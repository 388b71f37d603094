// Written from the mutants that survived `npm run mutation` on
// src/gate/decide.ts: what each transition asks of its context, the exact
// refusals and results, lock ends, postpone repeats, drift, hard-stop
// recovery, and administrators acting on a named request.
import { describe, expect, it } from 'vitest';
import { isOtpError } from '../../src/errors.js';
import { decide, TRANSITIONS, type Command, type DecideContext, type Need } from '../../src/gate/decide.js';
import { initialRecord, type GateRecord, type ResetRequestRecord } from '../../src/gate/record.js';
import { issueRecoveryCodes } from '../../src/gate/recovery.js';
import { codeAt, ctx, enrolled, enrolling, frozen, policy, RECOVERY, STEP, T0 } from './fixtures.js';

function run<C extends Command>(record: GateRecord, command: C, context: DecideContext = ctx()) {
  return decide(frozen(record), command, context);
}

function refusal(fn: () => unknown): { code: string; message: string } | 'no error' {
  try {
    fn();
  } catch (error) {
    if (isOtpError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  return 'no error';
}

const none = initialRecord();
const optional = ctx({ required: false });

function openRequest(overrides: Partial<ResetRequestRecord> = {}): ResetRequestRecord {
  return { id: 'req1', to: ['root'], requestedAt: T0 - 1000, expiresAt: T0 + 3_600_000, lastNotifiedAt: null, notifiedAt: {}, ...overrides };
}

describe('a transition reached without a need it lists is an internal error naming it', () => {
  const cases: Array<[string, GateRecord, Command, Need]> = [
    ['inspect, not enrolled', none, { type: 'inspect' }, 'required'],
    ['postpone', none, { type: 'postpone' }, 'required'],
    ['begin-enrollment showing the pending secret again', enrolling(T0), { type: 'begin-enrollment', renew: false }, 'pendingKey'],
    ['begin-enrollment drawing a new secret', none, { type: 'begin-enrollment', renew: true }, 'freshSecret'],
    ['confirm-enrollment checking the code', enrolling(T0), { type: 'confirm-enrollment', code: '000000' }, 'pendingKey'],
    ['confirm-enrollment issuing recovery codes', enrolling(T0), { type: 'confirm-enrollment', code: codeAt(T0) }, 'recoveryCodes'],
    ['confirm-enrollment deciding voluntariness', enrolling(T0), { type: 'confirm-enrollment', code: codeAt(T0) }, 'required'],
    ['verify', enrolled(T0), { type: 'verify', code: '000000' }, 'activeKey'],
    ['enable', none, { type: 'enable' }, 'required'],
    ['disable', enrolled(T0), { type: 'disable' }, 'required'],
  ];
  it.each(cases)('%s lacks %s', (_, record, command, name) => {
    expect(TRANSITIONS[command.type].needs).toContain(name);
    const context = { ...ctx({ recoveryCodes: RECOVERY }), [name]: undefined };
    expect(refusal(() => run(record, command, context))).toEqual({
      code: 'ERR_OPTIONS',
      message: `internal: the decision context lacks ${name}`,
    });
  });
});

describe('refusals say why', () => {
  const cases: Array<[string, GateRecord, Command, DecideContext, string, string]> = [
    ['postpone after a reset', { ...none, mustEnroll: true }, { type: 'postpone' }, ctx(), 'ERR_POSTPONE_NOT_ALLOWED', 'set-up cannot be postponed after an administrator reset it'],
    ['postpone when optional', none, { type: 'postpone' }, optional, 'ERR_POSTPONE_NOT_ALLOWED', 'set-up cannot be postponed where 2-step verification is not required'],
    ['postpone with none left', { ...none, postpones: { used: 2, attempts: [] } }, { type: 'postpone' }, ctx(), 'ERR_POSTPONE_LIMIT', 'no postpone is left: set-up is mandatory now'],
    ['request-reset not enrolled', none, { type: 'request-reset', to: ['root'] }, ctx(), 'ERR_NOT_ENROLLED', 'request-reset is not allowed while 2-step verification is not set up'],
    [
      'request-reset in cool-down',
      enrolled(T0, { resetRequest: openRequest({ notifiedAt: { root: T0 - 1 }, lastNotifiedAt: T0 - 1 }) }),
      { type: 'request-reset', to: ['root'] },
      ctx(),
      'ERR_COOLDOWN',
      'these administrators were notified of this request recently',
    ],
    ['enable when required', none, { type: 'enable' }, ctx(), 'ERR_STATE', '2-step verification is required for this user already'],
    ['enable after a reset', { ...none, mustEnroll: true }, { type: 'enable' }, optional, 'ERR_STATE', '2-step verification is required for this user already'],
    ['enable twice', { ...none, voluntary: true }, { type: 'enable' }, optional, 'ERR_STATE', '2-step verification is enabled already'],
    ['disable when required', enrolled(T0), { type: 'disable' }, ctx(), 'ERR_REQUIRED', '2-step verification is required for this user'],
    ['disable after a reset', { ...none, mustEnroll: true }, { type: 'disable' }, optional, 'ERR_REQUIRED', '2-step verification is required for this user'],
    [
      'disable while locked',
      enrolled(T0, { voluntary: true, throttle: { failures: 5, locks: 1, lockedUntil: T0 + 1, hardStop: false } }),
      { type: 'disable' },
      optional,
      'ERR_STATE',
      '2-step verification cannot be disabled while locked',
    ],
    ['disable when off', none, { type: 'disable' }, optional, 'ERR_NOT_ENROLLED', '2-step verification is not enabled'],
  ];
  it.each(cases)('%s', (_, record, command, context, code, message) => {
    expect(refusal(() => run(record, command, context))).toEqual({ code, message });
  });
});

describe('results', () => {
  it('enable and disable say what they did', () => {
    const on = run(none, { type: 'enable' }, optional);
    expect(on.result).toEqual({ enabled: true });
    expect(on.next.voluntary).toBe(true);
    const off = run(enrolled(T0, { voluntary: true }), { type: 'disable', code: codeAt(T0) }, optional);
    expect(off.result).toEqual({ ok: true });
    expect(off.next).toMatchObject({ state: 'none', voluntary: false, active: null });
    expect(off.events.map((e) => e.type)).toEqual(['verified', 'disabled']);
  });

  it('an enrolled user where it is optional can turn it off even without having enabled it', () => {
    // An enrollment made while required stays after the requirement is lifted.
    expect(run(enrolled(T0), { type: 'disable', code: codeAt(T0) }, optional).result).toEqual({ ok: true });
  });

  it('a confirmation where 2-step is required does not make it voluntary', () => {
    const d = run(enrolling(T0), { type: 'confirm-enrollment', code: codeAt(T0) }, ctx({ recoveryCodes: RECOVERY }));
    expect(d.result).toMatchObject({ ok: true });
    expect(d.next.voluntary).toBe(false);
  });

  it('the last wrong set-up code discards the enrollment for its failures', () => {
    const record = enrolling(T0, { pending: { ...enrolling(T0).pending!, failures: 4 } });
    const d = run(record, { type: 'confirm-enrollment', code: String((Number(codeAt(T0)) + 500_000) % 1_000_000).padStart(6, '0') });
    expect(d.result).toEqual({ ok: false, reason: 'invalid', attemptsLeft: 0 });
    expect(d.result).not.toHaveProperty('retryAt');
    expect(d.events.map((e) => e.type)).toContain('enrollment-discarded');
    expect(d.events.find((e) => e.type === 'enrollment-discarded')).toMatchObject({ reason: 'failures' });
    expect(d.next.pending).toBeNull();
  });

  it('a wrong login code that does not lock has no retryAt at all', () => {
    const d = run(enrolled(T0), { type: 'verify', code: String((Number(codeAt(T0)) + 500_000) % 1_000_000).padStart(6, '0') });
    expect(d.result).toEqual({ ok: false, reason: 'invalid' });
    expect(d.result).not.toHaveProperty('retryAt');
  });
});

describe('lock ends', () => {
  const locked = { failures: 5, locks: 1, lockedUntil: T0 + 1000, hardStop: false };

  it('a write while a lock is in force keeps its end', () => {
    const d = run(enrolled(T0, { throttle: locked }), { type: 'request-reset', to: ['root'] });
    expect(d.next.throttle.lockedUntil).toBe(T0 + 1000);
  });

  it('the first write from the moment a lock ends drops its end', () => {
    const at = T0 + 1000;
    const d = run(enrolled(at, { throttle: locked }), { type: 'request-reset', to: ['root'] }, ctx({ now: at }));
    expect(d.next.throttle).toEqual({ ...locked, lockedUntil: null });
  });

  it('with locks of zero length, wrong codes never lock nor announce a lock', () => {
    const p = policy({ throttle: { lockAfter: 1, lockMs: 0, maxLockMs: 1000 } });
    const d = run(enrolled(T0), { type: 'verify', code: '000000' === codeAt(T0) ? '111111' : '000000' }, ctx({ policy: p }));
    expect(d.result).toEqual({ ok: false, reason: 'invalid' });
    expect(d.events.map((e) => e.type)).toEqual(['code-refused']);
    expect(d.next.throttle.lockedUntil).toBeNull();
  });
});

describe('postpone repeats', () => {
  const at = T0 + 10 * STEP;
  const withAttempt = (lastAt: number | null) => ({ ...none, postpones: { used: 1, attempts: ['a1'], lastAt } });

  it('the same login attempt within ten minutes is the same postpone', () => {
    expect(run(withAttempt(at - 599_999), { type: 'postpone', attempt: 'a1' }, ctx({ now: at })).result).toEqual({ postponesLeft: 1, repeated: true });
  });

  it('ten minutes later, or with no time or a future time recorded, it is a new postpone', () => {
    for (const lastAt of [at - 600_000, null, at + 1]) {
      expect(run(withAttempt(lastAt), { type: 'postpone', attempt: 'a1' }, ctx({ now: at })).result).toEqual({ postponesLeft: 0, repeated: false });
    }
  });

  it('remembers at most the 32 latest attempts', () => {
    const attempts = Array.from({ length: 32 }, (_, i) => `a${i}`);
    const record = { ...none, postpones: { used: 0, attempts, lastAt: at - 1 } };
    const d = run(record, { type: 'postpone', attempt: 'new' }, ctx({ now: at, policy: policy({ maxPostpones: 5 }) }));
    expect(d.next.postpones.attempts).toEqual([...attempts.slice(1), 'new']);
  });
});

describe('verification past drift and hard stops', () => {
  it('reaches towards a phone that ran ahead last time', () => {
    const record = enrolled(T0, { active: { ...enrolled(T0).active!, drift: 3 } });
    const d = run(record, { type: 'verify', code: codeAt(T0 + 3 * STEP) });
    expect(d.result).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 0 });
  });

  const stopped = { failures: 100, locks: 0, lockedUntil: null, hardStop: true };

  it('a hard stop refuses even the right authenticator code', () => {
    const d = run(enrolled(T0, { throttle: stopped }), { type: 'verify', code: codeAt(T0) });
    expect(d.result).toEqual({ ok: false, reason: 'locked', retryAt: null });
  });

  it('a recovery code cannot lift a hard stop while wrong ones have locked it out', () => {
    const record = enrolled(T0, { throttle: { ...stopped, lockedUntil: T0 + 1 }, recoveryCodes: RECOVERY.hashes });
    const d = run(record, { type: 'verify', code: RECOVERY.codes[0]! });
    expect(d.result).toEqual({ ok: false, reason: 'locked', retryAt: null });
    const later = run(record, { type: 'verify', code: RECOVERY.codes[0]! }, ctx({ now: T0 + 1 }));
    expect(later.result).toMatchObject({ ok: true, method: 'recovery' });
  });

  it('every lockAfter wrong recovery codes past the stop lock them out for maxLockMs', () => {
    const p = policy({ throttle: { lockAfter: 3, hardStopAfter: 4, lockMs: 1000, maxLockMs: 5000 } });
    const wrong = issueRecoveryCodes(1).codes[0]!;
    let record = enrolled(T0, { throttle: { failures: 4, locks: 0, lockedUntil: null, hardStop: true }, recoveryCodes: RECOVERY.hashes });
    const locks: Array<number | null> = [];
    for (let i = 0; i < 6; i++) {
      record = run(record, { type: 'verify', code: wrong }, ctx({ policy: p })).next;
      locks.push(record.throttle.lockedUntil);
    }
    // Failures 5 to 10: beyond the stop by 1 to 6.
    expect(locks).toEqual([null, null, T0 + 5000, T0 + 5000, T0 + 5000, T0 + 5000]);
  });
});

describe('administrators acting on a named request', () => {
  const request = openRequest();

  it('a reset of the open request it names goes ahead', () => {
    const d = run(enrolled(T0, { resetRequest: request }), { type: 'reset', adminId: 'root', requestId: 'req1' });
    expect(d.result).toEqual({ ok: true, notified: false });
    expect(d.next.resetRequest).toBeNull();
  });

  it('a reset naming another request, with nothing handled before, has nothing to do', () => {
    const d = run(enrolled(T0, { resetRequest: request }), { type: 'reset', adminId: 'root', requestId: 'other' });
    expect(d.result).toEqual({ ok: false, reason: 'nothing-to-do', handled: null });
    expect(d.next.resetRequest).toEqual(request);
  });

  it('a reset of a user with an open request, or with failures, but nothing enrolled still goes ahead', () => {
    expect(run({ ...none, resetRequest: request }, { type: 'reset', adminId: 'root' }).result).toEqual({ ok: true, notified: false });
    const failing = { ...none, throttle: { failures: 2, locks: 0, lockedUntil: null, hardStop: false } };
    const d = run(failing, { type: 'reset', adminId: 'root' });
    expect(d.result).toEqual({ ok: true, notified: false });
    expect(d.next.throttle.failures).toBe(0);
  });

  it('a decline with no open request has nothing to do; one naming the open request declines it', () => {
    expect(run(enrolled(T0), { type: 'decline', adminId: 'root' }).result).toEqual({ ok: false, reason: 'nothing-to-do', handled: null });
    expect(run(enrolled(T0, { resetRequest: request }), { type: 'decline', adminId: 'root', requestId: 'other' }).result).toEqual({
      ok: false,
      reason: 'nothing-to-do',
      handled: null,
    });
    const d = run(enrolled(T0, { resetRequest: request }), { type: 'decline', adminId: 'root', requestId: 'req1' });
    expect(d.result).toEqual({ ok: true, notified: false });
    expect(d.next.lastResolution).toMatchObject({ kind: 'declined', by: 'root', requestId: 'req1' });
  });

  it('asking an administrator again after the cool-down does not list them twice', () => {
    const record = enrolled(T0, { resetRequest: openRequest({ notifiedAt: { root: T0 - 3_600_000 }, lastNotifiedAt: T0 - 3_600_000 }) });
    const d = run(record, { type: 'request-reset', to: ['root', 'ops'] });
    expect(d.next.resetRequest?.to).toEqual(['root', 'ops']);
    expect(d.result).toMatchObject({ requestId: 'req1', to: ['root', 'ops'] });
  });
});

describe('reset requests and the notifications still on their way', () => {
  const to = (requestId: string, admins: string[], claim: { token: string; until: number } | null, id = `${requestId}.n`) => ({
    event: { id, userId: 'alice', actor: 'alice', at: T0 - 1000, type: 'reset-requested', requestId, to: admins, expiresAt: T0 + 3_600_000 },
    claim,
    attempts: 0,
  });
  const postponed = { event: { id: 'p.0', userId: 'alice', actor: 'alice', at: T0 - 1000, type: 'postponed', postponesLeft: 1 }, claim: null, attempts: 0 };
  const outboxed = (...entries: unknown[]) => enrolled(T0, { resetRequest: openRequest(), outbox: entries as GateRecord['outbox'] });

  it('an administrator being told right now by another call is not asked again', () => {
    const record = outboxed(to('req1', ['root'], { token: 'other', until: T0 + 1 }));
    expect(refusal(() => run(record, { type: 'request-reset', to: ['root'] }))).toEqual({
      code: 'ERR_COOLDOWN',
      message: 'these administrators were notified of this request recently',
    });
  });

  it('a notification whose claim ran out goes out again under its own id, with no new one', () => {
    const record = outboxed(to('req1', ['root'], { token: 'other', until: T0 }));
    const d = run(record, { type: 'request-reset', to: ['root'] });
    expect(d.result).toEqual({ requestId: 'req1', to: ['root'], expiresAt: T0 + 3_600_000 });
    expect(d.events).toEqual([]);
    expect(d.next.outbox.map((e) => e.event.id)).toEqual(['req1.n']);
  });

  it('an unsent notification of this request is kept; other events and older requests add nobody', () => {
    const record = outboxed(postponed, to('req0', ['old'], null), to('req1', ['root'], null));
    const d = run(record, { type: 'request-reset', to: ['ops'] });
    expect(d.result).toEqual({ requestId: 'req1', to: ['root', 'ops'], expiresAt: T0 + 3_600_000 });
    expect(d.events).toMatchObject([{ type: 'reset-requested', requestId: 'req1', to: ['ops'] }]);
  });

  it('a notification of an older request being sent does not hold back this one', () => {
    const record = outboxed(to('req0', ['root'], { token: 'other', until: T0 + 1 }));
    const d = run(record, { type: 'request-reset', to: ['root'] });
    expect(d.result).toMatchObject({ requestId: 'req1', to: ['root'] });
    expect(d.events).toMatchObject([{ type: 'reset-requested', requestId: 'req1', to: ['root'] }]);
  });
});
