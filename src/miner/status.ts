// What the chain says about a running miner or validator, polled in the background and emitted as
// `chain_status` events (docs/events.md): block, window and the countdown to the next one, the
// hotkey's stake, incentive, trust, and the validators' weights on it. Polling never blocks the
// role loop: a failed poll is skipped (the client reconnects by itself) and the next one tries again.
import type { Chain } from '../chain/client.js';
import { blocksUntilNextWindow, windowOf } from '../protocol/clock.js';
import { EVENTS_VERSION, type ChainStatusEvent, type EventSink, type Role } from '../protocol/events.js';
import { ChainClock } from './chain.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

export interface ChainStatusOptions {
  chain: Chain;
  network: string;
  netuid: number;
  role: Role;
  /** the participant's uid (used until the metagraph says otherwise) */
  uid: number;
  /** the hotkey's SS58 address */
  hotkey: string;
  blocksPerWindow: number;
  /** windows of this many wall-clock seconds (--window-seconds) instead of chain blocks */
  windowSeconds?: number;
  sink: EventSink;
  /** how often the block is read and an event emitted (default 5 s) */
  intervalMs?: number;
  /** how often the metagraph and the weights are re-read (default 24 s: they change once per tempo) */
  slowEveryMs?: number;
}

const RAO = 1e9;
const whole = (rao: bigint) => Number(rao) / RAO;

/** Seconds per block from (block, wall-clock ms) samples: the slope between the first and the last. */
export function blockSecondsFromSamples(samples: readonly { block: number; ms: number }[]): number | null {
  if (samples.length < 2) return null;
  const a = samples[0];
  const b = samples[samples.length - 1];
  return b.block > a.block ? (b.ms - a.ms) / 1000 / (b.block - a.block) : null;
}

/** Each validator's weight on `uid` as a share of the weights it set (rows: [validator uid, [[uid, u16 weight], …]]). */
export function weightsOn(uid: number, rows: readonly [number, readonly (readonly [number, number])[]][]): { uid: number; weight: number }[] {
  const out: { uid: number; weight: number }[] = [];
  for (const [v, list] of rows) {
    const sum = list.reduce((s, [, w]) => s + w, 0);
    const mine = list.find(([u]) => u === uid);
    if (mine && sum > 0) out.push({ uid: v, weight: mine[1] / sum });
  }
  return out.sort((a, b) => a.uid - b.uid);
}

interface Slow {
  at: number;
  uid: number;
  registered: boolean;
  fields: Pick<ChainStatusEvent, 'stake' | 'incentive' | 'trust' | 'consensus' | 'dividends' | 'emission' | 'validator_permit' | 'weights_in'>;
}

export class ChainStatusPoller {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private samples: { block: number; ms: number }[] = [];
  private slow: Slow | null = null;
  private readonly clock: ChainClock;
  /** the last poll's failure (for --verbose), null after a good poll */
  lastError: string | null = null;

  constructor(private readonly o: ChainStatusOptions) {
    this.clock = new ChainClock(o.chain, o.blocksPerWindow);
  }

  start(): this {
    const tick = async () => {
      await this.poll().catch((e) => {
        this.lastError = (e as Error).message;
      });
      if (!this.stopped) this.timer = setTimeout(tick, this.o.intervalMs ?? 5000);
    };
    void tick();
    return this;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async blockSeconds(block: number): Promise<number | null> {
    const w = windowOf(block, this.o.blocksPerWindow);
    // the chain's own timestamps: first blocks of this window and the one before (not the genesis
    // block: it carries no timestamp)
    if (w >= 2) {
      try {
        const [a, b] = await Promise.all([this.clock.startTime(w - 1), this.clock.startTime(w)]);
        const s = (b.getTime() - a.getTime()) / 1000 / this.o.blocksPerWindow;
        if (s > 0 && s < 3600) return s;
      } catch {
        /* no timestamps (pruned or not served): use what we measured */
      }
    }
    return blockSecondsFromSamples(this.samples);
  }

  private async readSlow(): Promise<Slow> {
    const { chain, netuid, hotkey } = this.o;
    const mg = await chain.metagraph(netuid);
    const n = mg.neurons.find((x) => x.hotkey === hotkey);
    const uid = n?.uid ?? this.o.uid;
    let weights_in: { uid: number; weight: number }[] = [];
    const q: Any = (chain.api.query as Any).subtensorModule;
    if (n && q?.weights?.entries) {
      const entries: Any[] = await q.weights.entries(netuid);
      const rows = entries.map(([k, v]: Any) => [Number(k.args[1].toString()), v.toJSON() as [number, number][]] as [number, [number, number][]]);
      weights_in = weightsOn(uid, rows);
    }
    return {
      at: Date.now(),
      uid,
      registered: Boolean(n),
      fields: {
        stake: n ? whole(n.stake) : null,
        incentive: n?.incentive ?? null,
        trust: n?.trust ?? null,
        consensus: n?.consensus ?? null,
        dividends: n?.dividends ?? null,
        emission: n ? whole(n.emission) : null,
        validator_permit: n?.validatorPermit ?? false,
        weights_in,
      },
    };
  }

  /** Read the chain once and emit one `chain_status` event (also returned). */
  async poll(): Promise<ChainStatusEvent> {
    const { chain, blocksPerWindow } = this.o;
    const block = await chain.blockNumber();
    const now = Date.now();
    if (!this.samples.length || this.samples[this.samples.length - 1].block !== block) this.samples = [...this.samples, { block, ms: now }].slice(-20);
    if (!this.slow || now - this.slow.at >= (this.o.slowEveryMs ?? 24_000)) this.slow = await this.readSlow();
    const bs = await this.blockSeconds(block);
    const ws = this.o.windowSeconds;
    const window = ws ? Math.floor(now / (ws * 1000)) : windowOf(block, blocksPerWindow);
    const nextIn = ws ? ws - ((now / 1000) % ws) : bs === null ? null : blocksUntilNextWindow(block, blocksPerWindow) * bs;
    const e: ChainStatusEvent = {
      v: EVENTS_VERSION,
      t: new Date().toISOString(),
      role: this.o.role,
      uid: this.slow.uid,
      window,
      event: 'chain_status',
      network: this.o.network,
      netuid: this.o.netuid,
      block,
      block_seconds: bs,
      next_window_in_s: nextIn,
      registered: this.slow.registered,
      ...this.slow.fields,
    };
    this.lastError = null;
    if (!this.stopped) {
      try {
        this.o.sink(e);
      } catch {
        /* a broken consumer never stops the poller */
      }
    }
    return e;
  }
}

/** Start polling; `stop()` ends it (an in-flight read finishes but emits nothing). */
export function startChainStatus(o: ChainStatusOptions): ChainStatusPoller {
  return new ChainStatusPoller(o).start();
}
