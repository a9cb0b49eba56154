import { Text } from 'ink';
import type { View } from '../state.js';
import { useTheme } from '../theme.js';
import { Panel } from './Panel.js';

export function LogTail({ view, rows = 5, focused }: { view: View; rows?: number; focused?: boolean }) {
  const t = useTheme();
  const lines = view.log.slice(-rows);
  return (
    <Panel title="Log" focused={focused}>
      {lines.length === 0 ? <Text>—</Text> : null}
      {lines.map((l, i) => (
        <Text key={i} wrap="truncate-end" {...(l.level === 'error' ? t.c('red') : l.level === 'warn' ? t.c('yellow') : {})}>
          {`${l.t.slice(11, 19)} ${l.text}`}
        </Text>
      ))}
    </Panel>
  );
}
