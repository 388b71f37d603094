import { readFileSync, writeFileSync } from 'node:fs';
import { version } from '../../package.json';
import { runCli } from './commands.js';

// The only module that touches the process: everything else is testable as strings.
const result = runCli(process.argv.slice(2), {
  version,
  nowMs: Date.now,
  readStdin: () => readFileSync(0, 'utf8'),
  writeFile: (path, text) => writeFileSync(path, text),
});
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.exitCode;
