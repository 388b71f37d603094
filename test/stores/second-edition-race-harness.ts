// The second edition's races (issue 12, "Nothing lost") between two
// application servers on one store, as separate OS processes with their own
// connections (gate-worker.ts in commands mode), or as two gates in this
// process for the memory store:
// - two servers removing the last two authenticators at once leave one;
// - a device remembered while an administrator resets is never trusted after
//   the reset;
// - two imports of the same user make one enrollment;
// - a rewrap racing a verify loses neither the secret nor the step.
// Each round races on a user of its own, set up here beforehand, fires one
// command on each server at the same instant (the roles swap every round),
// and checks the user's record afterwards. Every race must also have made a
// server lose a compare-and-set at least once, or it did not race.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Encode } from '../../src/core/base32.js';
import { totp } from '../../src/core/totp.js';
import type { Gate } from '../../src/gate/gate.js';
import { parseGateRecord } from '../../src/gate/record.js';
import type { MfaStore } from '../../src/seams/store.js';
import { startWorker, type Worker } from './gate-race-harness.js';
import {
  cipherAfter, cipherBefore, cipherDuring, RACE2_AT, racingServer, secondEditionGate, SETUP_AT,
  type CommandOutcome, type GateCommand,
} from './gate-rig.js';
import type { CommandsLine, CommandsReport } from './gate-worker.js';
import { openStore, type StoreTarget } from './targets.js';

export const ROUNDS2 = 25;

/** Two application servers; `fire` runs one command on each at the same instant. */
export interface RacePair {
  fire(first: GateCommand, second: GateCommand): Promise<{ outcomes: [CommandOutcome, CommandOutcome]; lost: number }>;
}

/**
 * Two worker processes serving every store target of a test file (booting
 * one takes seconds of CPU): started on first use, stopped by `close`.
 */
export interface WorkerPair {
  /** The two processes as two servers on `target`, each on a connection of its own. */
  on(target: StoreTarget): Promise<RacePair>;
  close(): Promise<void>;
}

export function workerPair(): WorkerPair {
  let started: Promise<Worker[]> | undefined;
  const start = async (): Promise<Worker[]> => {
    const workers = [0, 1].map(() => startWorker({ mode: 'commands', now: RACE2_AT }));
    for (const worker of workers) expect(await worker.nextLine()).toBe('ready');
    return workers;
  };
  const send = (worker: Worker, line: CommandsLine) => worker.child.stdin.write(`${JSON.stringify(line)}\n`);
  return {
    async on(target) {
      started ??= start();
      const workers = await started;
      for (const worker of workers) send(worker, { open: target });
      for (const worker of workers) expect(JSON.parse(await worker.nextLine())).toEqual({ opened: true });
      return {
        async fire(first, second) {
          // Far enough ahead for both pipes to deliver; the workers spin the rest.
          const startAt = Date.now() + 15;
          send(workers[0]!, { startAt, target, commands: [first] });
          send(workers[1]!, { startAt, target, commands: [second] });
          const [a, b] = await Promise.all(workers.map(async (worker) => JSON.parse(await worker.nextLine()) as CommandsReport));
          return { outcomes: [a!.outcomes[0]!, b!.outcomes[0]!], lost: a!.lost + b!.lost };
        },
      };
    },
    async close() {
      const workers = await started?.catch(() => undefined);
      if (workers === undefined) return;
      for (const worker of workers) worker.child.stdin.end();
      await Promise.all(workers.map((worker) => new Promise((resolve) => (worker.child.exitCode !== null ? resolve(null) : worker.child.on('exit', resolve)))));
    },
  };
}

/** Two servers as two gates in this process on one store (for the memory store). */
export function inProcessPair(store: MfaStore): RacePair {
  const servers = [racingServer(store, RACE2_AT), racingServer(store, RACE2_AT)] as const;
  const lost = () => servers[0].lost() + servers[1].lost();
  return {
    async fire(first, second) {
      const before = lost();
      const outcomes = await Promise.all([servers[0].run(first), servers[1].run(second)]);
      return { outcomes, lost: lost() - before };
    },
  };
}

export interface RaceSetup {
  /** The store, through a connection of the test process's own. */
  readonly store: MfaStore;
  readonly pair: RacePair;
  close(): Promise<void>;
}

/** The pair of worker processes on `target`, and a store of the test's own on it. */
export async function processSetup(workers: WorkerPair, target: StoreTarget): Promise<RaceSetup> {
  const opened = await openStore(target);
  try {
    return { store: opened.store, pair: await workers.on(target), close: opened.close };
  } catch (error) {
    await opened.close();
    throw error;
  }
}

const valueOf = (outcome: CommandOutcome): unknown => ('value' in outcome ? outcome.value : undefined);
const errorOf = (outcome: CommandOutcome): { code: string; message: string } | undefined => ('error' in outcome ? outcome.error : undefined);
const at = (secret: string, now: number) => totp(secret, { now });
const STEP = 30_000;

/** What a verify answers when the reset came first: the user has nothing enrolled any more. */
const VERIFY_AFTER_RESET: CommandOutcome = { value: { ok: false, reason: 'not-enrolled' } };

/**
 * Registers the four races on one store as a `describe` of four tests.
 * `setup` runs once before them. User ids are unique to this run, so a
 * table or prefix shared with other tests is fine.
 */
export function describeSecondEditionRaces(name: string, setup: () => Promise<RaceSetup>, options: { rounds?: number; timeoutMs?: number } = {}): void {
  const rounds = options.rounds ?? ROUNDS2;
  const timeout = options.timeoutMs ?? 60_000;
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

  describe(`${name}: the second edition's races, two servers, ${rounds} rounds each`, () => {
    let opened: RaceSetup | undefined;
    const gates = new Map<string, Gate>();
    /** The test process's own server at a fixed time, for set-up and checks. */
    const server = (now: number, cipher: 'before' | 'during' | 'after' = 'during'): Gate => {
      const key = `${cipher}@${now}`;
      let gate = gates.get(key);
      if (gate === undefined) {
        const made = { before: cipherBefore, during: cipherDuring, after: cipherAfter }[cipher]();
        gate = secondEditionGate(opened!.store, { now: () => now }, made);
        gates.set(key, gate);
      }
      return gate;
    };

    beforeAll(async () => {
      opened = await setup();
    }, 60_000);
    afterAll(async () => {
      await opened?.close();
    });

    const user = (race: string, round: number) => `e2-${run}-${race}-${round}`;
    const roundsOf = <T>(make: (round: number) => Promise<T>) => Promise.all(Array.from({ length: rounds }, (_, round) => make(round)));

    /** Enrolls one authenticator at `when` and returns its secret. */
    const enroll = async (userId: string, when = SETUP_AT, cipher: 'before' | 'during' = 'during'): Promise<string> => {
      const { secret } = await server(when, cipher).beginEnrollment(userId);
      const confirmed = await server(when, cipher).confirmEnrollment(userId, at(secret, when));
      if (!confirmed.ok) throw new Error(`enrollment of ${userId} failed: ${confirmed.reason}`);
      return secret;
    };

    /** Fires `first` and `second` on the two servers, in turn the other way round. */
    const fire = async (round: number, first: GateCommand, second: GateCommand) => {
      if (round % 2 === 0) return opened!.pair.fire(first, second);
      const { outcomes, lost } = await opened!.pair.fire(second, first);
      return { outcomes: [outcomes[1], outcomes[0]] as [CommandOutcome, CommandOutcome], lost };
    };

    const raced = (lost: number, what: string) =>
      expect(lost, `compare-and-sets lost over ${rounds} rounds of ${what}: none means the servers never raced`).toBeGreaterThan(0);

    it('two servers removing the last two authenticators at once leave one (2-step required: the other is ERR_REQUIRED)', async () => {
      const users = await roundsOf(async (round) => {
        const userId = user('last', round);
        const first = await enroll(userId);
        const { secret: second } = await server(SETUP_AT + STEP).beginEnrollment(userId, { code: at(first, SETUP_AT + STEP) });
        expect((await server(SETUP_AT + 2 * STEP).confirmEnrollment(userId, at(second, SETUP_AT + 2 * STEP))).ok).toBe(true);
        const ids = (await server(SETUP_AT).authenticators(userId)).map((a) => a.id);
        expect(ids).toHaveLength(2);
        return { userId, first, second, ids };
      });
      let lost = 0;
      for (const [round, { userId, first, second, ids }] of users.entries()) {
        // Each server re-authenticates with the code of the authenticator it keeps.
        const fired = await fire(
          round,
          { op: 'remove-authenticator', userId, id: ids[0]!, code: at(second, RACE2_AT) },
          { op: 'remove-authenticator', userId, id: ids[1]!, code: at(first, RACE2_AT) },
        );
        lost += fired.lost;
        const [a, b] = fired.outcomes;
        const label = `round ${round + 1}: ${JSON.stringify(fired.outcomes)}`;
        const firstWon = (valueOf(a) as { ok?: boolean } | undefined)?.ok === true;
        expect([valueOf(firstWon ? a : b)], label).toEqual([{ ok: true }]);
        expect(errorOf(firstWon ? b : a)?.code, label).toBe('ERR_REQUIRED');
        const [keptId, keptSecret] = firstWon ? [ids[1]!, second] : [ids[0]!, first];
        const gate = server(RACE2_AT);
        expect((await gate.authenticators(userId)).map((a) => a.id), label).toEqual([keptId]);
        expect((await gate.status(userId)).state, label).toBe('enrolled');
        // The winner's re-authentication is spent on the authenticator that stays.
        expect(await gate.verify(userId, at(keptSecret, RACE2_AT)), label).toEqual({ ok: false, reason: 'replayed' });
      }
      raced(lost, 'removals');
    }, timeout);

    it('a device remembered while an administrator resets is never trusted after the reset', async () => {
      const users = await roundsOf(async (round) => ({ userId: user('device', round), secret: await enroll(user('device', round)) }));
      let lost = 0;
      for (const [round, { userId, secret }] of users.entries()) {
        const fired = await fire(round, { op: 'verify', userId, code: at(secret, RACE2_AT), rememberDevice: true }, { op: 'reset', userId });
        lost += fired.lost;
        const [verified, reset] = fired.outcomes;
        const label = `round ${round + 1}: ${JSON.stringify(fired.outcomes)}`;
        // The user was enrolled whichever came first, so the reset always has something to do.
        expect(valueOf(reset), label).toMatchObject({ ok: true });
        const token = (valueOf(verified) as { deviceToken?: string } | undefined)?.deviceToken;
        if (token !== undefined) expect(valueOf(verified), label).toMatchObject({ ok: true, method: 'totp' });
        else expect(verified, label).toEqual(VERIFY_AFTER_RESET);
        const gate = server(RACE2_AT);
        const status = await gate.status(userId);
        expect(status.trustedDevices, label).toEqual([]);
        expect(status.state, label).toBe('none');
        if (token !== undefined) expect(await gate.nextStep(userId, { deviceToken: token }), label).toEqual({ step: 'setup', required: true, postponesLeft: 0 });
        // Set up again: the token from before the reset still does not skip the code.
        await enroll(userId, RACE2_AT + STEP);
        if (token !== undefined) expect(await server(RACE2_AT + STEP).nextStep(userId, { deviceToken: token }), label).toEqual({ step: 'code' });
        expect((await server(RACE2_AT + STEP).status(userId)).trustedDevices, label).toEqual([]);
      }
      raced(lost, 'verify against reset');
    }, timeout);

    it('two imports of the same user make one enrollment; the other is answered as enrolled already', async () => {
      let lost = 0;
      for (let round = 0; round < rounds; round++) {
        const userId = user('import', round);
        const secrets = [0, 1].map(() => base32Encode(crypto.getRandomValues(new Uint8Array(20)))) as [string, string];
        const fired = await fire(round, { op: 'import', userId, secret: secrets[0] }, { op: 'import', userId, secret: secrets[1] });
        lost += fired.lost;
        const label = `round ${round + 1}: ${JSON.stringify(fired.outcomes)}`;
        const winner = fired.outcomes.findIndex((outcome) => 'value' in outcome);
        expect(winner, label).not.toBe(-1);
        const loser = 1 - winner;
        expect(errorOf(fired.outcomes[loser]!), label).toMatchObject({ code: 'ERR_STATE', message: expect.stringMatching(/enrolled already/) });
        const { authenticatorId } = valueOf(fired.outcomes[winner]!) as { authenticatorId: string };
        expect((await server(RACE2_AT).authenticators(userId)).map((a) => a.id), label).toEqual([authenticatorId]);
        const record = parseGateRecord((await opened!.store.get(userId))!.record);
        expect(await cipherDuring().decrypt(record.active!.secret, userId), label).toBe(secrets[winner]);
        // The imported phone keeps working; the other secret opens nothing.
        const later = RACE2_AT + STEP;
        expect(await server(later).verify(userId, at(secrets[winner]!, later)), label).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 0 });
        expect(await server(later).verify(userId, at(secrets[loser]!, later)), label).toMatchObject({ ok: false, reason: 'invalid' });
      }
      raced(lost, 'imports');
    }, timeout);

    it('a rewrap racing a verify loses neither the secret nor the step', async () => {
      const users = await roundsOf(async (round) => {
        const userId = user('rewrap', round);
        const secret = await enroll(userId, SETUP_AT, 'before');
        expect(parseGateRecord((await opened!.store.get(userId))!.record).active!.secret).toMatch(/^v2\.a\./);
        return { userId, secret };
      });
      const step = Math.floor(RACE2_AT / STEP);
      let lost = 0;
      for (const [round, { userId, secret }] of users.entries()) {
        const code = at(secret, RACE2_AT);
        const fired = await fire(round, { op: 'verify', userId, code }, { op: 'rewrap', userId });
        lost += fired.lost;
        const [verified, rewrapped] = fired.outcomes;
        const label = `round ${round + 1}: ${JSON.stringify(fired.outcomes)}`;
        expect(valueOf(verified), label).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
        // The rewrap writes only when it came first: a verify under the new key re-wraps too.
        expect(valueOf(rewrapped), label).toMatchObject({ users: 1, cursor: null, rewrapped: expect.any(Number) });
        const active = parseGateRecord((await opened!.store.get(userId))!.record).active!;
        expect(active.secret, label).toMatch(/^v2\.b\./);
        expect(await cipherAfter().decrypt(active.secret, userId), label).toBe(secret);
        expect(active.lastStep, label).toBe(step);
        // Key a is gone, and the accepted code stays spent.
        expect(await server(RACE2_AT, 'after').verify(userId, code), label).toEqual({ ok: false, reason: 'replayed' });
      }
      raced(lost, 'verify against rewrap');
    }, timeout);
  });
}
