// Tests written to kill mutants that survived `npm run mutation` on
// src/gate/record.ts: every field of a stored record that parseGateRecord
// checks, each corrupted on its own, must be refused as ERR_STORE with the
// reason naming that field, and the forms a valid record may take must pass.
// A corrupt record must fail loudly, never be read as "unlocked" or "no
// replay floor", nor be overwritten.
import { describe, expect, it } from 'vitest';
import { createGate, createMemoryStore, isOtpError } from '../../src/index.js';
import { parseGateRecord } from '../../src/gate/record.js';
import { seams } from './rig.js';

const HASH = 'ab'.repeat(32);
const NOW = Date.UTC(2026, 5, 1);

/** A record with every optional part present: an active secret, a re-enrollment pending, an open request, a past resolution, queued events. */
function fullRecord(): Record<string, unknown> {
  return {
    schema: 1,
    state: 'enrolled',
    postpones: { used: 1, attempts: ['a1'], lastAt: NOW - 60_000 },
    voluntary: false,
    mustEnroll: false,
    pending: { secret: 'JBSWY3DPEHPK3PXP', wrapped: false, algorithm: 'SHA1', digits: 6, period: 30, createdAt: NOW, expiresAt: NOW + 600_000, failures: 1 },
    active: { secret: 'GEZDGNBVGY3TQOJQ', wrapped: false, algorithm: 'SHA1', digits: 6, period: 30, enrolledAt: NOW - 86_400_000, lastStep: 59_000_000, drift: -1 },
    throttle: { failures: 2, locks: 1, lockedUntil: NOW + 30_000, hardStop: false },
    recoveryCodes: [{ salt: '0f1e2d3c', hash: HASH }],
    resetRequest: { id: 'r2', to: ['root'], requestedAt: NOW, expiresAt: NOW + 72 * 3_600_000, lastNotifiedAt: NOW, notifiedAt: { root: NOW } },
    lastResolution: { kind: 'declined', by: 'root', at: NOW - 3_600_000, requestId: 'r1' },
    outbox: [
      { event: { id: 'e1', type: 'code-refused', userId: 'alice', at: NOW }, claim: null, attempts: 2 },
      { event: { id: 'e2', type: 'reset-requested', userId: 'alice', at: NOW, requestId: 'r2', to: ['root'] }, claim: { token: 't', until: NOW + 60_000 }, attempts: 0 },
    ],
  };
}

type Patch = (r: Record<string, any>) => void;

function patched(patch: Patch): Record<string, unknown> {
  const record = fullRecord();
  patch(record);
  return record;
}

function reason(value: unknown): string {
  try {
    parseGateRecord(value);
    return 'accepted';
  } catch (error) {
    if (!isOtpError(error)) throw error;
    expect(error.code).toBe('ERR_STORE');
    const prefix = 'the stored 2-step verification record cannot be read: ';
    expect(error.message.startsWith(prefix)).toBe(true);
    return error.message.slice(prefix.length);
  }
}

describe('parseGateRecord', () => {
  it('accepts a record with every part present, which the gate then reads', async () => {
    expect(reason(fullRecord())).toBe('accepted');
    const store = createMemoryStore();
    await store.compareAndSet('alice', null, fullRecord() as never);
    const gate = createGate({ ...seams({ store }), clock: { now: () => NOW }, onNotifyError: () => {} });
    expect(await gate.nextStep('alice')).toMatchObject({ step: 'locked' });
  });

  it.each<[string, Patch]>([
    ['a record from before lastAt was kept', (r) => delete r.postpones.lastAt],
    ['no postpone yet', (r) => (r.postpones.lastAt = null)],
    ['SHA-256 secrets', (r) => (r.active.algorithm = r.pending.algorithm = 'SHA256')],
    ['SHA-512 secrets', (r) => (r.active.algorithm = r.pending.algorithm = 'SHA512')],
    ['wrapped secrets', (r) => (r.active.wrapped = r.pending.wrapped = true)],
    ['no lock', (r) => (r.throttle.lockedUntil = null)],
    ['a request never yet delivered', (r) => ((r.resetRequest.lastNotifiedAt = null), (r.resetRequest.notifiedAt = {}))],
    ['a resolution without a request', (r) => ((r.lastResolution.requestId = null), (r.lastResolution.kind = 'reset'))],
    ['only a pending secret', (r) => ((r.active = null), (r.state = 'enrolling'))],
    ['neither secret', (r) => ((r.active = null), (r.pending = null), (r.state = 'none'))],
    ['no request, resolution, codes or events', (r) => ((r.resetRequest = null), (r.lastResolution = null), (r.recoveryCodes = []), (r.outbox = []))],
    ['a zero count, a zero time and a step of 0', (r) => ((r.throttle.failures = 0), (r.active.enrolledAt = 0), (r.active.lastStep = 0), (r.postpones.used = 0))],
  ])('accepts %s', (_, patch) => {
    expect(reason(patched(patch))).toBe('accepted');
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a number', 5],
    ['a string', '{"schema":1}'],
  ])('refuses %s as not an object', (_, value) => {
    expect(reason(value)).toBe('it is not an object');
  });

  it.each<[string, Patch, string]>([
    ['schema 2', (r) => (r.schema = 2), 'its schema is not 1'],
    ['an unknown state', (r) => (r.state = 'active'), 'its state is unknown'],
    ['no postpones', (r) => delete r.postpones, 'a field is missing'],
    ['no throttle', (r) => (r.throttle = null), 'a field is missing'],
    ['recovery codes that are not a list', (r) => (r.recoveryCodes = {}), 'a field is missing'],
    ['an outbox that is not a list', (r) => (r.outbox = 'none'), 'a field is missing'],
    ['no voluntary flag', (r) => delete r.voluntary, 'a flag is missing'],
    ['no mustEnroll flag', (r) => (r.mustEnroll = 'no'), 'a flag is missing'],
    ['an active secret that is not an object', (r) => (r.active = 'GEZDGNBVGY3TQOJQ'), 'active is malformed'],
    ['a pending secret that is not an object', (r) => (r.pending = ['x']), 'pending is malformed'],
    ['a request that is not an object', (r) => (r.resetRequest = 'r2'), 'resetRequest is malformed'],
    ['no request field', (r) => delete r.resetRequest, 'resetRequest is malformed'],
    ['no resolution field', (r) => delete r.lastResolution, 'lastResolution is malformed'],
    ['a resolution that is not an object', (r) => (r.lastResolution = 7), 'lastResolution is malformed'],
    ['state none with a secret', (r) => (r.state = 'none'), 'its state disagrees with its secrets'],
    ['state enrolled with only a pending secret', (r) => (r.active = null), 'its state disagrees with its secrets'],
    // postpones
    ['a negative postpone count', (r) => (r.postpones.used = -1), 'postpones is malformed'],
    ['a fractional postpone count', (r) => (r.postpones.used = 1.5), 'postpones is malformed'],
    ['a postpone count as text', (r) => (r.postpones.used = '1'), 'postpones is malformed'],
    ['an attempt that is not a string', (r) => (r.postpones.attempts = ['a1', 2]), 'postpones is malformed'],
    ['attempts that are not a list', (r) => (r.postpones.attempts = 'a1'), 'postpones is malformed'],
    ['lastAt as text', (r) => (r.postpones.lastAt = '2026-06-01'), 'postpones is malformed'],
    ['lastAt infinite', (r) => (r.postpones.lastAt = Infinity), 'postpones is malformed'],
    // throttle
    ['failures as text', (r) => (r.throttle.failures = '2'), 'throttle is malformed'],
    ['negative locks', (r) => (r.throttle.locks = -1), 'throttle is malformed'],
    ['lockedUntil as text', (r) => (r.throttle.lockedUntil = 'soon'), 'throttle is malformed'],
    ['lockedUntil NaN', (r) => (r.throttle.lockedUntil = NaN), 'throttle is malformed'],
    ['no hardStop', (r) => delete r.throttle.hardStop, 'throttle is malformed'],
    // the secrets
    ['a pending secret without createdAt', (r) => delete r.pending.createdAt, 'pending is malformed'],
    ['a pending secret without expiresAt', (r) => (r.pending.expiresAt = '1h'), 'pending is malformed'],
    ['a pending secret with negative failures', (r) => (r.pending.failures = -1), 'pending is malformed'],
    ['a pending secret with a period of 0', (r) => (r.pending.period = 0), 'pending is malformed'],
    ['an active secret without lastStep (the replay floor)', (r) => delete r.active.lastStep, 'active is malformed'],
    ['an active secret with a fractional lastStep', (r) => (r.active.lastStep = 1.5), 'active is malformed'],
    ['an active secret with drift as text', (r) => (r.active.drift = '0'), 'active is malformed'],
    ['an active secret without enrolledAt', (r) => delete r.active.enrolledAt, 'active is malformed'],
    ['an active secret without the secret', (r) => delete r.active.secret, 'active is malformed'],
    ['an active secret without wrapped', (r) => (r.active.wrapped = 'no'), 'active is malformed'],
    ['an active secret with MD5', (r) => (r.active.algorithm = 'MD5'), 'active is malformed'],
    ['an active secret with digits as text', (r) => (r.active.digits = '6'), 'active is malformed'],
    ['an active secret with fractional digits', (r) => (r.active.digits = 6.5), 'active is malformed'],
    ['an active secret with a negative period', (r) => (r.active.period = -30), 'active is malformed'],
    ['an active secret with a period of 0', (r) => (r.active.period = 0), 'active is malformed'],
    // recovery codes
    ['a recovery code that is not an object', (r) => (r.recoveryCodes = [HASH]), 'recoveryCodes is malformed'],
    ['a recovery code that is null', (r) => (r.recoveryCodes = [null]), 'recoveryCodes is malformed'],
    ['a salt that is a number of hex digits', (r) => (r.recoveryCodes[0].salt = 1234), 'recoveryCodes is malformed'],
    ['a hash in a list', (r) => (r.recoveryCodes[0].hash = [HASH]), 'recoveryCodes is malformed'],
    ['a recovery code without a salt', (r) => delete r.recoveryCodes[0].salt, 'recoveryCodes is malformed'],
    ['a recovery code without a hash', (r) => (r.recoveryCodes[0].hash = 5), 'recoveryCodes is malformed'],
    ['a salt that only ends in hex', (r) => (r.recoveryCodes[0].salt = 'zz0f'), 'recoveryCodes is malformed'],
    ['a salt that only starts in hex', (r) => (r.recoveryCodes[0].salt = '0fzz'), 'recoveryCodes is malformed'],
    ['an empty salt', (r) => (r.recoveryCodes[0].salt = ''), 'recoveryCodes is malformed'],
    ['a hash with text before it', (r) => (r.recoveryCodes[0].hash = `x${HASH}`), 'recoveryCodes is malformed'],
    ['a hash with text after it', (r) => (r.recoveryCodes[0].hash = `${HASH}x`), 'recoveryCodes is malformed'],
    ['a hash one digit short', (r) => (r.recoveryCodes[0].hash = HASH.slice(1)), 'recoveryCodes is malformed'],
    // the request
    ['a request without an id', (r) => delete r.resetRequest.id, 'resetRequest is malformed'],
    ['a request to a number', (r) => (r.resetRequest.to = [1]), 'resetRequest is malformed'],
    ['a request without requestedAt', (r) => delete r.resetRequest.requestedAt, 'resetRequest is malformed'],
    ['a request without expiresAt', (r) => (r.resetRequest.expiresAt = null), 'resetRequest is malformed'],
    ['a request with lastNotifiedAt as text', (r) => (r.resetRequest.lastNotifiedAt = 'now'), 'resetRequest is malformed'],
    ['a request with notifiedAt as a list', (r) => (r.resetRequest.notifiedAt = [NOW]), 'resetRequest is malformed'],
    ['a request with a notification time as text', (r) => (r.resetRequest.notifiedAt = { root: 'now' }), 'resetRequest is malformed'],
    // the resolution
    ['a resolution of another kind', (r) => (r.lastResolution.kind = 'approved'), 'lastResolution is malformed'],
    ['a resolution by a number', (r) => (r.lastResolution.by = 1), 'lastResolution is malformed'],
    ['a resolution without a time', (r) => delete r.lastResolution.at, 'lastResolution is malformed'],
    ['a resolution with a numeric request id', (r) => (r.lastResolution.requestId = 1), 'lastResolution is malformed'],
    // the outbox
    ['an outbox entry that is not an object', (r) => r.outbox.push('e3'), 'outbox is malformed'],
    ['an outbox entry that is null', (r) => r.outbox.push(null), 'outbox is malformed'],
    ['an outbox entry without an event', (r) => delete r.outbox[0].event, 'outbox is malformed'],
    ['an outbox entry with negative attempts', (r) => (r.outbox[0].attempts = -1), 'outbox is malformed'],
    ['an event without an id', (r) => delete r.outbox[0].event.id, 'outbox is malformed'],
    ['an event without a type', (r) => (r.outbox[0].event.type = 3), 'outbox is malformed'],
    ['an event without a user', (r) => delete r.outbox[0].event.userId, 'outbox is malformed'],
    ['a claim that is not an object', (r) => (r.outbox[1].claim = 't'), 'outbox is malformed'],
    ['a claim without a token', (r) => (r.outbox[1].claim.token = 5), 'outbox is malformed'],
    ['a claim without an end', (r) => delete r.outbox[1].claim.until, 'outbox is malformed'],
    ['an unclaimed entry without a claim field', (r) => delete r.outbox[0].claim, 'outbox is malformed'],
  ])('refuses %s', (_, patch, why) => {
    expect(reason(patched(patch))).toBe(why);
  });
});

/** The full record with every part the second edition added: a second authenticator, labels and ids, devices, cool-downs, the last write, a back-off. */
function secondEdition(): Record<string, any> {
  const r = fullRecord() as Record<string, any>;
  r.active = { ...r.active, id: 'a1', label: 'Phone', lastUsedAt: NOW - 1000 };
  r.additional = [{ ...r.active, id: 'a2', label: 'Spare', lastUsedAt: null }];
  r.pending = { ...r.pending, label: 'Tablet' };
  r.devices = [{ id: 'd1', hash: HASH, label: 'Firefox', createdAt: NOW, expiresAt: NOW + 86_400_000 }];
  r.cooldowns = { root: NOW, carol: NOW - 1000 };
  r.lastWrite = 'w1.0';
  r.outbox[0].retryAt = NOW + 30_000;
  return r;
}

function reasonOf(patch: Patch): string {
  const record = secondEdition();
  patch(record);
  return reason(record);
}

describe('parseGateRecord, the second edition\'s parts', () => {
  it('accepts a record with all of them, and the gate reads it', async () => {
    expect(reasonOf(() => {})).toBe('accepted');
    const store = createMemoryStore();
    await store.compareAndSet('alice', null, { ...secondEdition(), throttle: { failures: 0, locks: 0, lockedUntil: null, hardStop: false } } as never);
    const gate = createGate({ store, issuer: 'ACME', clock: { now: () => NOW } });
    expect((await gate.authenticators('alice')).map((a) => [a.id, a.label, a.lastUsedAt])).toEqual([
      ['a1', 'Phone', NOW - 1000],
      ['a2', 'Spare', null],
    ]);
    expect(await gate.trustedDevices('alice')).toEqual([{ id: 'd1', label: 'Firefox', createdAt: NOW, expiresAt: NOW + 86_400_000 }]);
  });

  it.each<[string, Patch]>([
    ['an empty list of additional ones', (r) => (r.additional = [])],
    ['an empty list of additional ones with nothing enrolled', (r) => ((r.additional = []), (r.active = null), (r.state = 'enrolling'))],
    ['authenticators without ids, labels or use (the first edition)', (r) => (delete r.active.id, delete r.active.label, delete r.active.lastUsedAt)],
    ['no devices, cool-downs or last write', (r) => (delete r.devices, delete r.cooldowns, delete r.lastWrite)],
    ['empty devices and cool-downs', (r) => ((r.devices = []), (r.cooldowns = {}))],
    ['an entry without a back-off', (r) => delete r.outbox[0].retryAt],
    ['a salt of one byte', (r) => (r.recoveryCodes[0].salt = '0f')],
  ])('accepts %s', (_, patch) => {
    expect(reasonOf(patch)).toBe('accepted');
  });

  it.each<[string, Patch, string]>([
    ['additional that is not a list', (r) => (r.additional = { a2: r.additional[0] }), 'additional is malformed'],
    ['additional with a null entry', (r) => r.additional.push(null), 'additional is malformed'],
    ['additional with a list entry', (r) => r.additional.push([]), 'additional is malformed'],
    ['additional with an entry without its replay floor', (r) => delete r.additional[0].lastStep, 'additional is malformed'],
    ['additional beside no first authenticator', (r) => ((r.active = null), (r.state = 'enrolling')), 'additional is malformed'],
    ['an id that is a number', (r) => (r.active.id = 1), 'active is malformed'],
    ['a label that is a number', (r) => (r.active.label = 1), 'active is malformed'],
    ['lastUsedAt as text', (r) => (r.active.lastUsedAt = 'now'), 'active is malformed'],
    ['lastUsedAt infinite', (r) => (r.additional[0].lastUsedAt = Infinity), 'additional is malformed'],
    ['devices that are not a list', (r) => (r.devices = {}), 'devices is malformed'],
    ['a device that is null', (r) => (r.devices = [null]), 'devices is malformed'],
    ['a device without an id', (r) => delete r.devices[0].id, 'devices is malformed'],
    ['a device whose hash is not a string', (r) => (r.devices[0].hash = 5), 'devices is malformed'],
    ['a device whose hash is one digit short', (r) => (r.devices[0].hash = HASH.slice(1)), 'devices is malformed'],
    ['a device whose hash has text before it', (r) => (r.devices[0].hash = `x${HASH}`), 'devices is malformed'],
    ['a device whose hash has text after it', (r) => (r.devices[0].hash = `${HASH}x`), 'devices is malformed'],
    ['a device whose hash is upper case', (r) => (r.devices[0].hash = HASH.toUpperCase()), 'devices is malformed'],
    ['a device without a label', (r) => delete r.devices[0].label, 'devices is malformed'],
    ['a device without createdAt', (r) => (r.devices[0].createdAt = 'then'), 'devices is malformed'],
    ['a device without expiresAt', (r) => delete r.devices[0].expiresAt, 'devices is malformed'],
    ['cool-downs as a list', (r) => (r.cooldowns = [NOW]), 'cooldowns is malformed'],
    ['cool-downs as null', (r) => (r.cooldowns = null), 'cooldowns is malformed'],
    ['a cool-down as text', (r) => (r.cooldowns.root = 'now'), 'cooldowns is malformed'],
    ['lastWrite as a number', (r) => (r.lastWrite = 1), 'lastWrite is malformed'],
    ['a back-off as text', (r) => (r.outbox[0].retryAt = 'later'), 'outbox is malformed'],
    ['a back-off of null', (r) => (r.outbox[0].retryAt = null), 'outbox is malformed'],
    ['a salt of an odd number of hex digits', (r) => (r.recoveryCodes[0].salt = '0f1'), 'recoveryCodes is malformed'],
  ])('refuses %s', (_, patch, why) => {
    expect(reasonOf(patch)).toBe(why);
  });
});
