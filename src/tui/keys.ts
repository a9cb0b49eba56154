// The keys every screen shares: ? help, q quit, tab focus, l log pane, p pause, s log scale.
import { useInput } from 'ink';
import { useState } from 'react';

export interface ScreenKeys {
  help: boolean;
  focus: number;
  logPane: boolean;
  paused: boolean;
  logScale: boolean;
}

export function useScreenKeys(panels: number, onQuit?: () => void, onPause?: (paused: boolean) => void, active = true): ScreenKeys {
  const [k, setK] = useState<ScreenKeys>({ help: false, focus: 0, logPane: false, paused: false, logScale: false });
  useInput(
    (input, key) => {
      if (input === 'q' || (key.ctrl && input === 'c')) {
        onQuit?.();
        return;
      }
      if (key.tab) setK((s) => ({ ...s, focus: (s.focus + (key.shift ? panels - 1 : 1)) % panels }));
      else if (input === '?') setK((s) => ({ ...s, help: !s.help }));
      else if (key.escape) setK((s) => ({ ...s, help: false }));
      else if (input === 'l') setK((s) => ({ ...s, logPane: !s.logPane }));
      else if (input === 's') setK((s) => ({ ...s, logScale: !s.logScale }));
      else if (input === 'p' && onPause)
        setK((s) => {
          const paused = !s.paused;
          onPause?.(paused);
          return { ...s, paused };
        });
    },
    { isActive: active },
  );
  return k;
}
