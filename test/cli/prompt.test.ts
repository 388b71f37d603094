// readHidden: the prompt `otpgate totp -` shows on a terminal. Here on a stand-in for a
// TTY stream; test/cli/bin.test.ts runs the binary on a real pseudo-terminal.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { readHidden, type TerminalInput } from '../../src/cli/prompt.js';

class FakeTerminal extends EventEmitter implements TerminalInput {
  readonly rawModes: boolean[] = [];
  paused = true;
  setRawMode(raw: boolean): this {
    this.rawModes.push(raw);
    return this;
  }
  setEncoding(): this {
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
  type(text: string): void {
    this.emit('data', text);
  }
}

function setup() {
  const input = new FakeTerminal();
  let shown = '';
  const output = { write: (text: string) => (shown += text) };
  return { input, output, shown: () => shown };
}

describe('readHidden', () => {
  it('turns echo off before the prompt shows, so what is typed at once is never echoed', () => {
    const input = new FakeTerminal();
    const rawWhenShown: boolean[][] = [];
    void readHidden(input, { write: () => rawWhenShown.push([...input.rawModes]) }, 'SECRET: ');
    expect(rawWhenShown[0]).toEqual([true]);
  });

  it('shows the prompt, reads one line in raw mode (no echo) and restores the terminal', async () => {
    const { input, output, shown } = setup();
    const line = readHidden(input, output, 'SECRET (input hidden): ');
    expect(shown()).toBe('SECRET (input hidden): ');
    expect(input.rawModes).toEqual([true]);
    expect(input.paused).toBe(false);
    input.type('GEZDGNBV');
    input.type('GY3TQOJQ\r');
    await expect(line).resolves.toBe('GEZDGNBVGY3TQOJQ');
    // Nothing typed was written back: only the prompt and the line break.
    expect(shown()).toBe('SECRET (input hidden): \n');
    expect(input.rawModes).toEqual([true, false]);
    expect(input.paused).toBe(true);
    expect(input.listenerCount('data')).toBe(0);
  });

  it('handles backspace, ignores control characters and ends at a newline or Ctrl-D', async () => {
    for (const end of ['\n', '\u0004']) {
      const { input, output } = setup();
      const line = readHidden(input, output, '> ');
      input.type(`ABX\u007fC\u001bDE\b${end}ignored`);
      await expect(line).resolves.toBe('ABCD');
    }
  });

  it('stops with ERR_USAGE on Ctrl-C, restoring the terminal', async () => {
    const { input, output } = setup();
    const line = readHidden(input, output, '> ');
    input.type('AB\u0003');
    await expect(line).rejects.toMatchObject({ code: 'ERR_USAGE', message: 'interrupted' });
    expect(input.rawModes).toEqual([true, false]);
  });
});
