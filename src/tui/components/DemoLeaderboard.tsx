import { Text } from 'ink';
import { fmtNum } from '../chart.js';
import { sortedLeaderboard, type View } from '../state.js';
import { useTheme } from '../theme.js';
import { Panel } from './Panel.js';

const cell = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w)) + ' ';

/**
 * The validator's leaderboard for the demo dashboard: the same rows as the Validate screen's, in
 * narrower columns so that the weight column survives an 80-column terminal (the hotkey goes first).
 */
export function DemoLeaderboard({ view, hotkeys = {}, focused, rows = 4, width = 100 }: { view: View; hotkeys?: Record<number, string>; focused?: boolean; rows?: number; width?: number }) {
  const t = useTheme();
  const withHotkey = width >= 92;
  const cols: [string, number][] = [
    ['#', 2],
    ['uid', 4],
    ...(withHotkey ? ([['hotkey', 10]] as [string, number][]) : []),
    ['own Δ', 8],
    ['rand Δ', 8],
    ['ind MA', 6],
    ['sync', 5],
    ['rating', 10],
    ['final', 8],
    ['weight', 6],
  ];
  const list = sortedLeaderboard(view.leaderboard).slice(0, rows);
  return (
    <Panel title={`Leaderboard (${view.leaderboard.length} miners, ${view.evaluated} evaluations)`} focused={focused}>
      <Text wrap="truncate-end" {...t.bold()}>
        {cols.map(([h, w]) => cell(h, w)).join('').trimEnd()}
      </Text>
      {list.length === 0 ? <Text>no miner evaluated yet</Text> : null}
      {list.map((r, i) => {
        const vals = [
          String(i + 1),
          String(r.uid),
          ...(withHotkey ? [r.hotkey ?? hotkeys[r.uid] ?? '—'] : []),
          fmtNum(r.ownImprovement),
          fmtNum(r.randomImprovement),
          fmtNum(r.indicatorMa, 2),
          fmtNum(r.sync, 2),
          r.mu === null ? '—' : `${r.mu.toFixed(1)}±${(r.sigma ?? 0).toFixed(1)}`,
          fmtNum(r.final),
          r.weight === null ? '—' : r.weight.toFixed(3),
        ];
        return (
          <Text key={r.uid} wrap="truncate-end" {...(r.penalty ? t.c('yellow') : {})}>
            {vals.map((v, k) => cell(v, cols[k][1])).join('').trimEnd() + (r.penalty ? `  ${r.penalty}` : '')}
          </Text>
        );
      })}
    </Panel>
  );
}
