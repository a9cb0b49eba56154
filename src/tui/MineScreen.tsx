import { Box, Text } from 'ink';
import { Bandwidth } from './components/Bandwidth.js';
import { Header, type HeaderInfo } from './components/Header.js';
import { HelpOverlay } from './components/HelpOverlay.js';
import { LogTail } from './components/LogTail.js';
import { LossChart } from './components/LossChart.js';
import { Peers } from './components/Peers.js';
import { Throughput } from './components/Throughput.js';
import { nvidiaSmiProbe, useGpu, type GpuProbe } from './gpu.js';
import { useScreenKeys } from './keys.js';
import { useEventStore, type EventSource } from './store.js';
import { useTerminalSize } from './terminal.js';
import { ColorContext, colorFromEnv, useTheme } from './theme.js';

export interface ScreenProps {
  source: EventSource;
  info?: HeaderInfo;
  onQuit?: () => void;
  onPause?: (paused: boolean) => void;
  /** false: no colour or style at all (default: from NO_COLOR) */
  color?: boolean;
  /** redraw interval, ms (default 100: at most 10 redraws a second) */
  intervalMs?: number;
  /** keys read from stdin (default true; false when stdin is not a TTY) */
  keys?: boolean;
  /** where GPU utilisation comes from (default: nvidia-smi every 3 s; false: not polled) */
  gpu?: GpuProbe | false;
}

const PANELS = ['loss', 'throughput', 'bandwidth', 'peers', 'log'] as const;

function Mine(p: ScreenProps) {
  const view = useEventStore(p.source, p.intervalMs);
  const k = useScreenKeys(PANELS.length, p.onQuit, p.onPause, p.keys ?? true);
  const { columns, rows } = useTerminalSize();
  const t = useTheme();
  const gpu = useGpu(p.gpu ?? nvidiaSmiProbe);
  const f = (name: (typeof PANELS)[number]) => PANELS[k.focus] === name;
  const info = { ...p.info, paused: k.paused || view.paused || p.info?.paused };
  const side = Math.max(30, Math.min(48, Math.floor(columns * 0.4)));
  const chartW = Math.max(30, columns - side);
  return (
    <Box flexDirection="column" width={columns}>
      <Header view={view} info={info} title="mine" />
      {k.help ? <HelpOverlay /> : null}
      {k.logPane ? (
        <LogTail view={view} rows={Math.max(5, rows - 6)} focused />
      ) : (
        <>
          <Box>
            <LossChart view={view} width={chartW} height={Math.max(4, Math.min(12, rows - 20))} log={k.logScale} focused={f('loss')} />
            <Box flexDirection="column" width={side}>
              <Throughput view={view} focused={f('throughput')} info={info} gpu={gpu} />
              <Bandwidth view={view} focused={f('bandwidth')} rows={3} />
            </Box>
          </Box>
          <Peers view={view} focused={f('peers')} />
          <LogTail view={view} rows={5} focused={f('log')} />
        </>
      )}
      <Text {...t.dim()}>? help · q quit · tab focus · l log · p pause · s log scale</Text>
    </Box>
  );
}

export function MineScreen(p: ScreenProps) {
  return (
    <ColorContext.Provider value={p.color ?? colorFromEnv()}>
      <Mine {...p} />
    </ColorContext.Provider>
  );
}
