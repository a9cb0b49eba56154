import { Box, Text } from 'ink';
import type { View } from '../state.js';
import { useTheme } from '../theme.js';

/** What the events do not carry: the caller (CLI) fills it in from the chain and the clock. */
export interface HeaderInfo {
  network?: string;
  netuid?: number;
  block?: number;
  /** seconds until the next window, when known */
  countdown?: number;
  stake?: number;
  incentive?: number;
  paused?: boolean;
}

export function Header({ view, info = {}, title }: { view: View; info?: HeaderInfo; title: string }) {
  const t = useTheme();
  const parts: string[] = [];
  if (info.network) parts.push(`network ${info.network}${info.netuid !== undefined ? `/${info.netuid}` : ''}`);
  if (info.block !== undefined) parts.push(`block ${info.block}`);
  parts.push(`window ${view.window ?? '—'}`);
  if (info.countdown !== undefined) parts.push(`next in ${Math.max(0, Math.round(info.countdown))} s`);
  parts.push(`uid ${view.uid ?? '—'}`);
  if (info.stake !== undefined) parts.push(`stake ${info.stake}`);
  if (info.incentive !== undefined) parts.push(`incentive ${info.incentive}`);
  if (view.phase) parts.push(`phase ${view.phase}`);
  return (
    <Box flexDirection="column">
      <Box>
        <Text {...t.bold()} {...t.c('cyan')}>
          {`loco ${title}`}
        </Text>
        <Text>{`  ${parts.join(' · ')}`}</Text>
        {info.paused ? <Text {...t.c('yellow')}>{'  PAUSED'}</Text> : null}
      </Box>
      {view.fatal ? <Text {...t.c('red')}>{`stopped: ${view.fatal}`}</Text> : null}
    </Box>
  );
}
