import { Text } from 'ink';
import { fmtBytesShort as fmtBytes, type View } from '../state.js';
import { Panel } from './Panel.js';

export function Bandwidth({ view, focused, rows = 4, width }: { view: View; focused?: boolean; rows?: number; width?: number | string }) {
  const list = view.bandwidth.slice(-rows);
  const s = (x: number | null) => (x === null ? '—' : x.toFixed(2));
  return (
    <Panel title="Bandwidth" focused={focused} width={width}>
      {list.length === 0 ? <Text>no window uploaded or gathered yet</Text> : <Text wrap="truncate-end">win ↑up ↓down ratio upload/gather s</Text>}
      {list.map((b) => (
        <Text key={b.window} wrap="truncate-end">
          {`w${b.window} ↑${fmtBytes(b.up)} ↓${fmtBytes(b.down)} ${b.ratio === null ? '—' : `${b.ratio.toFixed(0)}×`} ${s(b.uploadSeconds)}/${s(b.gatherSeconds)}`}
        </Text>
      ))}
    </Panel>
  );
}
