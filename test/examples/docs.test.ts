// Keeps the guides honest: every ```ts block in docs/*.md is type-checked as a
// module of its own, with `otpgate` mapped to the sources (and otplib, otpauth,
// pg, ioredis, better-sqlite3 from node_modules), so a renamed export, a wrong
// option or a wrong result type in a guide fails here. Blocks in other
// languages (```js for speakeasy, ```sh) and blocks marked ```ts nocheck (which
// import files of the reader's own project) are not checked.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const docs = join(root, 'docs');

interface Block {
  readonly file: string;
  readonly line: number;
  readonly code: string;
}

function blocksOf(file: string): Block[] {
  const lines = readFileSync(join(docs, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end]!.startsWith('```')) end++;
    blocks.push({ file, line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

const guides = readdirSync(docs).filter((name) => name.endsWith('.md'));
const blocks = guides.flatMap(blocksOf);

describe('code in the guides', () => {
  it('every guide the issue asks for exists', () => {
    expect(guides).toEqual(
      expect.arrayContaining([
        'quick-start.md',
        'adding-2fa-to-a-login.md',
        'policies.md',
        'stores.md',
        'recovery-and-resets.md',
        'security.md',
        'migrating.md',
      ]),
    );
  });

  it('every ```ts block type-checks against the sources', () => {
    expect(blocks.length).toBeGreaterThan(25);
    // Inside node_modules/.cache so that imports of otplib, pg, ... resolve.
    const cache = join(root, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    const dir = mkdtempSync(join(cache, 'otpgate-docs-'));
    try {
      const names = blocks.map((block, index) => {
        const name = `${block.file.replace(/\W/g, '_')}_${block.line}_${index}.ts`;
        // `export {}` makes each block a module, so top-level await and repeated names are fine.
        writeFileSync(join(dir, name), `${block.code}\nexport {};\n`);
        return name;
      });
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          extends: join(root, 'tsconfig.json'),
          compilerOptions: {
            noEmit: true,
            // Guides show fragments: a value computed and not used again is fine there.
            noUnusedLocals: false,
            noUnusedParameters: false,
            paths: {
              otpgate: [join(root, 'src', 'index.ts')],
              'otpgate/stores/*': [join(root, 'src', 'stores', '*.ts')],
              'otpgate/testing': [join(root, 'src', 'testing', 'index.ts')],
              'otpgate/web': [join(root, 'src', 'web', 'index.ts')],
              'otpgate/web/*': [join(root, 'src', 'web', '*.ts')],
            },
          },
          files: names,
          include: [],
        }),
      );
      let output = '';
      try {
        execFileSync('node', [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], {
          cwd: root,
          encoding: 'utf8',
          stdio: 'pipe',
        });
      } catch (error) {
        output = String((error as { stdout?: unknown }).stdout);
      }
      // Name each failure by its guide and line, not by the temporary file.
      const errors = output
        .split('\n')
        .filter((line) => line.includes('error TS'))
        .map((line) => {
          const match = /([\w.-]+\.ts)\((\d+),\d+\): (.*)$/.exec(line);
          const block = match ? blocks[names.indexOf(match[1]!)] : undefined;
          return block ? `docs/${block.file}:${block.line + Number(match![2]) - 1}: ${match![3]}` : line;
        });
      expect(errors).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
