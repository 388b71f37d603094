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
});
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.exitCode;
