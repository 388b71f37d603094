// Issue 16 item 6: `npm run demo` stops on SIGTERM and SIGINT sent to the npm process (a
// process manager, an IDE's stop button, `kill`), not only on Ctrl-C in a terminal, which
// signals the whole process group. Before, npm passed the signal to `sh -c`, dash died of
// it, and the server under the tsx wrapper went on listening. Also: the start-up table's
// columns line up under their headers.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(join(tmpdir(), 'otpgate-demo-signals-'));

const started: number[] = [];

afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // the group is gone: the test passed
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves when `exited` does, or rejects after `ms`. */
function within<T>(exited: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([exited, new Promise<T>((_, fail) => setTimeout(() => fail(new Error(what)), ms))]);
}

/** Whether nothing listens on the port: we can listen on it ourselves. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const probe = createServer();
    probe.once('error', () => resolveFree(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolveFree(true)));
  });
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as { port: number };
  await new Promise((done) => probe.close(done));
  return port;
}

async function startDemo(): Promise<{ npm: ReturnType<typeof spawn>; port: number; output: () => string; exited: Promise<unknown> }> {
  const port = await freePort();
  const npm = spawn('npm', ['run', 'demo'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), DEMO_DB: join(dir, `demo-${port}.sqlite`) },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a failed test can still clean up everything it started.
    detached: true,
  });
  started.push(npm.pid!);
  let output = '';
  const exited = new Promise((done) => npm.on('exit', done));
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`the demo did not start:\n${output}`)), 90_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        ready();
      }
    };
    npm.stdout!.on('data', onData);
    npm.stderr!.on('data', onData);
  });
  return { npm, port, output: () => output, exited };
}

describe('npm run demo', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops when the npm process gets ${signal}, and frees its port`, async () => {
      const demo = await startDemo();
      expect(await isFree(demo.port)).toBe(false);
      demo.npm.kill(signal);
      await within(demo.exited, 20_000, `npm run demo is still running 20 s after ${signal}:\n${demo.output()}`);
      // The server closes within a second or so of its shell going away.
      let free = false;
      for (let i = 0; i < 40 && !free; i++) {
        free = await isFree(demo.port);
        if (!free) await new Promise((r) => setTimeout(r, 250));
      }
      expect(free, demo.output()).toBe(true);
    }, 150_000);
  }

  it('prints a start-up table whose columns line up under their headers', async () => {
    const demo = await startDemo();
    try {
      const lines = demo.output().split('\n');
      const start = lines.findIndex((line) => line.startsWith('  user name'));
      const header = lines[start]!;
      const rows = lines.slice(start + 1, lines.indexOf('', start));
      expect(rows.length).toBeGreaterThanOrEqual(4);
      for (const column of ['password', 'account']) {
        const at = header.indexOf(column);
        expect(at).toBeGreaterThan(0);
        for (const row of rows) {
          // Each cell starts where its header does: after two spaces, on a non-space.
          expect([row, row.slice(at - 2, at)]).toEqual([row, '  ']);
          expect(row[at], row).toMatch(/\S/);
        }
      }
      expect(rows.some((row) => row.includes('alice-demo'))).toBe(true);
    } finally {
      demo.npm.kill('SIGTERM');
      await demo.exited;
    }
  }, 150_000);
});
