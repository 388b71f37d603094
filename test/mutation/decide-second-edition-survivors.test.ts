// Written from the mutants of src/gate/decide.ts that the second edition's
// own tests left alive: through decide() itself, the exact results, events
// and records of several authenticators, re-authentication, remembered
// devices, the recovery-code lifecycle, status and import.
import { describe, expect, it } from 'vitest';
import type { DecideContext } from '../../src/gate/decide.js';
import { hashDeviceToken } from '../../src/gate/devices.js';
import { initialRecord, type GateRecord, type TrustedDevice } from '../../src/gate/record.js';
import { issueRecoveryCodes } from '../../src/gate/recovery.js';
import { codeAt, ctx, enrolled, enrolling, OTHER_SECRET, policy, RECOVERY, SECRET, STEP, T0 } from '../gate/fixtures.js';
import { CLEAR, refusal, run, spare, wrong } from './rig.js';

const both = (overrides: Partial<DecideContext> = {}) => ctx({ activeKeys: [SECRET, OTHER_SECRET], ...overrides });

/** An enrolled record with the first authenticator (SECRET, legacy id) and the spare. */
function twoOf(now = T0, overrides: Partial<GateRecord> = {}): GateRecord {
  return enrolled(now, { additional: [spare(now)], ...overrides });
}

const TOKEN = 'ab'.repeat(32);
function device(id: string, expiresAt: number, token = TOKEN, createdAt = T0 - 1000): TrustedDevice {
  return { id, hash: hashDeviceToken(token), label: `device ${id}`, createdAt, expiresAt };
}
const devicesOn = policy({ trustedDevices: { enabled: true, ttlMs: 60_000, max: 2 } });

describe('inspect with a remembered device', () => {
  const record = enrolled(T0, { devices: [device('d1', T0 + 1000)] });

  it('lets an enrolled user through only where the policy enables it, with a live device and its token', () => {
    expect(run(record, { type: 'inspect', deviceToken: TOKEN }, ctx({ policy: devicesOn })).result).toEqual({ step: 'allow', remembered: true });
    expect(run(record, { type: 'inspect', deviceToken: TOKEN }, ctx({ policy: devicesOn, now: T0 + 999 })).result).toEqual({ step: 'allow', remembered: true });
    expect(run(record, { type: 'inspect', deviceToken: TOKEN }, ctx({ policy: devicesOn, now: T0 + 1000 })).result).toEqual({ step: 'code' });
    expect(run(record, { type: 'inspect', deviceToken: TOKEN }, ctx()).result).toEqual({ step: 'code' });
    expect(run(record, { type: 'inspect' }, ctx({ policy: devicesOn })).result).toEqual({ step: 'code' });
    expect(run(record, { type: 'inspect', deviceToken: 'cd'.repeat(32) }, ctx({ policy: devicesOn })).result).toEqual({ step: 'code' });
    const d = run(record, { type: 'inspect', deviceToken: TOKEN }, ctx({ policy: devicesOn }));
    expect(d.next).toBe(record);
    expect(d.events).toEqual([]);
  });

  it('a lock beats a remembered device', () => {
    const locked = { ...record, throttle: { ...CLEAR, failures: 5, locks: 1, lockedUntil: T0 + 500 } };
    expect(run(locked, { type: 'inspect', deviceToken: TOKEN }, ctx({ policy: devicesOn })).result).toEqual({ step: 'locked', retryAt: T0 + 500 });
  });

  it.each(['not-a-token', 'AB'.repeat(32), `x${TOKEN}`, `${TOKEN}x`, TOKEN.slice(1), `${TOKEN}ab`, `g${TOKEN.slice(1)}`])(
    'a token that is not 64 lower-case hex digits is never looked up, even when a stored hash is its own: %s',
    (token) => {
      const odd = enrolled(T0, { devices: [device('d1', T0 + 1000, token)] });
      expect(run(odd, { type: 'inspect', deviceToken: token }, ctx({ policy: devicesOn })).result).toEqual({ step: 'code' });
    },
  );
});

describe('adding an authenticator while enrolled', () => {
  const fresh = { plain: OTHER_SECRET, stored: OTHER_SECRET, wrapped: false };

  it('is limited to policy.authenticators.max, counting every authenticator', () => {
    const one = policy({ authenticators: { max: 1 } });
    expect(refusal(() => run(enrolled(), { type: 'begin-enrollment', renew: false, code: codeAt(T0) }, ctx({ policy: one, freshSecret: fresh })))).toEqual({
      code: 'ERR_LIMIT',
      message: 'at most 1 authenticators per user',
    });
    const two = policy({ authenticators: { max: 2 } });
    expect(run(enrolled(), { type: 'begin-enrollment', renew: false, code: codeAt(T0) }, ctx({ policy: two, freshSecret: fresh })).result).toMatchObject({ reused: false });
    expect(refusal(() => run(twoOf(), { type: 'begin-enrollment', renew: false, code: codeAt(T0) }, both({ policy: two, freshSecret: fresh })))).toEqual({
      code: 'ERR_LIMIT',
      message: 'at most 2 authenticators per user',
    });
  });

  it('asks for a fresh code first, naming the action', () => {
    expect(refusal(() => run(enrolled(), { type: 'begin-enrollment', renew: false }, ctx({ freshSecret: fresh })))).toEqual({
      code: 'ERR_REAUTH_REQUIRED',
      message: 'adding an authenticator needs a fresh code from an authenticator, a recovery code or a passkey',
    });
  });

  it('answers a wrong code with the refusal, counts it, and draws nothing', () => {
    const d = run(enrolled(), { type: 'begin-enrollment', renew: false, code: wrong(codeAt(T0)) }, ctx({ freshSecret: fresh }));
    expect(d.result).toEqual({ refused: { ok: false, reason: 'invalid' } });
    expect(d.next.throttle).toEqual({ ...CLEAR, failures: 1 });
    expect(d.next.pending).toBeNull();
    expect(d.events).toMatchObject([{ type: 'code-refused', during: 're-authentication', reason: 'invalid', failures: 1 }]);
    expect(d.events).toHaveLength(1);
  });

  it('consumes the code, then draws the new pending secret with its label', () => {
    const d = run(enrolled(), { type: 'begin-enrollment', renew: false, label: 'Spare', code: codeAt(T0) }, ctx({ freshSecret: fresh }));
    expect(d.result).toEqual({ secret: OTHER_SECRET, algorithm: 'SHA1', digits: 6, period: 30, expiresAt: T0 + 600_000, reused: false });
    expect(d.next.active).toMatchObject({ secret: SECRET, lastStep: T0 / STEP, lastUsedAt: T0 });
    expect(d.next.pending).toEqual({ secret: OTHER_SECRET, wrapped: false, algorithm: 'SHA1', digits: 6, period: 30, createdAt: T0, expiresAt: T0 + 600_000, failures: 0, label: 'Spare' });
    expect(d.events).toMatchObject([
      { type: 'verified', authenticatorId: 'primary', delta: 0 },
      { type: 'enrollment-started', renew: true, expiresAt: T0 + 600_000 },
    ]);
  });

  it('a first set-up without a label stores none', () => {
    const d = run(initialRecord(), { type: 'begin-enrollment', renew: false }, ctx({ freshSecret: fresh }));
    expect(Object.keys(d.next.pending!)).not.toContain('label');
    expect(d.events).toMatchObject([{ type: 'enrollment-started', renew: false }]);
  });

  it('a reload with a new label relabels the pending secret; the same label or none changes nothing', () => {
    const record = enrolling(T0, { pending: { ...enrolling(T0).pending!, label: 'Phone' } });
    const relabelled = run(record, { type: 'begin-enrollment', renew: false, label: 'Tablet' });
    expect(relabelled.next.pending).toEqual({ ...record.pending, label: 'Tablet' });
    expect(relabelled.result).toMatchObject({ secret: SECRET, reused: true });
    expect(relabelled.events).toEqual([]);
    for (const label of ['Phone', undefined]) {
      const same = run(record, { type: 'begin-enrollment', renew: false, label });
      expect(same.next).toBe(record);
      expect(same.result).toMatchObject({ reused: true });
    }
  });
});

describe('confirming an authenticator', () => {
  it('the first one gets an id, the default label, no use yet, and the recovery codes', () => {
    const issued = issueRecoveryCodes(2);
    const d = run(enrolling(T0), { type: 'confirm-enrollment', code: codeAt(T0 + STEP) }, ctx({ now: T0, id: 'k1', recoveryCodes: issued }));
    expect(d.next.active).toEqual({
      secret: SECRET,
      wrapped: false,
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
      enrolledAt: T0,
      lastStep: T0 / STEP + 1,
      drift: 1,
      id: 'ak1',
      label: 'Authenticator app',
      lastUsedAt: null,
    });
    expect(Object.keys(d.next)).not.toContain('additional');
    expect(d.next.recoveryCodes).toEqual(issued.hashes);
    expect(d.result).toEqual({ ok: true, recoveryCodes: issued.codes });
    expect(d.events).toMatchObject([{ type: 'enrolled', renewed: false, recoveryCodes: 2, authenticatorId: 'ak1' }]);
  });

  it('after a reset (an empty list of additional ones) the list stays empty', () => {
    const d = run(enrolling(T0, { additional: [] }), { type: 'confirm-enrollment', code: codeAt(T0) }, ctx({ recoveryCodes: RECOVERY }));
    expect(d.next.additional).toEqual([]);
  });

  it('one more keeps the recovery codes and voluntariness, clears failures, and is numbered', () => {
    const pending = { ...enrolling(T0).pending!, secret: OTHER_SECRET };
    const record = enrolled(T0, { pending, recoveryCodes: RECOVERY.hashes, throttle: { ...CLEAR, failures: 2 }, voluntary: false });
    const d = run(record, { type: 'confirm-enrollment', code: codeAt(T0, OTHER_SECRET) }, ctx({ id: 'k2', pendingKey: OTHER_SECRET, required: false, recoveryCodes: issueRecoveryCodes(1) }));
    expect(d.result).toEqual({ ok: true, recoveryCodes: [] });
    expect(d.next.active).toEqual(record.active);
    expect(d.next.additional).toEqual([{ ...spare(T0), enrolledAt: T0, lastStep: T0 / STEP, id: 'ak2', label: 'Authenticator app 2' }]);
    expect(d.next).toMatchObject({ pending: null, throttle: CLEAR, recoveryCodes: RECOVERY.hashes, voluntary: false, state: 'enrolled' });
    expect(d.events).toMatchObject([{ type: 'enrolled', renewed: true, recoveryCodes: 0, authenticatorId: 'ak2' }]);

    const third = run({ ...twoOf(T0), pending: { ...pending, secret: SECRET } }, { type: 'confirm-enrollment', code: codeAt(T0) }, ctx({ id: 'k3' }));
    expect(third.next.additional!.map((a) => a.label)).toEqual(['Spare', 'Authenticator app 3']);
    const named = run({ ...record, pending: { ...pending, label: 'Tablet' } }, { type: 'confirm-enrollment', code: codeAt(T0, OTHER_SECRET) }, ctx({ pendingKey: OTHER_SECRET }));
    expect(named.next.additional![0]!.label).toBe('Tablet');
  });
});

describe('verify with several authenticators', () => {
  it('a code of the second logs in with it alone and reports the recovery codes left', () => {
    const record = twoOf(T0, { recoveryCodes: RECOVERY.hashes, throttle: { ...CLEAR, failures: 3 } });
    const d = run(record, { type: 'verify', code: codeAt(T0, OTHER_SECRET) }, both({ id: 'v1' }));
    expect(d.result).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 3 });
    expect(d.next.active).toEqual(record.active);
    expect(d.next.additional).toEqual([{ ...spare(T0), lastStep: T0 / STEP, lastUsedAt: T0 }]);
    expect(d.next.throttle).toEqual(CLEAR);
    expect(d.events).toEqual([{ type: 'verified', delta: 0, authenticatorId: 'a2', id: 'v1.0', userId: 'alice', actor: 'alice', at: T0 }]);
  });

  it('each reaches towards its own drift, and a used code of either is replayed', () => {
    const record = twoOf(T0, { additional: [spare(T0, { drift: 3 })] });
    expect(run(record, { type: 'verify', code: codeAt(T0 + 3 * STEP, OTHER_SECRET) }, both()).result).toMatchObject({ ok: true });
    expect(run(record, { type: 'verify', code: codeAt(T0 + 3 * STEP) }, both()).result).toEqual({ ok: false, reason: 'invalid' });
    const used = run(record, { type: 'verify', code: codeAt(T0, OTHER_SECRET) }, both()).next;
    const again = run(used, { type: 'verify', code: codeAt(T0, OTHER_SECRET) }, both({ now: T0 + 1000 }));
    expect(again.result).toEqual({ ok: false, reason: 'replayed' });
    expect(again.events).toMatchObject([{ type: 'code-refused', during: 'login', reason: 'replayed', failures: 1 }]);
  });

  it('needs the key of every authenticator', () => {
    const lacks = { code: 'ERR_OPTIONS', message: 'internal: the decision context lacks activeKey' };
    expect(refusal(() => run(twoOf(), { type: 'verify', code: '000000' }, ctx({ activeKeys: undefined })))).toEqual(lacks);
    expect(refusal(() => run(enrolled(), { type: 'verify', code: '000000' }, ctx({ activeKey: undefined, activeKeys: undefined })))).toEqual(lacks);
    expect(run(twoOf(), { type: 'verify', code: codeAt(T0, OTHER_SECRET) }, both({ activeKey: undefined })).result).toMatchObject({ ok: true });
    expect(run(enrolled(), { type: 'verify', code: codeAt(T0) }, ctx({ activeKeys: undefined })).result).toMatchObject({ ok: true });
  });

  it('a user with nothing enrolled is told so, and nothing is counted', () => {
    const record = initialRecord();
    const d = run(record, { type: 'verify', code: '123456' });
    expect(d.result).toEqual({ ok: false, reason: 'not-enrolled' });
    expect(d.next).toBe(record);
    expect(d.events).toEqual([]);
  });
});

describe('the recovery-code lifecycle', () => {
  it('warns once, when a used code leaves warnBelow or fewer', () => {
    const issued = issueRecoveryCodes(5);
    const p = policy({ recovery: { warnBelow: 3 } });
    let record = enrolled(T0, { recoveryCodes: issued.hashes });
    const lows: number[][] = [];
    for (let i = 0; i < 5; i++) {
      const d = run(record, { type: 'verify', code: issued.codes[i]! }, ctx({ policy: p }));
      expect(d.result).toEqual({ ok: true, method: 'recovery', recoveryCodesLeft: 4 - i });
      expect(d.events[0]).toMatchObject({ type: 'recovery-code-used', remaining: 4 - i });
      lows.push(d.events.filter((e) => e.type === 'recovery-codes-low').map((e) => (e as { remaining: number }).remaining));
      record = d.next;
    }
    expect(lows).toEqual([[], [3], [], [], []]);
    // With warnBelow 0 the warning comes with the last one.
    const last = run(enrolled(T0, { recoveryCodes: [issued.hashes[0]!] }), { type: 'verify', code: issued.codes[0]! }, ctx({ policy: policy({ recovery: { warnBelow: 0 } }) }));
    expect(last.events.map((e) => e.type)).toEqual(['recovery-code-used', 'recovery-codes-low']);
  });

  it('new recovery codes after a fresh code replace the old ones and forget every device', () => {
    const issued = issueRecoveryCodes(4);
    const record = enrolled(T0, { recoveryCodes: RECOVERY.hashes, devices: [device('d1', T0 + 1000)] });
    expect(refusal(() => run(record, { type: 'regenerate-recovery-codes' }, ctx({ recoveryCodes: issued })))).toEqual({
      code: 'ERR_REAUTH_REQUIRED',
      message: 'new recovery codes needs a fresh code from an authenticator, a recovery code or a passkey',
    });
    const refused = run(record, { type: 'regenerate-recovery-codes', code: wrong(codeAt(T0)) }, ctx({ recoveryCodes: issued }));
    expect(refused.result).toEqual({ ok: false, reason: 'invalid' });
    expect(refused.next).toMatchObject({ recoveryCodes: RECOVERY.hashes, devices: record.devices, throttle: { failures: 1 } });
    const d = run(record, { type: 'regenerate-recovery-codes', code: codeAt(T0) }, ctx({ recoveryCodes: issued }));
    expect(d.result).toEqual({ ok: true, recoveryCodes: issued.codes });
    expect(d.next).toMatchObject({ recoveryCodes: issued.hashes, devices: [], active: { lastStep: T0 / STEP } });
    expect(d.events).toMatchObject([{ type: 'verified' }, { type: 'recovery-codes-regenerated', count: 4 }]);
    // A recovery code re-authenticates too, and is used up before the new set replaces it.
    const byRecovery = run(record, { type: 'regenerate-recovery-codes', code: RECOVERY.codes[0]! }, ctx({ recoveryCodes: issued }));
    expect(byRecovery.events).toMatchObject([{ type: 'recovery-code-used', remaining: 2 }, { type: 'recovery-codes-regenerated', count: 4 }]);
    expect(byRecovery.next.recoveryCodes).toEqual(issued.hashes);
  });
});

describe('remembering a device at a verify', () => {
  const token = 'cd'.repeat(32);
  const remember = { type: 'verify' as const, code: codeAt(T0), rememberDevice: { label: 'Firefox' } };

  it('stores the hash of the token with its expiry, and hands the token back', () => {
    const d = run(enrolled(T0), remember, ctx({ policy: devicesOn, deviceToken: token, id: 'r1' }));
    expect(d.result).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 0, deviceToken: token });
    expect(d.next.devices).toEqual([{ id: 'dr1', hash: hashDeviceToken(token), label: 'Firefox', createdAt: T0, expiresAt: T0 + 60_000 }]);
    expect(d.events).toMatchObject([{ type: 'verified' }, { type: 'device-remembered', deviceId: 'dr1', expiresAt: T0 + 60_000 }]);
  });

  it('keeps at most max devices, dropping expired ones and then the oldest', () => {
    const record = enrolled(T0, { devices: [device('old', T0), device('d1', T0 + 10), device('d2', T0 + 20)] });
    const d = run(record, remember, ctx({ policy: devicesOn, deviceToken: token, id: 'r2' }));
    expect(d.next.devices!.map((x) => x.id)).toEqual(['d2', 'dr2']);
  });

  it('remembers nothing for a wrong code or where the policy does not enable it; a missing token is an internal error', () => {
    const refused = run(enrolled(T0), { ...remember, code: wrong(codeAt(T0)) }, ctx({ policy: devicesOn, deviceToken: token }));
    expect(refused.result).toEqual({ ok: false, reason: 'invalid' });
    expect(refused.next.devices).toBeUndefined();
    const off = run(enrolled(T0), remember, ctx({ deviceToken: token }));
    expect(off.result).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 0 });
    expect(off.next.devices).toBeUndefined();
    expect(refusal(() => run(enrolled(T0), remember, ctx({ policy: devicesOn })))).toEqual({ code: 'ERR_OPTIONS', message: 'internal: the decision context lacks deviceToken' });
  });
});

describe('turning 2-step verification off', () => {
  const optional = (overrides: Partial<DecideContext> = {}) => ctx({ required: false, ...overrides });

  it('asks an enrolled user for a fresh code, naming the action', () => {
    expect(refusal(() => run(enrolled(T0, { voluntary: true }), { type: 'disable' }, optional()))).toEqual({
      code: 'ERR_REAUTH_REQUIRED',
      message: 'turning 2-step verification off needs a fresh code from an authenticator, a recovery code or a passkey',
    });
  });

  it('a wrong code is counted and nothing is turned off', () => {
    const record = enrolled(T0, { voluntary: true });
    const d = run(record, { type: 'disable', code: wrong(codeAt(T0)) }, optional());
    expect(d.result).toEqual({ ok: false, reason: 'invalid' });
    expect(d.next).toMatchObject({ state: 'enrolled', voluntary: true, active: record.active, throttle: { failures: 1 } });
  });

  it('with the code, clears every authenticator, the codes and the devices', () => {
    const record = twoOf(T0, { voluntary: true, recoveryCodes: RECOVERY.hashes, devices: [device('d1', T0 + 1000)], pending: enrolling(T0).pending });
    const d = run(record, { type: 'disable', code: codeAt(T0, OTHER_SECRET) }, both({ required: false }));
    expect(d.result).toEqual({ ok: true });
    expect(d.next).toMatchObject({ state: 'none', active: null, additional: [], voluntary: false, pending: null, recoveryCodes: [], throttle: CLEAR, devices: [] });
    expect(d.events.map((e) => e.type)).toEqual(['verified', 'disabled']);
  });

  it('an opt-in without an enrollment needs no code', () => {
    const d = run({ ...initialRecord(), voluntary: true }, { type: 'disable' }, optional());
    expect(d.result).toEqual({ ok: true });
    expect(d.next.voluntary).toBe(false);
    expect(d.events.map((e) => e.type)).toEqual(['disabled']);
  });
});

describe('removing and renaming an authenticator', () => {
  it('refuses an unknown id, and the last one where 2-step is required or after a reset', () => {
    expect(refusal(() => run(twoOf(), { type: 'remove-authenticator', id: 'nope', code: codeAt(T0) }, both()))).toEqual({
      code: 'ERR_NOT_FOUND',
      message: 'this user has no authenticator with that id',
    });
    const lastOne = {
      code: 'ERR_REQUIRED',
      message: 'the last authenticator cannot be removed where 2-step verification is required: add another one first',
    };
    expect(refusal(() => run(enrolled(), { type: 'remove-authenticator', id: 'primary', code: codeAt(T0) }))).toEqual(lastOne);
    expect(refusal(() => run(enrolled(T0, { mustEnroll: true }), { type: 'remove-authenticator', id: 'primary', code: codeAt(T0) }, ctx({ required: false })))).toEqual(lastOne);
    expect(refusal(() => run(twoOf(), { type: 'remove-authenticator', id: 'a2' }, both()))).toEqual({
      code: 'ERR_REAUTH_REQUIRED',
      message: 'removing an authenticator needs a fresh code from an authenticator, a recovery code or a passkey',
    });
  });

  it('one of two, where required: the other stays with its moved floor, the codes stay, the devices go', () => {
    const record = twoOf(T0, { recoveryCodes: RECOVERY.hashes, devices: [device('d1', T0 + 1000)] });
    const d = run(record, { type: 'remove-authenticator', id: 'a2', code: codeAt(T0) }, both());
    expect(d.result).toEqual({ ok: true });
    expect(d.next.active).toMatchObject({ secret: SECRET, lastStep: T0 / STEP, lastUsedAt: T0 });
    expect(d.next).toMatchObject({ state: 'enrolled', additional: [], recoveryCodes: RECOVERY.hashes, devices: [] });
    expect(d.events).toMatchObject([{ type: 'verified' }, { type: 'authenticator-removed', authenticatorId: 'a2', remaining: 1 }]);
    // Removing the first makes the second the first.
    const first = run(record, { type: 'remove-authenticator', id: 'primary', code: codeAt(T0) }, both());
    expect(first.next.active).toEqual(spare(T0));
    expect(first.next.additional).toEqual([]);
  });

  it('the last one where optional: nothing is enrolled any more, nor voluntary', () => {
    const record = enrolled(T0, { voluntary: true, recoveryCodes: RECOVERY.hashes });
    const d = run(record, { type: 'remove-authenticator', id: 'primary', code: codeAt(T0) }, ctx({ required: false }));
    expect(d.next).toMatchObject({ state: 'none', active: null, recoveryCodes: [], voluntary: false, devices: [] });
    expect(d.events).toMatchObject([{ type: 'verified' }, { type: 'authenticator-removed', authenticatorId: 'primary', remaining: 0 }]);
  });

  it('a wrong code removes nothing and is counted', () => {
    const record = twoOf(T0);
    const d = run(record, { type: 'remove-authenticator', id: 'a2', code: wrong(codeAt(T0)) }, both());
    expect(d.result).toEqual({ ok: false, reason: 'invalid' });
    expect(d.next.additional).toEqual(record.additional);
    expect(d.next.throttle.failures).toBe(1);
  });

  it('renames only the one named, the first by its legacy id', () => {
    const record = twoOf(T0);
    expect(refusal(() => run(record, { type: 'rename-authenticator', id: 'nope', label: 'X' }))).toEqual({
      code: 'ERR_NOT_FOUND',
      message: 'this user has no authenticator with that id',
    });
    const d = run(record, { type: 'rename-authenticator', id: 'primary', label: 'Phone' });
    expect(d.result).toEqual({ renamed: true });
    expect(d.next.active).toEqual({ ...record.active, label: 'Phone' });
    expect(d.next.additional).toEqual(record.additional);
    expect(d.events).toMatchObject([{ type: 'authenticator-renamed', authenticatorId: 'primary' }]);
  });
});

describe('status', () => {
  it('of an enrolled user: every field, read only', () => {
    const request = { id: 'req1', to: ['root'], requestedAt: T0 - 10, expiresAt: T0 + 1000, lastNotifiedAt: null, notifiedAt: { root: T0 - 5 } };
    const record = twoOf(T0, {
      additional: [spare(T0, { enrolledAt: T0 - 5 * STEP, lastUsedAt: T0 - 100 })],
      recoveryCodes: RECOVERY.hashes,
      throttle: { ...CLEAR, failures: 5, locks: 1, lockedUntil: T0 + 30_000 },
      resetRequest: request,
      devices: [device('gone', T0), device('d1', T0 + 1000)],
    });
    const d = run(record, { type: 'status' }, ctx({ required: false, policy: policy({ maxPostpones: 2 }) }));
    expect(d.next).toBe(record);
    expect(d.events).toEqual([]);
    expect(d.result).toEqual({
      state: 'enrolled',
      required: false,
      enabled: true,
      enrolledAt: T0 - 5 * STEP,
      authenticators: [
        { id: 'primary', type: 'totp', label: 'Authenticator app', createdAt: T0 - STEP, lastUsedAt: null },
        { id: 'a2', type: 'totp', label: 'Spare', createdAt: T0 - 5 * STEP, lastUsedAt: T0 - 100 },
      ],
      recoveryCodesLeft: 3,
      locked: { retryAt: T0 + 30_000 },
      resetRequest: { requestId: 'req1', to: ['root'], requestedAt: T0 - 10, expiresAt: T0 + 1000 },
      postponesLeft: 0,
      trustedDevices: [{ id: 'd1', label: 'device d1', createdAt: T0 - 1000, expiresAt: T0 + 1000 }],
    });
  });

  it('required and enabled, from the policy, a reset or an opt-in', () => {
    const of = (record: GateRecord, required: boolean) => run(record, { type: 'status' }, ctx({ required })).result;
    expect(of(initialRecord(), false)).toMatchObject({ state: 'none', required: false, enabled: false, enrolledAt: null, locked: null, resetRequest: null, postponesLeft: 2 });
    expect(of(initialRecord(), true)).toMatchObject({ required: true, enabled: true, postponesLeft: 2 });
    expect(of({ ...initialRecord(), mustEnroll: true }, false)).toMatchObject({ required: true, enabled: true, postponesLeft: 0 });
    expect(of({ ...initialRecord(), voluntary: true }, false)).toMatchObject({ required: false, enabled: true });
    expect(of(enrolled(), false)).toMatchObject({ required: false, enabled: true });
    expect(of(enrolling(), false)).toMatchObject({ state: 'enrolling', enabled: false });
    // An expired request is not shown.
    const expired = { id: 'req1', to: ['root'], requestedAt: T0 - 10, expiresAt: T0, lastNotifiedAt: null, notifiedAt: {} };
    expect(of(enrolled(T0, { resetRequest: expired }), true)).toMatchObject({ resetRequest: null });
  });
});

describe('forgetting devices', () => {
  const record = enrolled(T0, { devices: [device('gone', T0 - 1), device('d1', T0 + 1000), device('d2', T0 + 2000)] });

  it('one by id: the expired ones go with it; an unknown id changes nothing', () => {
    const d = run(record, { type: 'forget-device', id: 'd1' });
    expect(d.result).toEqual({ forgotten: true });
    expect(d.next.devices!.map((x) => x.id)).toEqual(['d2']);
    expect(d.events).toMatchObject([{ type: 'devices-forgotten', deviceIds: ['d1'] }]);
    const none = run(record, { type: 'forget-device', id: 'nope' });
    expect(none.result).toEqual({ forgotten: false });
    expect(none.next).toBe(record);
    expect(run(enrolled(T0), { type: 'forget-device', id: 'd1' }).result).toEqual({ forgotten: false });
  });

  it('all: counts and announces the live ones', () => {
    const d = run(record, { type: 'forget-all-devices' });
    expect(d.result).toEqual({ forgotten: 2 });
    expect(d.next.devices).toEqual([]);
    expect(d.events).toMatchObject([{ type: 'devices-forgotten', deviceIds: ['d1', 'd2'] }]);
  });

  it('all, with only expired ones: they are dropped without an event; with none, nothing changes', () => {
    const stale = enrolled(T0, { devices: [device('gone', T0)] });
    const d = run(stale, { type: 'forget-all-devices' });
    expect(d.result).toEqual({ forgotten: 0 });
    expect(d.next.devices).toEqual([]);
    expect(d.events).toEqual([]);
    for (const empty of [enrolled(T0), enrolled(T0, { devices: [] })]) {
      const nothing = run(empty, { type: 'forget-all-devices' });
      expect(nothing.result).toEqual({ forgotten: 0 });
      expect(nothing.next).toBe(empty);
    }
  });
});

describe('import', () => {
  const command = { type: 'import' as const, algorithm: 'SHA256' as const, digits: 8, period: 60, lastStep: 1234, label: undefined, add: false };
  const fresh = { plain: OTHER_SECRET, stored: 'wrapped-secret', wrapped: true };

  it('brings a user in as enrolled, after a reset too', () => {
    const d = run({ ...initialRecord(), mustEnroll: true }, command, ctx({ id: 'i1', freshSecret: fresh }));
    expect(d.result).toEqual({ authenticatorId: 'ai1' });
    expect(d.next.active).toEqual({
      secret: 'wrapped-secret',
      wrapped: true,
      algorithm: 'SHA256',
      digits: 8,
      period: 60,
      enrolledAt: T0,
      lastStep: 1234,
      drift: 0,
      id: 'ai1',
      label: 'Authenticator app',
      lastUsedAt: null,
    });
    expect(d.next).toMatchObject({ state: 'enrolled', mustEnroll: false, recoveryCodes: [] });
    expect(d.events).toMatchObject([{ type: 'enrolled', renewed: false, recoveryCodes: 0, authenticatorId: 'ai1' }]);
  });

  it('refuses an enrolled user unless asked to add, and past the maximum', () => {
    expect(refusal(() => run(enrolled(), command, ctx({ freshSecret: fresh })))).toEqual({
      code: 'ERR_STATE',
      message: 'the user is enrolled already: pass add: true to import one more authenticator',
    });
    const added = run(enrolled(), { ...command, add: true, label: 'Old phone' }, ctx({ id: 'i2', freshSecret: fresh }));
    expect(added.next.additional).toMatchObject([{ id: 'ai2', label: 'Old phone' }]);
    expect(added.events).toMatchObject([{ type: 'enrolled', renewed: true }]);
    const numbered = run(enrolled(), { ...command, add: true }, ctx({ freshSecret: fresh }));
    expect(numbered.next.additional![0]!.label).toBe('Authenticator app 2');
    expect(refusal(() => run(twoOf(), { ...command, add: true }, ctx({ freshSecret: fresh, policy: policy({ authenticators: { max: 2 } }) })))).toEqual({
      code: 'ERR_LIMIT',
      message: 'at most 2 authenticators per user',
    });
    expect(run(enrolled(), { ...command, add: true }, ctx({ freshSecret: fresh, policy: policy({ authenticators: { max: 2 } }) })).result).toMatchObject({
      authenticatorId: expect.any(String),
    });
  });
});

describe('an administrator reset', () => {
  it('clears every authenticator and device', () => {
    const d = run(twoOf(T0, { devices: [device('d1', T0 + 1000)] }), { type: 'reset', adminId: 'root' });
    expect(d.next).toMatchObject({ state: 'none', active: null, additional: [], devices: [], mustEnroll: true });
  });
});
