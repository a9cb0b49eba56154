// The miner's window (docs/mining.md; reference templar-protocol.md §2.2). Per window w:
//   assigned samples (uid, w) → H inner steps in the engine → Δ = θ_start − θ_end (θ restored) →
//   error feedback + top-k + 2-bit codes → signed payload → uploaded once window w+1 has begun →
//   gather every peer's payload for w (signature, manifest hash, window, uid, timing) → aggregate →
//   outer step θ ← θ − lr_outer·aggregate → sampled parameters published (keys.debug) →
//   checkpoint every N windows.
// The steps are separate methods so a test (or the demo) can drive several participants in one
// process; `runMiner` strings them together on a window source.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { errorFeedback, encodeTensor, type EncodedTensor } from '../codec/sparseloco.js';
import { encodePayload } from '../codec/payload.js';
import { LocoError } from '../errors.js';
import { assignedSamples, sampleDigest } from '../protocol/assignment.js';
import { EventEmitterFor, type EventSink } from '../protocol/events.js';
import { keys } from '../protocol/naming.js';
import type { LoadedManifest } from '../protocol/manifest.js';
import type { ObjectStore } from '../storage/index.js';
import type { Engine } from '../trainer/engine.js';
import type { Keypair } from '../wallet/keypair.js';
import {
  aggregateDense,
  debugIndices,
  gather,
  initSeed,
  earliestPayloadWindow,
  l2,
  loadNewestCheckpoint,
  publishCheckpoint,
  runFrom,
  writeDense,
  type DebugObject,
  type GatherResult,
  type Peer,
  type Run,
  type WindowSource,
  unlessAborted,
} from './window.js';

export interface MinerOptions {
  engine: Engine;
  manifest: LoadedManifest;
  /** training shard files, in the manifest's order */
  shards: string[];
  /** number of training samples over those shards (ShardSet.numSamples) */
  numSamples: number;
  uid: number;
  hotkey: Keypair;
  /** where this miner's objects go */
  store: ObjectStore;
  /** the peer list (this miner included) */
  peers: () => Promise<readonly Peer[]>;
  /** scratch files (Δ, updates, checkpoints) */
  workDir: string;
  events?: EventSink;
}

export interface TrainResult {
  window: number;
  payload: Uint8Array;
  samples: number[];
  meanLoss: number | null;
}

export class Miner {
  readonly run: Run;
  readonly ev: EventEmitterFor;
  /** error-feedback buffers, one per tensor */
  private ef: Float32Array[];
  private pending = new Map<number, TrainResult>();
  /** outer steps applied */
  globalStep = 0;

  constructor(readonly o: MinerOptions) {
    this.run = runFrom(o.manifest);
    this.ev = new EventEmitterFor('miner', o.uid, o.events);
    this.ef = this.run.specs.map((s) => new Float32Array(s.numel));
    mkdirSync(o.workDir, { recursive: true });
  }

  /** θ₀ from the manifest's seed (all participants agree), or a checkpoint. */
  async initModel(checkpoint?: string): Promise<void> {
    if (checkpoint) await this.o.engine.load(checkpoint);
    else await this.o.engine.init(this.o.manifest.model, initSeed(this.o.manifest));
  }

  /**
   * Start from the newest published checkpoint of the run — the own store's first (a restart), else
   * the newest among the peers' (a late joiner). Without one: θ₀, and when the stores already hold
   * payloads (the run began before any checkpoint), the window before the first of them, so that
   * the replay goes from the run's start. Returns the window whose outer step the model now
   * reflects (replay the ones after it with `catchUp`/`runMiner`'s `catchUpFrom`), or null for a
   * fresh run.
   */
  async resume(): Promise<number | null> {
    const peers = await this.o.peers();
    const stores = [this.o.store, ...peers.filter((p) => p.uid !== this.o.uid).map((p) => p.store)];
    const c = await loadNewestCheckpoint(this.run, this.o.engine, stores, this.o.workDir);
    if (c !== null) {
      this.ev.emit({ event: 'checkpoint', key: keys.checkpoint(this.o.manifest.runId, c), bytes: 0, loaded: true });
      return c;
    }
    await this.initModel();
    const first = await earliestPayloadWindow(stores, this.o.manifest.runId);
    return first === null ? null : first - 1;
  }

  /** The window's assigned sample ids (docs/protocol.md): what this miner must train on. */
  assignedSamples(window: number): number[] {
    const m = this.o.manifest.manifest;
    return assignedSamples({ manifestHash: this.o.manifest.hash, numSamples: this.o.numSamples, samplesPerWindow: m.train.inner_steps * m.train.batch }, window, this.o.uid);
  }

  /**
   * What `train` trains on: the assigned samples. A seam for tests, whose adversarial miners
   * (one that trains on other data, say) override it; the protocol has no other use for it.
   */
  protected trainingSamples(window: number): number[] {
    return this.assignedSamples(window);
  }

  /** H inner steps on the window's assigned data, then the compressed, signed payload (kept until upload). */
  async train(window: number): Promise<TrainResult> {
    const { engine, manifest } = this.o;
    const m = manifest.manifest;
    this.ev.window = window;
    const samples = this.trainingSamples(window);
    let meanLoss: number | null = null;
    await this.ev.phase('train', async () => {
      await engine.snapshot();
      const it = engine.train({
        shards: this.o.shards,
        samples,
        micro_batch: m.train.micro_batch,
        grad_accum: m.train.batch / m.train.micro_batch,
        steps: m.train.inner_steps,
        lr: m.train.lr,
        min_lr: m.train.lr * m.train.min_lr_ratio,
        warmup_steps: m.train.warmup_steps,
        total_steps: m.train.total_steps,
        weight_decay: m.train.weight_decay,
        grad_clip: m.train.grad_clip,
      });
      for (;;) {
        const r = await it.next();
        if (r.done) {
          meanLoss = r.value.mean_loss;
          break;
        }
        const s = r.value;
        this.ev.emit({ event: 'inner_step', step: s.step, inner: s.inner, loss: s.loss, lr: s.lr, grad_norm: s.grad_norm, tokens_per_s: s.tokens_per_s });
      }
    });
    const payload = await this.ev.phase('compress', async () => {
      const path = join(this.o.workDir, `delta-${window}.f32`);
      await engine.delta(path, { restore: true });
      const raw = readFileSync(path);
      rmSync(path, { force: true });
      if (raw.length !== this.run.params * 4) throw new LocoError('engine', `Δ file has ${raw.length} bytes, expected ${this.run.params * 4}`);
      const delta = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
      const enc: EncodedTensor[] = this.run.specs.map((s, i) => {
        const d = delta.subarray(this.run.offsets[i], this.run.offsets[i] + s.numel);
        errorFeedback(this.ef[i], d, this.run.codec.codec.beta);
        return encodeTensor(s.name, s.shape, this.ef[i], this.run.codec.codec);
      });
      return encodePayload({ manifestHash: manifest.hash, window, uid: this.o.uid }, enc, this.o.hotkey);
    });
    const r: TrainResult = { window, payload, samples, meanLoss };
    this.pending.set(window, r);
    return r;
  }

  /** Put the window's payload in the own store; call once window+1 has begun. */
  async upload(window: number): Promise<void> {
    const r = this.pending.get(window);
    if (!r) throw new LocoError('invalidInput', `no payload trained for window ${window}`);
    this.ev.window = window;
    const key = keys.gradient(this.o.manifest.runId, window, this.o.uid);
    await this.ev.phase('upload', async () => {
      const t0 = performance.now();
      const info = await this.o.store.put(key, r.payload);
      this.ev.emit({
        event: 'upload',
        key,
        bytes: r.payload.length,
        seconds: (performance.now() - t0) / 1000,
        dense_bytes: this.run.params * 4,
        last_modified: info.lastModified.toISOString(),
      });
    });
    this.pending.delete(window);
  }

  /** Gather the window's payloads, apply the outer step, publish the sampled parameters, checkpoint. */
  async sync(window: number, nextWindowStart: Date, opts: { waitUntil?: Date } = {}): Promise<GatherResult> {
    this.ev.window = window;
    const peers = await this.o.peers();
    const g = await this.ev.phase('gather', () => gather({ run: this.run, window, peers, nextWindowStart, waitUntil: opts.waitUntil }));
    reportGather(this.ev, g);
    await this.ev.phase('apply', () => this.outerStep(window, g));
    const every = this.o.manifest.manifest.checkpoint.every_windows;
    if ((window + 1) % every === 0) await this.checkpoint(window);
    return g;
  }

  /**
   * Catch up after a restart: replay the outer steps of windows `from … to` (inclusive) by gathering
   * each window's payloads again. The stores keep them and their LastModified, so the same payloads
   * pass the same checks and the aggregate is the same bits the others applied.
   */
  async catchUp(from: number, to: number, startTime: (w: number) => Promise<Date>, opts: { waitOpen?: boolean; graceMs?: number } = {}): Promise<number> {
    let n = 0;
    const dt = this.o.manifest.manifest.window.upload_delta_s * 1000;
    for (let w = from; w <= to; w++) {
      this.ev.window = w;
      const peers = await this.o.peers();
      const t0 = await startTime(w + 1);
      // with waitOpen (runMiner), a window whose uploads may still be arriving (a restart early in the
      // next window) is gathered as the others gather it: until every peer is in or Δt is over
      const until = new Date(t0.getTime() + dt + (opts.graceMs ?? 1000));
      const open = opts.waitOpen && until.getTime() > Date.now();
      const g = await this.ev.phase('gather', async () => gather({ run: this.run, window: w, peers, nextWindowStart: t0, waitUntil: open ? until : undefined }));
      reportGather(this.ev, g);
      await this.ev.phase('apply', () => this.outerStep(w, g));
      n++;
    }
    return n;
  }

  private async outerStep(window: number, g: GatherResult): Promise<void> {
    const { engine, manifest } = this.o;
    const lr = manifest.manifest.sparseloco.outer_lr;
    let norm = 0;
    if (g.accepted.length > 0) {
      const agg = aggregateDense(this.run, g.accepted);
      norm = l2(agg);
      const path = join(this.o.workDir, `update-${window}.f32`);
      writeDense(path, agg);
      await engine.apply(path, { lr, format: 'dense' });
      rmSync(path, { force: true });
      this.globalStep += 1;
    }
    const indices = debugIndices(this.run);
    const values = await engine.sampleParams(indices);
    const dbg: DebugObject = { v: 1, window, uid: this.o.uid, indices, values };
    const debugKey = keys.debug(manifest.runId, window, this.o.uid);
    await this.o.store.put(debugKey, Buffer.from(JSON.stringify(dbg)));
    this.ev.emit({ event: 'outer_step', peers: g.accepted.map((a) => a.uid), lr, update_norm: norm, debug_key: debugKey });
  }

  async checkpoint(window: number): Promise<void> {
    await this.ev.phase('checkpoint', async () => {
      const r = await publishCheckpoint(this.o.engine, this.o.store, this.o.manifest.runId, window, this.o.workDir);
      this.ev.emit({ event: 'checkpoint', key: r.key, bytes: r.bytes });
    });
  }

  /** The digest of what this miner trained on in a window (for receipts and audits). */
  static digest(samples: number[]): string {
    return sampleDigest(samples);
  }
}

export function reportGather(ev: EventEmitterFor, g: GatherResult): void {
  for (const r of g.rejected) ev.emit({ event: 'payload_rejected', peer: r.uid, reason: r.reason, message: r.message });
  ev.emit({
    event: 'gather',
    accepted: g.accepted.map((a) => a.uid),
    rejected: g.rejected.map((r) => ({ uid: r.uid, reason: r.reason })),
    missing: g.missing,
    bytes: g.bytes,
    seconds: g.seconds,
  });
}

/**
 * The miner's loop on a window source: train in window w, upload as soon as w+1 begins, gather
 * until every peer is in or Δt has passed, outer step; then train in the (then) current window.
 * Stops after `windows` windows (default: never) or when `signal` aborts.
 */
export async function runMiner(
  miner: Miner,
  source: WindowSource,
  opts: { windows?: number; signal?: AbortSignal; graceMs?: number; catchUpFrom?: number; paused?: () => boolean } = {},
): Promise<void> {
  const m = miner.o.manifest.manifest;
  let done = 0;
  let wasPaused = false;
  let w = await source.current();
  // after a restart from a checkpoint of window c: replay c+1 … w−1 (their uploads are over), then
  // every window that ended while replaying: its outer step is part of the model too (a replay that
  // crossed a window boundary once skipped that window's, and the miner stayed a step off)
  for (let next = opts.catchUpFrom; next !== undefined && next < w; ) {
    await miner.catchUp(next, w - 1, (x) => source.startTime(x), { waitOpen: true, graceMs: opts.graceMs });
    next = w;
    w = Math.max(w, await source.current());
  }
  while (!opts.signal?.aborted && (opts.windows === undefined || done < opts.windows)) {
    // paused (p on the live screen): from the next window on, no training and no upload, but the
    // outer steps are still applied, so the miner is in sync the moment it resumes
    const paused = opts.paused?.() ?? false;
    if (paused !== wasPaused) {
      wasPaused = paused;
      miner.ev.window = w;
      miner.ev.emit({ event: 'paused', paused });
    }
    try {
      if (!paused) await miner.train(w);
      // stopping while waiting for the next window drops this window's payload
      if (!(await unlessAborted(source.waitFor(w + 1), opts.signal))) break;
      if (!paused) await miner.upload(w);
      const t0 = await source.startTime(w + 1);
      const until = new Date(t0.getTime() + m.window.upload_delta_s * 1000 + (opts.graceMs ?? 1000));
      await miner.sync(w, t0, { waitUntil: until });
    } catch (e) {
      const le = e as LocoError;
      miner.ev.emit({ event: 'error', kind: le.kind ?? 'failure', message: le.message, fatal: true });
      throw e;
    }
    done += 1;
    w = Math.max(w + 1, await source.current());
  }
}
