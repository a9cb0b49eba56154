import { Text } from 'ink';
import { fmtNum } from '../chart.js';
import type { View } from '../state.js';
import { Panel } from './Panel.js';

export function Throughput({ view, focused, width }: { view: View; focused?: boolean; width?: number | string }) {
  return (
    <Panel title="Throughput" focused={focused} width={width}>
      <Text>{`tokens/s ${view.tokensPerS === null ? '—' : Math.round(view.tokensPerS)}`}</Text>
      <Text>{`lr ${fmtNum(view.lr)}  |grad| ${fmtNum(view.gradNorm)}`}</Text>
      <Text>{`outer steps ${view.outerSteps}`}</Text>
    </Panel>
  );
}
