import { Text } from 'ink';
import type { View } from '../state.js';
import { useTheme } from '../theme.js';
import { Panel } from './Panel.js';

export function Weights({ view, focused, rows = 5 }: { view: View; focused?: boolean; rows?: number }) {
  const t = useTheme();
  const list = view.weights.slice(-rows);
  return (
    <Panel title="Weight submissions" focused={focused}>
      {list.length === 0 ? <Text>no weights yet</Text> : null}
      {list.map((w, i) => {
        const state = w.error ? `failed: ${w.error}` : !w.submitted ? 'computed (not sent)' : w.included ? `${w.mode === 'commit' ? 'hash committed' : w.mode === 'reveal' ? 'revealed' : 'included'} in block ${w.block ?? '?'}` : 'submitted, waiting for inclusion';
        return <Text key={i} {...t.c(w.error ? 'red' : w.included ? 'green' : 'yellow')}>{`w${w.window ?? '—'} ${w.count} uids: ${state}`}</Text>;
      })}
    </Panel>
  );
}
