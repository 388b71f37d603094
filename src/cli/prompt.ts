import { OtpError } from '../errors.js';

/** The parts of `process.stdin` on a terminal that {@link readHidden} uses. */
export interface TerminalInput {
  setRawMode(raw: boolean): unknown;
  setEncoding(encoding: 'utf8'): unknown;
  resume(): unknown;
  pause(): unknown;
  on(event: 'data', listener: (chunk: string) => void): unknown;
  off(event: 'data', listener: (chunk: string) => void): unknown;
}

/**
 * Shows `prompt` on `output` and reads one line from a terminal without
 * echoing it, so a secret typed at `otpgate totp -` stays off the screen
 * (and out of a screen recording). Enter or Ctrl-D ends the line, Backspace
 * deletes, Ctrl-C stops with `ERR_USAGE`.
 */
export function readHidden(input: TerminalInput, output: { write(text: string): unknown }, prompt: string): Promise<string> {
  // Echo goes off before the prompt shows: a user (or a script) who types as
  // soon as the prompt appears must never have the first characters echoed.
  input.setRawMode(true);
  output.write(prompt);
  input.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let line = '';
    const finish = (error?: OtpError): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(line);
    };
    const onData = (chunk: string): void => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new OtpError('ERR_USAGE', 'interrupted'));
        if (char === '\u007f' || char === '\b') line = [...line].slice(0, -1).join('');
        else if (char >= ' ') line += char;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}
