import { Text } from 'ink';
import { Panel } from './Panel.js';

export const KEYS: [string, string][] = [
  ['?', 'show or hide this help'],
  ['q', 'quit (stops the loop cleanly)'],
  ['tab', 'move the focus to the next panel'],
  ['l', 'show the log pane full size or back'],
  ['p', 'pause or resume training'],
  ['s', 'loss chart: linear or log scale'],
];

/** `pause`: list p only where it does something (the Mine screen). */
export function HelpOverlay({ pause = true }: { pause?: boolean }) {
  return (
    <Panel title="Keys" focused>
      {KEYS.filter(([k]) => pause || k !== 'p').map(([k, d]) => (
        <Text key={k}>{`${k.padEnd(5)} ${d}`}</Text>
      ))}
    </Panel>
  );
}
