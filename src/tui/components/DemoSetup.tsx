import { Text } from 'ink';
import type { DemoView } from '../demo-state.js';
import { useTheme } from '../theme.js';
import { Panel } from './Panel.js';

const STEP_TEXT: Record<string, string> = {
  wallets: 'demo wallets (coldkey + 4 hotkeys)',
  data: 'bundled data → token shards',
  devnet: 'local chain (devnet, fast blocks)',
  subnet: 'subnet, registrations, stake, commitments',
  manifest: 'run manifest',
  children: '1 validator + 3 miners',
};

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Set-up progress: one line per step, a spinner frame on the one in progress. */
export function DemoSetup({ view, tick = 0 }: { view: DemoView; tick?: number }) {
  const t = useTheme();
  return (
    <Panel title="Setting up">
      {view.setup.map((s) => (
        <Text key={s.step} {...(s.state === 'failed' ? t.c('red') : s.state === 'done' ? t.c('green') : {})}>
          {`${s.state === 'done' ? '✓' : s.state === 'failed' ? '✗' : FRAMES[tick % FRAMES.length]} ${STEP_TEXT[s.step] ?? s.step}${s.detail ? ` — ${s.detail}` : ''}${s.seconds !== undefined ? ` (${s.seconds.toFixed(1)} s)` : ''}`}
        </Text>
      ))}
      {view.setup.length === 0 ? <Text>starting…</Text> : null}
    </Panel>
  );
}
