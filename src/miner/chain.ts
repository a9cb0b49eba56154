// The role loops on a chain (docs/mining.md): the window clock from blocks and block timestamps,
// peers resolved from commitments (each participant commits its store URL), and weights put on
// chain with set_weights (or commit–reveal where the subnet requires it).
import type { Chain } from '../chain/client.js';
import { normaliseWeights } from '../chain/weights.js';
import { existsSync } from 'node:fs';
import { LocoError } from '../errors.js';
import type { EventSink } from '../protocol/events.js';
import { CommitReveal } from './commit-reveal.js';
import { windowOf, windowStartBlock } from '../protocol/clock.js';
import { openStore } from '../storage/index.js';
import type { Keypair } from '../wallet/keypair.js';
import { publicKeypair } from '../wallet/keypair.js';
import type { Peer, WindowSource } from './window.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** Windows from chain blocks: window = ⌊block / blocks_per_window⌋; a window's start time is its first block's timestamp. */
export class ChainClock implements WindowSource {
  private timeCache = new Map<number, Date>();
  constructor(
    readonly chain: Chain,
    readonly blocksPerWindow: number,
    readonly pollMs = 250,
  ) {}

  async current(): Promise<number> {
    return windowOf(await this.chain.blockNumber(), this.blocksPerWindow);
  }

  async waitFor(w: number): Promise<void> {
    while ((await this.current()) < w) await new Promise((r) => setTimeout(r, this.pollMs));
  }

  async startTime(w: number): Promise<Date> {
    const hit = this.timeCache.get(w);
    if (hit) return hit;
    const api = this.chain.api as Any;
    const block = windowStartBlock(w, this.blocksPerWindow);
    if ((await this.chain.blockNumber()) < block) throw new LocoError('invalidInput', `window ${w} has not begun`);
    const hash = await api.rpc.chain.getBlockHash(block);
    // the Timestamp.set inherent in the block's body (bodies outlive pruned state), else the state
    let ms: number | undefined;
    try {
      const signed = await api.rpc.chain.getBlock(hash);
      for (const x of signed.block.extrinsics) {
        if (x.method.section === 'timestamp' && x.method.method === 'set') ms = Number(x.method.args[0].toString());
      }
    } catch {
      /* fall back to the state */
    }
    if (ms === undefined) ms = Number((await api.query.timestamp.now.at(hash)).toString());
    const t = new Date(ms);
    this.timeCache.set(w, t);
    return t;
  }
}

/** Commitment text of a participant: its store URL (`file://…` or `s3://…`). */
export function storeCommitment(url: string): Uint8Array {
  return new TextEncoder().encode(url);
}

/** Peers of a subnet: registered hotkeys that committed a store URL, with their uids (sorted by uid). */
export async function commitmentPeers(chain: Chain, netuid: number, opts: { exclude?: number[] } = {}): Promise<Peer[]> {
  const [mg, commits] = await Promise.all([chain.metagraph(netuid), chain.commitments(netuid)]);
  const urlOf = new Map<string, string>();
  for (const c of commits) {
    const text = c.fields[0]?.text;
    if (text && /^(file|s3):\/\//.test(text)) urlOf.set(c.hotkey, text);
  }
  const out: Peer[] = [];
  for (const n of mg.neurons) {
    const url = urlOf.get(n.hotkey);
    if (!url || opts.exclude?.includes(n.uid)) continue;
    const kp = await publicKeypair({ ss58: n.hotkey });
    out.push({ uid: n.uid, hotkey: kp.publicKey, ss58: kp.ss58Address, store: openStore(url) });
  }
  return out.sort((a, b) => a.uid - b.uid);
}

export interface ChainWeightsResult {
  included: boolean;
  block?: number;
  mode: 'set' | 'commit';
  commitHash?: string;
  revealEpoch?: number;
  revealBlock?: number;
}

export interface ChainWeightsOptions {
  /** commit–reveal: where pending commits (salt included) are kept, so a restart still reveals them */
  stateFile?: string;
  /** commit–reveal: the reveal poller's period (default 3000 ms) */
  pollMs?: number;
  /** the validator's events and uid (reveals arrive as `weights` events with mode 'reveal') */
  events?: EventSink;
  uid?: number;
  log?: (message: string) => void;
}

/** The validator's `setWeights` hook; `close` stops the commit–reveal poller. */
export type ChainWeightsHook = ((uids: number[], weights: number[]) => Promise<ChainWeightsResult>) & {
  close: () => Promise<void>;
  /** the commit–reveal side (created on the first commit, or at once when the state file holds pending commits) */
  commitReveal: () => CommitReveal | undefined;
};

/**
 * A `setWeights` hook for the validator: normalise to u16 as the SDK does, then set_weights; on a
 * subnet with commit–reveal on, commit_weights now and reveal_weights in the reveal epoch
 * (src/miner/commit-reveal.ts).
 */
export function chainSetWeights(chain: Chain, netuid: number, hotkey: Keypair, opts: ChainWeightsOptions = {}): ChainWeightsHook {
  let cr: CommitReveal | undefined;
  const commitReveal = () => (cr ??= new CommitReveal({ chain, netuid, hotkey, ...opts }));
  // pending commits from before a restart are revealed whether or not this run sets weights again
  if (opts.stateFile && existsSync(opts.stateFile)) commitReveal();
  const hook = async (uids: number[], weights: number[]): Promise<ChainWeightsResult> => {
    const e = normaliseWeights(uids, weights);
    if (await chain.commitRevealEnabled(netuid)) {
      if (e.uids.length === 0) throw new LocoError('invalidInput', 'all weights are zero: nothing to commit');
      return commitReveal().commit(e.uids, e.values, await chain.weightsVersionKey(netuid));
    }
    const vk = await chain.weightsVersionKey(netuid);
    const r = await chain.submit(chain.tx.setWeights(netuid, e.uids, e.values, vk), hotkey, 'set_weights');
    return { included: true, block: r.blockNumber, mode: 'set' };
  };
  return Object.assign(hook, { close: async () => cr?.close(), commitReveal: () => cr });
}
