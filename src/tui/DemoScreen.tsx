// The `loco demo` dashboard (docs/demo.md): one screen for the whole local subnet — set-up progress,
// the shared loss of the three miners, bytes per window and the compression ratio, the validator's
// leaderboard and its weights landing on chain. It only renders events (src/tui/demo-state.ts).
import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import { DemoBandwidth } from './components/DemoBandwidth.js';
import { DemoParticipants } from './components/DemoParticipants.js';
import { DemoSetup } from './components/DemoSetup.js';
import { HelpOverlay } from './components/HelpOverlay.js';
import { Leaderboard } from './components/Leaderboard.js';
import { LogTail } from './components/LogTail.js';
import { LossChart } from './components/LossChart.js';
import { Weights } from './components/Weights.js';
import { initialDemoView, reduceDemo, sharedLossView, validatorView, type AnyDemoEvent, type DemoView } from './demo-state.js';
import { useScreenKeys } from './keys.js';
import { EventBus, staticSource, useFoldedStore, type EventSource } from './store.js';
import { initialView } from './state.js';
import { useTerminalSize } from './terminal.js';
import { ColorContext, colorFromEnv, useTheme } from './theme.js';

export type DemoEventSource = EventSource<AnyDemoEvent>;

/** The demo's bus: children's events and the demo's own go in, the screen subscribes (backlog replayed). */
export class DemoBus extends EventBus<AnyDemoEvent> {}

export const staticDemoSource = (events: readonly AnyDemoEvent[]): DemoEventSource => staticSource(events);

/** Fold the source into a DemoView, redrawing at most every `intervalMs` (as useEventStore does). */
export const useDemoStore = (source: DemoEventSource, intervalMs = 100): DemoView => useFoldedStore(source, initialDemoView, reduceDemo, intervalMs);

export interface DemoScreenProps {
  source: DemoEventSource;
  onQuit?: () => void;
  color?: boolean;
  intervalMs?: number;
  keys?: boolean;
}

const PANELS = ['loss', 'participants', 'bandwidth', 'leaderboard', 'weights', 'log'] as const;

function useTick(ms: number, on: boolean): number {
  const [n, setN] = useState(0);
  useEffect(() => {
    if (!on) return;
    const t = setInterval(() => setN((x) => x + 1), ms);
    return () => clearInterval(t);
  }, [ms, on]);
  return n;
}

function DemoHeader({ view }: { view: DemoView }) {
  const t = useTheme();
  const r = view.ready;
  const parts: string[] = [];
  if (r) {
    parts.push(`subnet ${r.netuid} on ${r.network}`);
    if (view.block !== null) {
      const w = Math.floor(view.block / r.blocks_per_window);
      const left = ((w + 1) * r.blocks_per_window - view.block) * (r.block_time_ms / 1000);
      parts.push(`block ${view.block}`, `window ${w} (next in ${Math.max(0, Math.round(left))} s)`);
    }
    parts.push(`model ${r.model}, H=${r.inner_steps}`);
  } else parts.push('setting up');
  // one Text with nested parts: a narrow terminal truncates its end, never the title
  return (
    <Text wrap="truncate-end">
      <Text {...t.bold()} {...t.c('cyan')}>
        loco demo
      </Text>
      {view.stopped ? <Text {...t.c(view.stopped.reason === 'failure' ? 'red' : 'yellow')}>{`  stopped (${view.stopped.reason})`}</Text> : null}
      {`  ${parts.join(' · ')}`}
    </Text>
  );
}

function Demo(p: DemoScreenProps) {
  const view = useDemoStore(p.source, p.intervalMs);
  const k = useScreenKeys(PANELS.length, p.onQuit, undefined, p.keys ?? true);
  const { columns, rows } = useTerminalSize();
  const t = useTheme();
  const tick = useTick(120, view.ready === null);
  const f = (name: (typeof PANELS)[number]) => PANELS[k.focus] === name;
  const loss = sharedLossView(view);
  const validator = validatorView(view) ?? initialView();
  const logView = { ...initialView(), log: view.log };
  const hotkeys: Record<number, string> = {};
  for (const x of view.ready?.participants ?? []) hotkeys[x.uid] = `${x.hotkey.slice(0, 5)}…${x.hotkey.slice(-3)}`;
  const side = Math.max(36, Math.min(60, Math.floor(columns * 0.45)));
  const chartW = Math.max(30, columns - side);
  const ready = view.ready !== null;
  // below 30 rows (an 80×24 terminal): one line less in the side panels and no key line, so the
  // whole dashboard stays on the screen
  const compact = rows < 30;
  return (
    <Box flexDirection="column" width={columns}>
      <DemoHeader view={view} />
      {k.help ? <HelpOverlay pause={false} /> : null}
      {!ready ? <DemoSetup view={view} tick={tick} /> : null}
      {k.logPane ? (
        <LogTail view={logView} rows={Math.max(5, rows - 6)} focused />
      ) : ready ? (
        <>
          <Box>
            <Box flexDirection="column" width={chartW}>
              <LossChart view={loss} width={chartW} height={Math.max(4, Math.min(10, rows - 26))} log={k.logScale} focused={f('loss')} />
            </Box>
            <Box flexDirection="column" width={side}>
              <DemoParticipants view={view} focused={f('participants')} />
              <DemoBandwidth view={view} focused={f('bandwidth')} rows={compact ? 1 : 3} />
            </Box>
          </Box>
          <Leaderboard view={validator} hotkeys={hotkeys} focused={f('leaderboard')} rows={3} compact width={columns} />
          <Box>
            <Box flexDirection="column" width={Math.floor(columns * 0.45)}>
              <Weights view={validator} focused={f('weights')} rows={compact ? 1 : 3} />
            </Box>
            <Box flexDirection="column" flexGrow={1}>
              <LogTail view={logView} rows={compact ? 1 : 3} focused={f('log')} />
            </Box>
          </Box>
        </>
      ) : (
        <LogTail view={logView} rows={5} focused={f('log')} />
      )}
      {compact && ready ? null : <Text {...t.dim()}>? help · q quit (stops every process) · tab focus · l log · s log scale</Text>}
    </Box>
  );
}

export function DemoScreen(p: DemoScreenProps) {
  return (
    <ColorContext.Provider value={p.color ?? colorFromEnv()}>
      <Demo {...p} />
    </ColorContext.Provider>
  );
}
