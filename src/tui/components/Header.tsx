import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import type { ChainStatusEvent } from '../../protocol/events.js';
import { fmtNum } from '../chart.js';
import type { View } from '../state.js';
import { useTheme } from '../theme.js';

/** What the events do not carry: the caller (CLI) fills it in. A `chain_status` event overrides the chain fields. */
export interface HeaderInfo {
  network?: string;
  netuid?: number;
  block?: number;
  /** seconds until the next window, when known */
  countdown?: number;
  stake?: number;
  incentive?: number;
  paused?: boolean;
  /** windows of this many wall-clock seconds (--window-seconds): the countdown without a chain */
  windowSeconds?: number;
  /** training FLOPs per token of the run's model (flopsPerToken(model, {training: true})): the Throughput panel's MFU */
  flopsPerToken?: number;
  /** peak FLOP/s the MFU is measured against (GFLOP/s; e.g. LOCO_PEAK_GFLOPS); absent: MFU is not shown */
  peakGflops?: number;
}

/** Wall-clock ms, re-read every `ms` while `on` (the countdown ticks between chain polls). */
function useNow(on: boolean, ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!on) return;
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [on, ms]);
  return now;
}

/** Seconds left until the next window, counted down from the last chain_status. */
export function countdownFrom(c: ChainStatusEvent, now: number): number | null {
  if (c.next_window_in_s === null) return null;
  const since = (now - Date.parse(c.t)) / 1000;
  return Math.max(0, c.next_window_in_s - Math.max(0, since));
}

const amount = (x: number | null) => (x === null ? '—' : x >= 1000 ? x.toFixed(0) : x.toFixed(x >= 1 ? 2 : 4));

/** The second header line: what the chain says about this uid (miners: the validators' view). */
function chainLine(c: ChainStatusEvent, role: View['role']): string {
  if (!c.registered) return `not registered on subnet ${c.netuid}`;
  const parts = [`stake ${amount(c.stake)}`];
  if (role === 'validator') {
    parts.push(`dividends ${fmtNum(c.dividends)}`, `validator permit ${c.validator_permit ? 'yes' : 'no'}`);
  } else {
    parts.push(`incentive ${fmtNum(c.incentive)}`, `trust ${fmtNum(c.trust)}`, `emission ${amount(c.emission)}`);
    if (c.weights_in.length) {
      const mean = c.weights_in.reduce((s, w) => s + w.weight, 0) / c.weights_in.length;
      const each = c.weights_in.slice(0, 4).map((w) => `${w.uid}:${w.weight.toFixed(3)}`).join(' ');
      parts.push(`validators' weight ${mean.toFixed(3)} (${each}${c.weights_in.length > 4 ? ' …' : ''})`);
    } else parts.push("validators' weight — (none set on this uid yet)");
  }
  return parts.join(' · ');
}

export function Header({ view, info = {}, title }: { view: View; info?: HeaderInfo; title: string }) {
  const t = useTheme();
  const c = view.chain;
  const ws = info.windowSeconds && info.windowSeconds > 0 ? info.windowSeconds : undefined;
  const now = useNow(Boolean((c && c.next_window_in_s !== null) || ws));
  const network = c?.network ?? info.network;
  const netuid = c?.netuid ?? info.netuid;
  const block = c?.block ?? info.block;
  const countdown = ws !== undefined ? ws - ((now / 1000) % ws) : c ? (countdownFrom(c, now) ?? undefined) : info.countdown;
  const parts: string[] = [];
  if (network) parts.push(`network ${network}${netuid !== undefined ? `/${netuid}` : ''}`);
  if (block !== undefined) parts.push(`block ${block}`);
  parts.push(`window ${view.window ?? '—'}`);
  if (countdown !== undefined) parts.push(`next in ${Math.max(0, Math.round(countdown))} s`);
  parts.push(`uid ${view.uid ?? '—'}`);
  if (!c && info.stake !== undefined) parts.push(`stake ${info.stake}`);
  if (!c && info.incentive !== undefined) parts.push(`incentive ${info.incentive}`);
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
      {c ? <Text {...(c.registered ? {} : t.c('yellow'))}>{`chain  ${chainLine(c, view.role)}`}</Text> : null}
      {view.fatal ? <Text {...t.c('red')}>{`stopped: ${view.fatal}`}</Text> : null}
    </Box>
  );
}
