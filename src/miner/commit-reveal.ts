// Hash commit–reveal of weights for subnets with CommitRevealWeightsEnabled (finney's default):
// commit_weights carries blake2_256 of (hotkey, netuid, uids, values, salt, version_key) — the
// SDK/btcli hash, with btcli's random 8×u16 salt — and reveal_weights must come in exactly epoch
// commit_epoch + RevealPeriodEpochs, where epoch = ⌊(block + netuid + 1) / (tempo + 1)⌋ (Subtensor's
// epoch index; the devnet's runtime.ts epochIndex). The validator's own calls need not fall in that
// epoch, so a light poller (a timer reading the head every few seconds while a commit is pending)
// sends the reveal. Pending commits, salt included, live in a small 0600 JSON file written atomically,
// so a restarted validator still reveals what it committed; the salt appears nowhere else.
import { existsSync, readFileSync } from 'node:fs';
import type { Chain } from '../chain/client.js';
import { commitHash, randomSalt } from '../chain/weights.js';
import { LocoError } from '../errors.js';
import { EventEmitterFor, type EventSink } from '../protocol/events.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Keypair } from '../wallet/keypair.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** Subtensor's epoch index of a block (subnets/weights.rs get_epoch_index; devnet runtime.ts epochIndex). */
export function epochIndex(block: number, netuid: number, tempo: number): number {
  return Math.floor((block + netuid + 1) / (tempo + 1));
}

/** The first block of epoch `epoch` (the inverse of epochIndex). */
export function epochFirstBlock(epoch: number, netuid: number, tempo: number): number {
  return epoch * (tempo + 1) - netuid - 1;
}

/** One commit waiting for its reveal (as kept in the state file). */
export interface PendingCommit {
  netuid: number;
  /** ss58 of the hotkey that committed (and must reveal) */
  hotkey: string;
  commitHash: string;
  uids: number[];
  /** the u16 values as committed */
  values: number[];
  salt: number[];
  versionKey: string;
  /** null until the commit is known to be in a block (written before submitting, so a crash mid-commit loses nothing) */
  commitBlock: number | null;
  commitEpoch: number | null;
  revealEpoch: number | null;
}

interface StateFile {
  v: 1;
  pending: PendingCommit[];
}

export interface CommitResult {
  included: true;
  block?: number;
  mode: 'commit';
  commitHash: string;
  revealEpoch?: number;
  /** first block of the reveal epoch */
  revealBlock?: number;
}

export interface CommitRevealOptions {
  chain: Chain;
  netuid: number;
  hotkey: Keypair;
  /** where pending commits are kept (absent: in memory only, lost on restart) */
  stateFile?: string;
  /** how often the poller reads the head while a commit is pending (default 3000 ms) */
  pollMs?: number;
  /** the validator's events (a reveal, or a dropped commit, becomes a `weights` event with mode 'reveal') */
  events?: EventSink;
  /** the validator's uid (for the events) */
  uid?: number;
  /** a line for the person running it (why a commit was dropped, a failed reveal to be retried) */
  log?: (message: string) => void;
}

const FINAL_REVEAL_ERRORS = /ExpiredWeightCommit|NoWeightsCommitFound|InvalidRevealCommitHashNotMatch|CommitRevealDisabled|HotKeyNotRegisteredInSubNet/;

export class CommitReveal {
  private pending: PendingCommit[] = [];
  /** commits this process is sending now (their block is not known yet, and not looked up either) */
  private inFlight = new Set<PendingCommit>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private busy: Promise<void> | undefined;
  private closed = false;
  private readonly ev: EventEmitterFor;

  constructor(readonly o: CommitRevealOptions) {
    this.ev = new EventEmitterFor('validator', o.uid ?? -1, o.events);
    if (o.stateFile && existsSync(o.stateFile)) {
      let saved: StateFile;
      try {
        saved = JSON.parse(readFileSync(o.stateFile, 'utf8'));
      } catch {
        throw new LocoError('invalidInput', `${o.stateFile} is not a commit–reveal state file (JSON); move it away to start afresh`);
      }
      // only this hotkey's commits on this subnet can be revealed here
      this.pending = (saved.pending ?? []).filter((p) => p.netuid === o.netuid && p.hotkey === o.hotkey.ss58Address);
    }
    if (this.pending.length) this.startPolling();
  }

  /** Commits waiting for their reveal epoch (copies; the salt stays inside). */
  get pendingCommits(): Array<Omit<PendingCommit, 'salt'>> {
    return this.pending.map(({ salt: _salt, ...rest }) => ({ ...rest }));
  }

  private save(): void {
    if (!this.o.stateFile) return;
    const body: StateFile = { v: 1, pending: this.pending };
    writeFileAtomic(this.o.stateFile, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  }

  private async hyper(): Promise<{ tempo: number; revealPeriod: number }> {
    const q = (this.o.chain.api.query as Any).subtensorModule;
    const [tempo, period] = await Promise.all([q.tempo(this.o.netuid), q.revealPeriodEpochs ? q.revealPeriodEpochs(this.o.netuid) : undefined]);
    return { tempo: Number(tempo.toString()), revealPeriod: period === undefined ? 1 : Number(period.toString()) };
  }

  /** commit_weights for already-normalised u16 values; the reveal follows from the poller. */
  async commit(uids: number[], values: number[], versionKey: bigint): Promise<CommitResult> {
    if (this.closed) throw new LocoError('chain', 'commit–reveal: closed');
    const { chain, netuid, hotkey } = this.o;
    const salt = randomSalt();
    const hash = commitHash({ hotkey: hotkey.publicKey, netuid, uids, values, salt, versionKey });
    const entry: PendingCommit = {
      netuid,
      hotkey: hotkey.ss58Address,
      commitHash: hash,
      uids: [...uids],
      values: [...values],
      salt,
      versionKey: versionKey.toString(),
      commitBlock: null,
      commitEpoch: null,
      revealEpoch: null,
    };
    this.pending.push(entry);
    this.inFlight.add(entry);
    let block: number;
    let tempo: number;
    let revealPeriod: number;
    try {
      this.save();
      const r = await chain.submit(chain.tx.commitWeights(netuid, hash), hotkey, 'commit_weights');
      block = r.blockNumber ?? (await chain.blockNumber());
      ({ tempo, revealPeriod } = await this.hyper());
    } catch (e) {
      this.pending = this.pending.filter((p) => p !== entry);
      this.inFlight.delete(entry);
      this.save();
      throw e;
    }
    entry.commitBlock = block;
    entry.commitEpoch = epochIndex(block, netuid, tempo);
    entry.revealEpoch = entry.commitEpoch + revealPeriod;
    this.inFlight.delete(entry);
    this.save();
    this.startPolling();
    return { included: true, block, mode: 'commit', commitHash: hash, revealEpoch: entry.revealEpoch, revealBlock: epochFirstBlock(entry.revealEpoch, netuid, tempo) };
  }

  private startPolling(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.poll(), this.o.pollMs ?? 3000);
    this.timer.unref?.();
    void this.poll();
  }

  private stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look at the chain: reveal what is due, drop what expired. Never throws. */
  poll(): Promise<void> {
    if (this.busy) return this.busy;
    this.busy = this.revealDue()
      .catch((e) => this.o.log?.(`commit–reveal: ${(e as Error).message} (will retry)`))
      .finally(() => {
        this.busy = undefined;
        if (!this.pending.length) this.stopPolling();
      });
    return this.busy;
  }

  private drop(p: PendingCommit, reason: string): void {
    this.pending = this.pending.filter((x) => x !== p);
    this.save();
    this.o.log?.(`commit–reveal: dropped commit ${p.commitHash}: ${reason}`);
    this.ev.emit({ event: 'weights', window: null, uids: p.uids, weights: shares(p.values), submitted: false, mode: 'reveal', commitHash: p.commitHash, error: reason });
  }

  private async revealDue(): Promise<void> {
    if (!this.pending.length || this.closed) return;
    const { chain, netuid, hotkey } = this.o;
    const [head, { tempo }] = await Promise.all([chain.blockNumber(), this.hyper()]);
    // a commit from before a crash without its block: the chain's WeightCommits tells whether and when it landed
    for (const p of this.pending.filter((x) => x.commitBlock === null && !this.inFlight.has(x))) {
      const found = await this.onChainCommit(p.commitHash);
      if (!found) {
        this.drop(p, 'the commit is not on chain (never included, or already revealed or expired)');
        continue;
      }
      const { revealPeriod } = await this.hyper();
      p.commitBlock = found;
      p.commitEpoch = epochIndex(found, netuid, tempo);
      p.revealEpoch = p.commitEpoch + revealPeriod;
      this.save();
    }
    // a transaction sent now lands in block head+1 at the earliest: that block's epoch is the one that counts
    const next = epochIndex(head + 1, netuid, tempo);
    // oldest first: reveal_weights also clears the hotkey's older commits
    for (const p of [...this.pending]) {
      if (this.closed || p.revealEpoch === null) return;
      if (next < p.revealEpoch) return;
      if (next > p.revealEpoch) {
        this.drop(p, `expired: its reveal epoch ${p.revealEpoch} has passed (the chain is in epoch ${next})`);
        continue;
      }
      try {
        const r = await chain.submit(chain.tx.revealWeights(netuid, p.uids, p.values, p.salt, BigInt(p.versionKey)), hotkey, 'reveal_weights');
        this.pending = this.pending.filter((x) => x !== p);
        this.save();
        this.ev.emit({ event: 'weights', window: null, uids: p.uids, weights: shares(p.values), submitted: true, included: true, block: r.blockNumber, mode: 'reveal', commitHash: p.commitHash });
      } catch (e) {
        const msg = (e as Error).message;
        if (FINAL_REVEAL_ERRORS.test(msg)) this.drop(p, `reveal refused: ${msg}`);
        else {
          this.o.log?.(`commit–reveal: reveal of ${p.commitHash} failed: ${msg} (will retry while epoch ${p.revealEpoch} lasts)`);
          return;
        }
      }
    }
  }

  /** The block of this hotkey's commit with `hash` in WeightCommits, if the chain still holds it. */
  private async onChainCommit(hash: string): Promise<number | undefined> {
    const q = (this.o.chain.api.query as Any).subtensorModule;
    if (!q.weightCommits) return undefined;
    const v: Any = await q.weightCommits(this.o.netuid, this.o.hotkey.ss58Address);
    if (!v || v.isNone) return undefined;
    const list: Any[] = v.isSome ? v.unwrap() : v;
    for (const c of list) if (c[0].toHex() === hash) return Number(c[1].toString());
    return undefined;
  }

  /** Stop the poller (pending commits stay in the state file for the next start). */
  async close(): Promise<void> {
    this.closed = true;
    this.stopPolling();
    await this.busy;
  }
}

function shares(values: number[]): number[] {
  const sum = values.reduce((a, b) => a + b, 0);
  return values.map((v) => (sum > 0 ? v / sum : 0));
}
