// `otpgate rewrap` (issue 12): key rotation from the command line, run as the
// built binary on a real SQLite file, with the keys in the environment.
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/commands.js';
import { totp } from '../../src/core/totp.js';
import { createAesGcmCipher } from '../../src/gate/aes-gcm.js';
import { createGate } from '../../src/gate/gate.js';
import { parseGateRecord } from '../../src/gate/record.js';
import { createSqliteStore } from '../../src/stores/sqlite.js';
import { cliPath, ensureBuilt } from './build.js';

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const keyA = new Uint8Array(32).fill(3);
const keyB = new Uint8Array(32).fill(4);

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'otpgate-rewrap-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('otpgate rewrap', () => {
  it('re-wraps every secret of a SQLite store under the current key, with progress on stderr', async () => {
    const file = join(dir, 'app.db');
    const db = new Database(file);
    const store = createSqliteStore({ db });
    await store.migrate();
    const now = Date.UTC(2031, 0, 1) + 15_000;
    const old = createGate({ store, issuer: 'X', clock: { now: () => now }, cipher: createAesGcmCipher({ keys: { a: keyA }, current: 'a' }) });
    for (const userId of ['ann', 'ben', 'cy']) {
      const { secret } = await old.beginEnrollment(userId);
      await old.confirmEnrollment(userId, totp(secret, { now: new Date(now) }));
    }
    db.close();
    const run = spawnSync(process.execPath, [cliPath, 'rewrap', `sqlite:${file}`, '--current', 'b'], {
      encoding: 'utf8',
      env: { ...process.env, OTPGATE_KEYS: `a:${b64(keyA)},b:${b64(keyB)}` },
      timeout: 30_000,
    });
    expect(run.stderr).toContain('rewrap: 3 users, 3 re-wrapped');
    expect(run.stdout).toBe('3 users, 3 re-wrapped under b\n');
    expect(run.status).toBe(0);
    // No key, no secret on either stream.
    for (const text of [run.stdout, run.stderr]) expect(text).not.toContain(b64(keyA));
    const reopened = new Database(file, { readonly: true });
    const rows = reopened.prepare('SELECT record FROM otpgate_mfa').all() as Array<{ record: string }>;
    reopened.close();
    for (const row of rows) expect(parseGateRecord(JSON.parse(row.record)).active!.secret).toMatch(/^v2\.b\./);
  });

  it('refuses a missing key variable, a missing --current and an unknown store with exit 2', async () => {
    const keys = { env: {} };
    expect(await runCli(['rewrap', 'sqlite:x.db', '--current', 'b'], { ...keys, rewrap: async () => ({ users: 0, rewrapped: 0 }) })).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('OTPGATE_KEYS holds no keys') });
    expect(await runCli(['rewrap', 'sqlite:x.db'], { env: { OTPGATE_KEYS: 'b:AAAA' } })).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('missing --current') });
    const run = spawnSync(process.execPath, [cliPath, 'rewrap', 'mysql://nowhere', '--current', 'b'], { encoding: 'utf8', env: { ...process.env, OTPGATE_KEYS: `b:${b64(keyB)}` } });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('STORE must be sqlite:PATH');
  });
});
