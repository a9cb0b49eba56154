import { Box, Text } from 'ink';
import type { FieldSpec, FormState } from '../form.js';
import { useTheme } from '../theme.js';
import { Panel } from './Panel.js';

/** Draws a form: a masked field shows one '•' per character, never its text. */
export function Form({ title, fields, state, busyText, footer }: { title: string; fields: readonly FieldSpec[]; state: FormState; busyText?: string; footer?: string }) {
  const t = useTheme();
  const width = Math.max(...fields.map((f) => f.label.length));
  return (
    <Panel title={title} focused>
      {fields.map((f, i) => {
        const v = state.values[f.name] ?? '';
        const shown = f.masked ? '•'.repeat([...v].length) : v;
        const here = i === state.index;
        return (
          <Box key={f.name}>
            <Text {...(here ? t.bold() : t.dim())}>{`${here ? '›' : ' '} ${f.label.padEnd(width)}  `}</Text>
            <Text>{shown}</Text>
            {here && !state.busy ? <Text {...t.c('cyan')}>▏</Text> : null}
            {f.hint && here ? <Text {...t.dim()}>{`  ${f.hint}`}</Text> : null}
          </Box>
        );
      })}
      {state.error ? <Text {...t.c('red')}>{state.error}</Text> : null}
      {state.busy ? <Text {...t.c('yellow')}>{busyText ?? 'working…'}</Text> : null}
      <Text {...t.dim()}>{footer ?? 'enter next · ↑ back · esc cancel'}</Text>
    </Panel>
  );
}
