import { Text } from 'ink';
import { fmtNum } from '../chart.js';
import { sortedLeaderboard, type View } from '../state.js';
import { useTheme } from '../theme.js';
import { Panel } from './Panel.js';

const COLS: [string, number][] = [
  ['#', 3],
  ['uid', 5],
  ['hotkey', 10],
  ['own Δ', 10],
  ['rand Δ', 10],
  ['ind MA', 7],
  ['sync', 6],
  ['rating', 13],
  ['final', 8],
  ['weight', 7],
];

const cell = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w)) + ' ';

export function Leaderboard({ view, hotkeys = {}, focused, rows = 16 }: { view: View; hotkeys?: Record<number, string>; focused?: boolean; rows?: number }) {
  const t = useTheme();
  const list = sortedLeaderboard(view.leaderboard).slice(0, rows);
  return (
    <Panel title={`Leaderboard (${view.leaderboard.length} miners, ${view.evaluated} evaluations)`} focused={focused}>
      <Text wrap="truncate-end" {...t.bold()}>{COLS.map(([h, w]) => cell(h, w)).join('')}</Text>
      {list.length === 0 ? <Text>no miner evaluated yet</Text> : null}
      {list.map((r, i) => {
        const hk = r.hotkey ?? hotkeys[r.uid] ?? '—';
        const vals = [
          String(i + 1),
          String(r.uid),
          hk,
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
            {vals.map((v, k) => cell(v, COLS[k][1])).join('').trimEnd() + (r.penalty ? `  ${r.penalty}` : '')}
          </Text>
        );
      })}
    </Panel>
  );
}
