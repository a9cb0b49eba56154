import { Text } from 'ink';
import type { View } from '../state.js';
import { useTheme } from '../theme.js';
import { Panel } from './Panel.js';

export function Peers({ view, focused, width }: { view: View; focused?: boolean; width?: number | string }) {
  const t = useTheme();
  const p = view.peers;
  return (
    <Panel title={`Peers${p && p.window !== null ? ` (w${p.window})` : ''}`} focused={focused} width={width}>
      {!p ? (
        <Text>nothing gathered yet</Text>
      ) : (
        <>
          <Text {...t.c('green')}>{`gathered ${p.accepted.length}: ${p.accepted.join(', ') || '—'}`}</Text>
          <Text {...t.c('yellow')}>{`missing ${p.missing.length}: ${p.missing.join(', ') || '—'}`}</Text>
          <Text {...t.c('red')}>{`rejected ${p.rejected.length}${p.rejected.length ? ':' : ''}`}</Text>
          {p.rejected.map((r) => (
            <Text key={r.uid} {...t.c('red')}>{`  uid ${r.uid} ${r.reason}${r.message ? ` (${r.message})` : ''}`}</Text>
          ))}
        </>
      )}
    </Panel>
  );
}
