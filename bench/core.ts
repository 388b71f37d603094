// Verify speed of otpgate against its peers, in one run: `npm run bench`.
//
// For SHA-1 and for SHA-512 (BENCH_ALGORITHMS=SHA1 or SHA512 for one), every
// library verifies the same RFC test key, 6 digits, 30 s period,
// at the same fixed time (the middle of a step, so a tolerance in seconds is
// exactly ±n steps), with the code of the current step (right) and with a
// code that matches no step of the widest window (wrong). Before timing, each
// call is checked: the right code matches with delta 0, the wrong one does
// not, and the window covers exactly the steps asked for.
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { verifyTOTPWithGracePeriod } from '@oslojs/otp';
import { do_not_optimize, measure } from 'mitata';
import { Secret, TOTP } from 'otpauth';
import { verifySync as otplibVerify } from 'otplib';
import { base32Encode, prepareKey, totp, verifyTotp } from '../src/index.js';

interface Notp {
  totp: { verify(token: string, key: Uint8Array, options: { window: number; time: number; _t: number }): { delta: number } | null };
}
// notp lets a test fix the time only when NODE_ENV is 'test'.
process.env['NODE_ENV'] = 'test';
const notp = createRequire(import.meta.url)('notp') as Notp;

const PERIOD = 30;
const STEP = 56_666_666;
const NOW = (STEP * PERIOD + PERIOD / 2) * 1000;
const WINDOWS = [1, 10] as const;
const WIDEST = Math.max(...WINDOWS);
const realNow = Date.now;

/** One verify call: the delta of the matching step, or null. */
type Verify = (code: string, window: number) => number | null;

interface Suite {
  readonly algorithm: 'SHA1' | 'SHA512';
  readonly right: string;
  readonly wrong: string;
  readonly libraries: ReadonlyArray<readonly [string, Verify]>;
  readonly floor: readonly [string, (code: string, window: number) => unknown];
}

/**
 * The rows of one algorithm, on its RFC test key: RFC 4226's 20 bytes for
 * SHA-1, RFC 6238's 64 bytes for SHA-512 (a key as long as the hash).
 * @oslojs/otp and notp compute SHA-1 only, so they sit out SHA-512.
 */
function suite(algorithm: 'SHA1' | 'SHA512', ascii: string): Suite {
  const key = new TextEncoder().encode(ascii);
  const secret = base32Encode(key);
  const codeAt = (step: number): string => totp(secret, { now: step * PERIOD * 1000, algorithm });
  const right = codeAt(STEP);
  const taken = new Set<string>();
  for (let step = STEP - WIDEST - 1; step <= STEP + WIDEST + 1; step++) taken.add(codeAt(step));
  let n = 0;
  while (taken.has(String((n * 7919) % 1e6).padStart(6, '0'))) n++;
  const wrong = String((n * 7919) % 1e6).padStart(6, '0');

  const prepared = prepareKey(secret, { algorithm });
  const otpauthTotp = new TOTP({ secret: Secret.fromBase32(secret), algorithm, digits: 6, period: PERIOD });
  const otplibAlgorithm = algorithm === 'SHA1' ? 'sha1' : 'sha512';
  const libraries: Array<readonly [string, Verify]> = [
    ['otpgate (base32 string)', (code, window) => verifyTotp(secret, code, { now: NOW, window, algorithm })?.delta ?? null],
    ['otpgate (prepareKey)', (code, window) => verifyTotp(prepared, code, { now: NOW, window })?.delta ?? null],
    [
      'otplib 13 (verifySync)',
      (code, window) => {
        const result = otplibVerify({ secret, token: code, epoch: NOW / 1000, epochTolerance: window * PERIOD, algorithm: otplibAlgorithm });
        return result.valid ? result.delta : null;
      },
    ],
    ['otpauth 9 (TOTP#validate)', (code, window) => otpauthTotp.validate({ token: code, timestamp: NOW, window })],
  ];
  if (algorithm === 'SHA1') {
    libraries.push(
      [
        '@oslojs/otp',
        (code, window) => {
          // Its TOTP functions read the clock themselves; it tells no delta.
          Date.now = () => NOW;
          try {
            return verifyTOTPWithGracePeriod(key, PERIOD, 6, code, window * PERIOD) ? 0 : null;
          } finally {
            Date.now = realNow;
          }
        },
      ],
      ['notp', (code, window) => notp.totp.verify(code, key, { window, time: PERIOD, _t: NOW })?.delta ?? null],
    );
  }
  const hash = algorithm.toLowerCase();
  /** The floor: one HMAC per step of the window with node:crypto, nothing else. */
  const floor = (_code: string, window: number): void => {
    const counter = new Uint8Array(8);
    const view = new DataView(counter.buffer);
    for (let step = STEP - window; step <= STEP + window; step++) {
      view.setUint32(0, Math.floor(step / 2 ** 32));
      view.setUint32(4, step >>> 0);
      do_not_optimize(createHmac(hash, key).update(counter).digest());
    }
  };
  const checked: Suite = { algorithm, right, wrong, libraries, floor: [`floor: 2n+1 HMAC-${algorithm === 'SHA1' ? 'SHA1' : 'SHA512'}, node:crypto`, floor] };
  for (const [name, verify] of libraries) check(checked, codeAt, name, verify);
  return checked;
}

function check(s: Suite, codeAt: (step: number) => string, name: string, verify: Verify): void {
  const fail = (what: string): never => {
    throw new Error(`${s.algorithm} ${name}: ${what}`);
  };
  for (const window of WINDOWS) {
    if (verify(s.right, window) !== 0) fail(`right code not matched at ±${window}`);
    if (verify(s.wrong, window) !== null) fail(`wrong code matched at ±${window}`);
    // The edges of the window match, the steps just outside do not. Oslo
    // tells no delta, so only whether it matched is compared.
    const exact = name !== '@oslojs/otp';
    for (const [delta, inside] of [[-window, true], [window, true], [-window - 1, false], [window + 1, false]] as const) {
      const code = codeAt(STEP + delta);
      if (code === s.right) continue;
      const got = verify(code, window);
      const ok = inside ? got !== null && (!exact || got === delta) : got === null;
      if (!ok) fail(`code of step ${delta > 0 ? '+' : ''}${delta} ${inside ? 'not matched' : 'matched'} at ±${window} (got ${got})`);
    }
  }
}

const SEEDS = { SHA1: '12345678901234567890', SHA512: '1234567890'.repeat(6) + '1234' } as const;
const ALGORITHMS = (process.env['BENCH_ALGORITHMS'] ?? 'SHA1,SHA512').split(',') as Array<keyof typeof SEEDS>;
const SUITES = ALGORITHMS.map((algorithm) => suite(algorithm, SEEDS[algorithm]));

// The machine may be shared: time is this process's CPU time, not the wall
// clock, so time spent waiting for a core does not count; and every case is
// measured in several rounds, interleaved, and keeps its best median, so a
// burst of load elsewhere slows one round of one case, not the result.
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const cpuNanoseconds = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
};

for (const s of SUITES) {
  const CASES = WINDOWS.flatMap((window) => [
    { label: `right ±${window}`, window, code: s.right },
    { label: `wrong ±${window}`, window, code: s.wrong },
  ]);
  const ROWS: ReadonlyArray<readonly [string, (code: string, window: number) => unknown]> = [...s.libraries, s.floor];
  const best = new Map<string, number>();
  const keyBytes = SEEDS[s.algorithm].length;
  console.log(`\nverify, ${s.algorithm}, 6 digits, ${keyBytes}-byte key, right code ${s.right}, wrong code ${s.wrong}; every call checked first.`);
  console.log(`${ROUNDS} rounds of ${ROWS.length * CASES.length} cases…\n`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const { label, window, code } of CASES) {
      for (const [name, verify] of ROWS) {
        const stats = await measure(() => do_not_optimize(verify(code, window)), { min_cpu_time: 120e6, now: cpuNanoseconds });
        const key = `${name} | ${label}`;
        best.set(key, Math.max(best.get(key) ?? 0, 1e9 / stats.p50));
      }
    }
  }
  report(s, CASES, ROWS, best);
}

function report(
  s: Suite,
  CASES: ReadonlyArray<{ readonly label: string }>,
  ROWS: ReadonlyArray<readonly [string, unknown]>,
  best: Map<string, number>,
): void {
  const ops = (row: string, label: string): number => best.get(`${row} | ${label}`) ?? Number.NaN;
  const BASE = s.libraries[0]![0];
  const PREPARED = s.libraries[1]![0];
  const FLOOR = s.floor[0];
  const width = Math.max(...ROWS.map(([row]) => row.length));
  const cell = (text: string): string => text.padStart(24);
  console.log(`${'ops per CPU second (× otpgate string)'.padEnd(width)}${CASES.map(({ label }) => cell(label)).join('')}`);
  for (const [row] of ROWS) {
    const cells = CASES.map(({ label }) => {
      const value = ops(row, label);
      return cell(`${Math.round(value).toLocaleString('en-US')} (${(value / ops(BASE, label)).toFixed(2)}x)`);
    });
    console.log(`${row.padEnd(width)}${cells.join('')}`);
  }
  console.log(`
otpgate computes every step of the window whether or not one matches (no early exit, so the time
taken does not tell which step matched); the peers stop at the first match, so a right code costs
them fewer HMACs: otpauth tries the current step first, the others from the oldest step up.
`);
  const peers = s.libraries.map(([row]) => row).filter((row) => !row.startsWith('otpgate'));
  for (const { label } of CASES) {
    const fastest = peers.reduce((a, b) => (ops(b, label) > ops(a, label) ? b : a));
    const times = (row: string): string => (ops(row, label) / ops(fastest, label)).toFixed(1);
    const floor = (row: string): string => (ops(row, label) / ops(FLOOR, label)).toFixed(2);
    console.log(`${label}: otpgate is ${times(BASE)}x (string), ${times(PREPARED)}x (prepareKey) the fastest peer, ${fastest}; ${floor(BASE)}x (string), ${floor(PREPARED)}x (prepareKey) the node:crypto floor`);
  }
}
