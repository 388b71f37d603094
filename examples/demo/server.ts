// Starts the demo: `npm run demo` (or `npm run demo -- --fresh` to start
// over); where npm has no POSIX shell (Windows), `node --import tsx
// examples/demo/server.ts`. Reads PORT (default 3000), HOST (default 127.0.0.1) and DEMO_DB
// (default demo.sqlite in the current directory) from the environment.
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { serve } from '@hono/node-server';
import Database from 'better-sqlite3';
import { systemClock, type Clock } from 'otpgate';
import { createDemo } from './app.js';
import { COMPANIES, SEED_USERS } from './db.js';

const USAGE = `Usage: npm run demo [-- --fresh]

  --fresh   delete the demo database first and start with fresh users
  --help    show this help

Environment: PORT (default 3000), HOST (default 127.0.0.1), DEMO_DB (default ./demo.sqlite)`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
const unknown = args.filter((arg) => arg !== '--fresh');
if (unknown.length > 0) {
  console.error(`Unknown argument: ${unknown[0]}\n\n${USAGE}`);
  process.exit(2);
}

const port = Number(process.env['PORT'] ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('PORT must be a port number from 0 to 65535.');
  process.exit(2);
}
const host = process.env['HOST'] ?? '127.0.0.1';
const file = resolve(process.env['DEMO_DB'] || 'demo.sqlite');

if (args.includes('--fresh')) {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true });
}

// Test-only: end-to-end tests move the clock by writing a millisecond offset
// to this file, instead of waiting 30 seconds for the next code.
const offsetFile = process.env['DEMO_CLOCK_OFFSET_FILE'];
const clock: Clock =
  offsetFile === undefined
    ? systemClock
    : {
        now() {
          let offset = 0;
          try {
            offset = Number(readFileSync(offsetFile, 'utf8').trim()) || 0;
          } catch {
            // no file yet: no offset
          }
          return Date.now() + offset;
        },
      };

let db: Database.Database;
let app: Awaited<ReturnType<typeof createDemo>>['app'];
try {
  db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  ({ app } = await createDemo({ db, clock }));
} catch (error) {
  console.error(`Cannot open the demo database ${file}: ${(error as Error).message}\nSet DEMO_DB to a writable file, or start over with: npm run demo -- --fresh`);
  process.exit(1);
}

const server = serve({ fetch: app.fetch, port, hostname: host }, (info) => {
  const shown = host === '127.0.0.1' || host === '::1' || host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  // Columns as wide as their widest cell, header included, two spaces apart.
  const rows = [
    ['user name', 'password', 'account'],
    ...SEED_USERS.map((u) => {
      const company = COMPANIES.find((c) => c.id === u.companyId)!;
      const role = u.isAdmin ? 'administrator' : 'user';
      return [u.id, u.password, `${role}, ${company.name}${company.requires2fa ? ' (2-step required)' : ' (2-step optional)'}`];
    }),
  ];
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => row[column]!.length)) + 2);
  const lines = rows.map(([user, password, account]) => `  ${user!.padEnd(widths[0]!)}${password!.padEnd(widths[1]!)}${account}`);
  console.log(
    [
      '',
      `otpgate demo listening on http://${shown}:${info.port}`,
      `data: ${file}${args.includes('--fresh') ? ' (fresh)' : ''}; start over with: npm run demo -- --fresh`,
      '',
      ...lines,
      '',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
});

server.on('error', (error: NodeJS.ErrnoException) => {
  console.error(error.code === 'EADDRINUSE' ? `Port ${port} is in use: start with another one, for example PORT=3001 npm run demo` : `Cannot listen: ${error.message}`);
  db.close();
  process.exit(1);
});

let stopping = false;
function stop(signal: string): void {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the demo`);
  // Idle keep-alive connections would hold close() open; in-flight requests may finish.
  server.close(() => {
    db.close();
    process.exit(0);
  });
  if ('closeIdleConnections' in server) server.closeIdleConnections();
  setTimeout(() => {
    db.close();
    process.exit(0);
  }, 2000).unref();
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGHUP', () => stop('SIGHUP'));

// npm runs scripts under `sh -c` and passes a SIGTERM or SIGINT it gets to that shell,
// which does not pass it on (dash dies of SIGTERM, and waits for us on SIGINT). So the
// script is `exec node --import tsx ...`: the shell becomes this process, and npm's signals
// reach it. Without the exec (another runner, or npm killed outright), stop when the parent
// goes away: an orphan is adopted by another process, which changes its ppid.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) stop('parent process exited');
}, 250).unref();
