import { Box, Text } from 'ink';
import { Header } from './components/Header.js';
import { HelpOverlay } from './components/HelpOverlay.js';
import { Leaderboard } from './components/Leaderboard.js';
import { LogTail } from './components/LogTail.js';
import { Peers } from './components/Peers.js';
import { Weights } from './components/Weights.js';
import { useScreenKeys } from './keys.js';
import type { ScreenProps } from './MineScreen.js';
import { useEventStore } from './store.js';
import { useTerminalSize } from './terminal.js';
import { ColorContext, colorFromEnv, useTheme } from './theme.js';

const PANELS = ['leaderboard', 'weights', 'peers', 'log'] as const;

function Validate(p: ScreenProps & { hotkeys?: Record<number, string> }) {
  const view = useEventStore(p.source, p.intervalMs);
  const k = useScreenKeys(PANELS.length, p.onQuit, p.onPause, p.keys ?? true);
  const { columns, rows } = useTerminalSize();
  const t = useTheme();
  const f = (name: (typeof PANELS)[number]) => PANELS[k.focus] === name;
  const info = { ...p.info, paused: k.paused || p.info?.paused };
  return (
    <Box flexDirection="column" width={columns}>
      <Header view={view} info={info} title="validate" />
      <Text>{`evaluations ${view.evaluated}${view.phase ? ` · ${view.phase} in progress` : ''}`}</Text>
      {k.help ? <HelpOverlay pause={false} /> : null}
      {k.logPane ? (
        <LogTail view={view} rows={Math.max(5, rows - 6)} focused />
      ) : (
        <>
          <Leaderboard view={view} hotkeys={p.hotkeys} focused={f('leaderboard')} rows={Math.max(3, rows - 22)} />
          <Box>
            <Box flexDirection="column" flexGrow={1}>
              <Weights view={view} focused={f('weights')} rows={4} />
            </Box>
            <Box flexDirection="column" flexGrow={1}>
              <Peers view={view} focused={f('peers')} />
            </Box>
          </Box>
          <LogTail view={view} rows={5} focused={f('log')} />
        </>
      )}
      <Text {...t.dim()}>? help · q quit · tab focus · l log · p pause</Text>
    </Box>
  );
}

export function ValidateScreen(p: ScreenProps & { hotkeys?: Record<number, string> }) {
  return (
    <ColorContext.Provider value={p.color ?? colorFromEnv()}>
      <Validate {...p} />
    </ColorContext.Provider>
  );
}
