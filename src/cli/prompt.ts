// Minimal interactive prompts on the terminal: masked secret entry and yes/no confirmation.
// Only used when ctx.interactive is true; scripts never see a prompt.
import { LocoError } from '../errors.js';

/** Read one line from the TTY without echoing it (each character shows as '*'). */
export function promptSecret(question: string, mask = '*'): Promise<string> {
  const stdin = process.stdin;
  const out = process.stderr;
  if (!stdin.isTTY) return Promise.reject(new LocoError('cancelled', 'cannot prompt: standard input is not a terminal'));
  return new Promise((resolve, reject) => {
    let value = '';
    out.write(question);
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const finish = (err?: Error) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      out.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || ch === '\u0004') return finish(new LocoError('cancelled', 'cancelled'));
        if (ch === '\u007f' || ch === '\b') {
          if (value.length) {
            value = [...value].slice(0, -1).join('');
            out.write('\b \b');
          }
          continue;
        }
        if (ch < ' ') continue; // ignore other control keys
        value += ch;
        out.write(mask);
      }
    };
    stdin.on('data', onData);
  });
}

/** Read one visible line from the TTY. */
export async function promptLine(question: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

export async function confirm(question: string, defaultYes = false): Promise<boolean> {
  const answer = (await promptLine(`${question} ${defaultYes ? '[Y/n]' : '[y/N]'} `)).toLowerCase();
  if (!answer) return defaultYes;
  return answer === 'y' || answer === 'yes';
}
