import { Text } from 'ink';
import { fmtNum } from '../chart.js';
import { sortedLeaderboard, type View } from '../state.js';
import { useTheme } from '../theme.js';
import { Panel } from './Panel.js';

type Col = [header: string, width: number, compactWidth: number];

const COLS: Col[] = [
  ['#', 3, 2],
  ['uid', 5, 4],
  ['hotkey', 10, 10],
  ['own Δ', 10, 8],
  ['rand Δ', 10, 8],
  ['ind MA', 7, 6],
  ['sync', 6, 5],
  ['rating', 13, 10],
  ['final', 8, 8],
  ['weight', 7, 6],
];

const cell = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w)) + ' ';

/**
 * The validator's leaderboard (Validate screen; `compact` on the demo dashboard: narrower columns,
 * and no hotkey column below 92 columns, so the weight column survives an 80-column terminal).
 */
export function Leaderboard({
  view,
  hotkeys = {},
  focused,
  rows = 16,
  compact = false,
  width = Infinity,
}: {
  view: View;
  hotkeys?: Record<number, string>;
  focused?: boolean;
  rows?: number;
  compact?: boolean;
  width?: number;
}) {
  const t = useTheme();
  const withHotkey = !compact || width >= 92;
  const cols = COLS.filter(([h]) => withHotkey || h !== 'hotkey').map(([h, w, cw]) => [h, compact ? cw : w] as const);
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
