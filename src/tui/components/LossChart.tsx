import { Box, Text } from 'ink';
import { brailleChart, fmtNum, sparkline } from '../chart.js';
import { windowSeries, type View } from '../state.js';
import { useTheme } from '../theme.js';
import { Panel } from './Panel.js';

export function LossChart({ view, width, height = 8, log = false, focused }: { view: View; width: number; height?: number; log?: boolean; focused?: boolean }) {
  const t = useTheme();
  const label = 9;
  const plotW = Math.max(8, width - label - 4);
  const chart = brailleChart(
    view.steps.map((s) => s.loss),
    { width: plotW, height, log },
  );
  const wins = windowSeries(view);
  const last = view.steps.length ? view.steps[view.steps.length - 1] : null;
  const first = view.steps.find((s) => s.loss !== null);
  return (
    <Panel title={`Loss${log ? ' (log scale)' : ''}`} focused={focused} width={width}>
      {view.steps.length === 0 ? (
        <Text {...t.dim()}>waiting for the first inner step…</Text>
      ) : (
        <>
          {chart.lines.map((line, i) => (
            <Box key={i}>
              <Text {...t.dim()}>{(i === 0 ? fmtNum(chart.max, 3) : i === chart.lines.length - 1 ? fmtNum(chart.min, 3) : '').padStart(label - 1) + ' '}</Text>
              <Text {...t.c('green')}>{line}</Text>
            </Box>
          ))}
          <Text>{`step ${last?.step ?? '—'}  loss ${fmtNum(last?.loss ?? null)}  first ${fmtNum(first?.loss ?? null)}`}</Text>
          <Text>
            {`per window `}
            <Text {...t.c('green')}>{sparkline(wins.map((w) => w.loss), plotW - 12, log)}</Text>
            {wins.length ? `  w${wins[wins.length - 1].window} ${fmtNum(wins[wins.length - 1].loss)}` : ''}
          </Text>
        </>
      )}
    </Panel>
  );
}
