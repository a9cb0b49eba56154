import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { useTheme } from '../theme.js';

export function Panel(props: { title: string; focused?: boolean; width?: number | string; grow?: number; children: ReactNode }) {
  const t = useTheme();
  return (
    <Box flexDirection="column" paddingX={1} {...t.border(Boolean(props.focused))} width={props.width} flexGrow={props.grow}>
      <Text {...t.bold()}>{props.title}</Text>
      {props.children}
    </Box>
  );
}
