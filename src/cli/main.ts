import { readFileSync, writeFileSync } from 'node:fs';
import { version } from '../../package.json';
import { runCli } from './commands.js';
import { readHidden } from './prompt.js';

// The only module that touches the process: everything else is testable as strings.
const result = await runCli(process.argv.slice(2), {
  version,
  nowMs: Date.now,
  // On a terminal, ask without echoing; from a pipe or a file, read it all.
  readStdin: (prompt) => (process.stdin.isTTY ? readHidden(process.stdin, process.stderr, prompt) : readFileSync(0, 'utf8')),
  writeFile: (path, text) => writeFileSync(path, text),
  env: process.env,
  // Loaded only for this command: it pulls in the gate and a database driver.
  async rewrap(request) {
    const { openStoreAt, parseKeys, rewrapStore } = await import('./rewrap.js');
    const opened = await openStoreAt(request.target, request);
    const done = await rewrapStore(opened, parseKeys(request.keys), request.current, (p) => {
      // One line, rewritten in place on a terminal: how far, and where to resume.
      const line = `rewrap: ${p.users} users, ${p.rewrapped} re-wrapped${p.cursor === null ? '' : ` (resume with --cursor ${p.cursor})`}`;
      process.stderr.write(process.stderr.isTTY ? `\r\x1b[K${line}` : `${line}\n`);
    }, request.cursor ?? null);
    if (process.stderr.isTTY) process.stderr.write('\n');
    return done;
  },
});
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.exitCode;
