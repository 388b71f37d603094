// Random sessions of commands, codes and clock jumps on the pure decide():
// whatever happens, the record stays a readable JSON value consistent with
// its state, a code is never accepted for a step at or below the replay
// floor, refusals change nothing, and no event carries a secret or a code.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { totp } from '../../src/core/totp.js';
import { isOtpError } from '../../src/errors.js';
import { decide, type Command } from '../../src/gate/decide.js';
import { DEFAULT_POLICY, resolvePolicy } from '../../src/gate/policy.js';
import { initialRecord, parseGateRecord, type GateRecord } from '../../src/gate/record.js';
import { enrolled, OTHER_SECRET, RECOVERY, SECRET, T0 } from './fixtures.js';

type CodeKind = { kind: 'current'; offset: number } | { kind: 'digits'; value: string } | { kind: 'recovery'; index: number } | { kind: 'junk' };

const codeKind: fc.Arbitrary<CodeKind> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('current' as const), offset: fc.integer({ min: -3, max: 3 }) }), weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant('digits' as const), value: fc.stringMatching(/^[0-9]{6}$/) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('recovery' as const), index: fc.integer({ min: 0, max: 3 }) }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'junk' as const }), weight: 1 },
);

/** A command (verify and confirm get their code typed at run time from `code`) after a clock jump. */
type Step = {
  readonly command: Exclude<Command, { type: 'verify' | 'confirm-enrollment' }> | { readonly type: 'verify' | 'confirm-enrollment' };
  readonly code: CodeKind;
  readonly advance: number;
};

const admin = fc.constantFrom('root', 'carol');
const step: fc.Arbitrary<Step> = fc.record({
  advance: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 40_000 }), weight: 8 }, { arbitrary: fc.integer({ min: 0, max: 4 * 3_600_000 }), weight: 1 }),
  command: fc.oneof(
    fc.constant({ type: 'inspect' as const }),
    fc.record({ type: fc.constant('postpone' as const), attempt: fc.option(fc.constantFrom('l1', 'l2', 'l3'), { nil: undefined }) }),
    fc.record({ type: fc.constant('begin-enrollment' as const), renew: fc.boolean() }),
    fc.constant({ type: 'confirm-enrollment' as const }),
    fc.constant({ type: 'confirm-enrollment' as const }),
    fc.constant({ type: 'verify' as const }),
    fc.constant({ type: 'verify' as const }),
    fc.constant({ type: 'verify' as const }),
    fc.constant({ type: 'verify' as const }),
    fc.record({ type: fc.constant('request-reset' as const), to: fc.uniqueArray(admin, { minLength: 1 }) }),
    fc.record({ type: fc.constant('reset' as const), adminId: admin }),
    fc.record({ type: fc.constant('decline' as const), adminId: admin }),
    fc.constant({ type: 'enable' as const }),
    fc.constant({ type: 'disable' as const }),
  ),
  code: codeKind,
}) as fc.Arbitrary<Step>;

function typed(code: CodeKind, secret: string | undefined, now: number): string {
  switch (code.kind) {
    case 'current':
      return totp(secret ?? SECRET, { now: Math.max(0, now + code.offset * 30_000) });
    case 'digits':
      return code.value;
    case 'recovery':
      return RECOVERY.codes[code.index] ?? 'ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ';
    case 'junk':
      return 'not a code';
  }
}

// The default, and a tight throttle so random sessions reach locks and hard stops.
const POLICIES = [DEFAULT_POLICY, resolvePolicy({ throttle: { lockAfter: 2, lockMs: 20_000, hardStopAfter: 7 } })];

describe('decide on random sessions', () => {
  it('keeps every invariant', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.constantFrom(...POLICIES), fc.array(step, { maxLength: 40 }), (required, startEnrolled, policy, steps) => {
        let record: GateRecord = startEnrolled ? enrolled(T0, { recoveryCodes: RECOVERY.hashes }) : initialRecord();
        let now = T0;
        let serial = 0;
        for (const s of steps) {
          now += s.advance;
          const command: Command =
            s.command.type === 'verify' || s.command.type === 'confirm-enrollment'
              ? { type: s.command.type, code: typed(s.code, (s.command.type === 'verify' ? record.active : record.pending)?.secret, now) }
              : (s.command as Command);
          const fresh = serial % 2 === 0 ? SECRET : OTHER_SECRET;
          const before = record;
          let decision;
          try {
            decision = decide(record, command, {
              userId: 'alice',
              now,
              policy,
              id: `id${serial++}`,
              required,
              activeKey: record.active?.secret,
              pendingKey: record.pending?.secret,
              freshSecret: { plain: fresh, stored: fresh, wrapped: false },
              recoveryCodes: RECOVERY,
            });
          } catch (error) {
            // A refusal is an OtpError and changes nothing.
            expect(isOtpError(error)).toBe(true);
            continue;
          }
          const { next, events, result } = decision;
          // A readable JSON value, consistent with its state.
          expect(parseGateRecord(JSON.parse(JSON.stringify(next)))).toEqual(next);
          expect(next.state).toBe(next.active ? 'enrolled' : next.pending ? 'enrolling' : 'none');
          expect(next.postpones.used).toBeLessThanOrEqual(policy.maxPostpones);
          expect(next.throttle.hardStop).toBe(next.throttle.failures >= policy.throttle.hardStopAfter);
          // Nothing changed means the very same object, and no event.
          if (next === before) expect(events).toEqual([]);
          // Every event is queued in the outbox, in order, with the change it reports.
          if (events.length > 0) expect(next.outbox.slice(-events.length).map((e) => e.event)).toEqual(events);
          // Replay: a code accepted for the same secret always moves the floor up.
          if (command.type === 'verify' && result && (result as { ok: boolean }).ok && (result as { method: string }).method === 'totp') {
            expect(before.active?.secret).toBe(next.active?.secret);
            expect(next.active!.lastStep).toBeGreaterThan(before.active!.lastStep);
          }
          // Locked means unchecked and uncounted, unless a recovery code meets a hard stop.
          const timed = before.throttle.lockedUntil !== null && now < before.throttle.lockedUntil;
          const locked = before.throttle.hardStop || timed;
          if (command.type === 'verify' && before.active !== null && locked && !(before.throttle.hardStop && !timed && s.code.kind === 'recovery')) {
            expect(result).toMatchObject({ ok: false, reason: 'locked' });
            expect(next).toBe(before);
          }
          // Success clears the failures.
          if ((command.type === 'verify' || command.type === 'confirm-enrollment') && (result as { ok: boolean }).ok) {
            expect(next.throttle.failures).toBe(0);
          }
          // No event carries a secret, the code typed or a recovery code.
          const json = JSON.stringify(events);
          for (const secret of [SECRET, OTHER_SECRET]) expect(json).not.toContain(secret);
          for (const code of RECOVERY.codes) expect(json).not.toContain(code.replaceAll('-', ''));
          if ('code' in command && command.code !== undefined && /^[0-9]{6}$/.test(command.code)) expect(json).not.toMatch(new RegExp(`"${command.code}"`));
          record = next;
        }
      }),
      { numRuns: 300 },
    );
  });
});
