// A spinner on stderr for slow steps (coldkey unlock takes about a second). Silent when stderr is
// not a terminal, so logs and pipes stay clean.
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Spinner {
  stop(finalLine?: string): void;
}

export function startSpinner(text: string, stream: NodeJS.WriteStream = process.stderr): Spinner {
  if (!stream.isTTY) return { stop: () => {} };
  let i = 0;
  const draw = () => stream.write(`\r${FRAMES[i++ % FRAMES.length]} ${text}`);
  draw();
  const timer = setInterval(draw, 80);
  return {
    stop(finalLine?: string) {
      clearInterval(timer);
      stream.write('\r\u001b[2K');
      if (finalLine) stream.write(`${finalLine}\n`);
    },
  };
}
