import { Text } from 'ink';
import { demoBandwidth, type DemoView } from '../demo-state.js';
import { fmtBytesShort } from '../state.js';
import { Panel } from './Panel.js';

/** Per window: what the miners uploaded and gathered together, and the compression ratio. */
export function DemoBandwidth({ view, focused, rows = 4, width }: { view: DemoView; focused?: boolean; rows?: number; width?: number | string }) {
  const list = demoBandwidth(view).slice(-rows);
  return (
    <Panel title="Bytes per window (all miners)" focused={focused} width={width}>
      {list.length === 0 ? <Text>no window uploaded yet</Text> : <Text wrap="truncate-end">{'win   ↑up      ↓down    ratio'}</Text>}
      {list.map((b) => (
        <Text key={b.window} wrap="truncate-end">
          {`w${String(b.window).padEnd(4)} ↑${fmtBytesShort(b.up).padEnd(7)} ↓${fmtBytesShort(b.down).padEnd(7)} ${b.ratio === null ? '—' : `${b.ratio.toFixed(0)}×`}`}
        </Text>
      ))}
    </Panel>
  );
}
