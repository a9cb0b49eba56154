// Start a live screen for `loco mine` / `loco validate` on a TTY: the role loop's sink is `emit`,
// `signal` aborts when the person presses q (or ctrl-c, read as a key while the screen has stdin).
import { render } from 'ink';
import type { EventSink, Role } from '../protocol/events.js';
import type { HeaderInfo } from './components/Header.js';
import { peakFromEnv } from './gpu.js';
import { MineScreen } from './MineScreen.js';
import { EventBus } from './store.js';
import { ValidateScreen } from './ValidateScreen.js';

export interface LiveScreen {
  emit: EventSink;
  /** aborted when the person quits from the screen */
  signal: AbortSignal;
  /** whether the person paused training (p); read by the miner loop at each window */
  paused: () => boolean;
  /** unmount (idempotent) */
  stop: () => void;
}

export function startScreen(role: Role, info: HeaderInfo = {}): LiveScreen {
  const bus = new EventBus();
  const ac = new AbortController();
  const keys = Boolean(process.stdin.isTTY);
  // the MFU's peak: LOCO_PEAK_GFLOPS unless the caller knows better (docs/screens.md)
  let paused = false;
  const onPause = role === 'miner' ? (p: boolean) => void (paused = p) : undefined;
  const props = { source: bus, info: { peakGflops: peakFromEnv(), ...info }, keys, onQuit: () => ac.abort(), onPause };
  const app = render(role === 'miner' ? <MineScreen {...props} /> : <ValidateScreen {...props} />, { exitOnCtrlC: !keys });
  let stopped = false;
  return {
    emit: bus.emit,
    signal: ac.signal,
    paused: () => paused,
    stop: () => {
      if (stopped) return;
      stopped = true;
      app.unmount();
    },
  };
}
