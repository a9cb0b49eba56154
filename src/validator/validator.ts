// The validator's window (docs/mining.md; reference templar-protocol.md §2.3 and §5). It runs
// `validator_offset` (1) window behind the miners. For window w:
//   gather the same payloads as the miners (same checks, same timing rule) → penalties for missing,
//   late and invalid payloads → sync check of each miner's published sampled parameters for w−1
//   against its own → choose miners with Gauntlet.selectForEvaluation → for each: loss before/after
//   applying only that miner's update (clipped to the window's median norm, lr_outer·eval_lr_factor)
//   on a sample of its assigned data and on a random sample; θ restored exactly (snapshot/delta) →
//   OpenSkill match → the same outer step as the miners (stays in sync) → scores published →
//   weights every `windows_per_weights` windows through `setWeights` when a chain is given.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic.js';
import { join } from 'node:path';
import { LocoError } from '../errors.js';
import { SplitMix64, assignedSamples, deriveSeed, drawFrom, permutationPrefix } from '../protocol/assignment.js';
import { EventEmitterFor, type EventSink } from '../protocol/events.js';
import { keys } from '../protocol/naming.js';
import type { LoadedManifest } from '../protocol/manifest.js';
import type { ObjectStore } from '../storage/index.js';
import type { Engine } from '../trainer/engine.js';
import { reportGather } from '../miner/miner.js';
import {
  aggregateDense,
  debugIndices,
  gather,
  initSeed,
  l2,
  loadNewestCheckpoint,
  payloadOverlap,
  publishCheckpoint,
  runFrom,
  singleUpdateDense,
  writeDense,
  type DebugObject,
  type GatherResult,
  type Peer,
  type Run,
  type WindowSource,
  unlessAborted,
} from '../miner/window.js';
import { payloadDigest } from './digest.js';
import { Gauntlet, lossScore, paramsFromManifest, stepsBehind, syncScore, windowIndicators, type GauntletState, type LossScore } from './gauntlet.js';

/** Outer steps before the copy check starts (see processWindow). */
export const COPY_CHECK_AFTER_STEPS = 1;

export interface SetWeightsResult {
  included: boolean;
  block?: number;
  /** set_weights, or commit_weights on a commit–reveal subnet (the reveal follows later, as its own event) */
  mode?: 'set' | 'commit';
  commitHash?: string;
  revealEpoch?: number;
  revealBlock?: number;
}

export interface ValidatorOptions {
  engine: Engine;
  manifest: LoadedManifest;
  shards: string[];
  numSamples: number;
  uid: number;
  /** where the validator publishes its scores */
  store: ObjectStore;
  /** the miners to gather (the same list the miners use) */
  peers: () => Promise<readonly Peer[]>;
  workDir: string;
  events?: EventSink;
  /** puts the weights on chain (set_weights or commit–reveal); absent: weights are only computed */
  setWeights?: (uids: number[], weights: number[]) => Promise<SetWeightsResult>;
  /** Gauntlet state to resume from */
  state?: GauntletState;
  /**
   * Keep the validator's scoring state here (Gauntlet ratings, sync EMA, outer steps, last window),
   * rewritten atomically after every window and read back on start, so a restart keeps its ratings.
   */
  statePath?: string;
  /** per-window randomness for the evaluation draw (default: crypto random, published with the scores) */
  nonce?: (window: number) => Uint8Array;
}

interface SavedState {
  v: 1;
  run: string;
  /** the first window this validator processed (replayed from θ₀ on a restart with no checkpoint) */
  firstWindow?: number;
  lastWindow: number;
  globalStep: number;
  emaAbsDelta: number[] | null;
  gauntlet: GauntletState;
}

export interface Evaluation extends LossScore {
  uid: number;
  beforeOwn: number;
  afterOwn: number;
  beforeRandom: number;
  afterRandom: number;
  stepsBehind: number | null;
  sync: number;
}

/** `keys.peers(run, first_effective_window)`: a validator's peer list (docs/mining.md). */
export interface PeerList {
  v: 1;
  /** the window whose scoring produced it */
  window: number;
  first_effective_window: number;
  validator: number;
  peers: number[];
  reserve: number[];
}

export interface WindowReport {
  window: number;
  gather: GatherResult;
  evaluated: Evaluation[];
  weights: Map<number, number>;
  submitted: boolean;
}

export class Validator {
  readonly run: Run;
  readonly ev: EventEmitterFor;
  readonly gauntlet: Gauntlet;
  /** EMA of |Δθ| per outer step at the sampled positions (null before the first outer step) */
  private emaAbsDelta: Float64Array | null = null;
  private readonly indices: number[];
  globalStep = 0;

  /** the last window processed (from the saved state on a restart) */
  lastWindow: number | null = null;
  /** the first window processed (from the saved state on a restart) */
  firstWindow: number | null = null;

  constructor(readonly o: ValidatorOptions) {
    this.run = runFrom(o.manifest);
    this.ev = new EventEmitterFor('validator', o.uid, o.events);
    let state = o.state;
    if (!state && o.statePath && existsSync(o.statePath)) {
      let saved: SavedState;
      try {
        saved = JSON.parse(readFileSync(o.statePath, 'utf8')) as SavedState;
      } catch (e) {
        throw new LocoError('corrupt', `validator state ${o.statePath}: ${(e as Error).message}`);
      }
      if (saved.v !== 1 || saved.run !== o.manifest.runId) throw new LocoError('invalidInput', `validator state ${o.statePath} belongs to another run`);
      state = saved.gauntlet;
      this.emaAbsDelta = saved.emaAbsDelta ? Float64Array.from(saved.emaAbsDelta) : null;
      this.globalStep = saved.globalStep;
      this.lastWindow = saved.lastWindow;
      this.firstWindow = saved.firstWindow ?? null;
    }
    this.gauntlet = new Gauntlet(paramsFromManifest(o.manifest.manifest), state);
    this.indices = debugIndices(this.run);
    mkdirSync(o.workDir, { recursive: true });
  }

  async initModel(checkpoint?: string): Promise<void> {
    if (checkpoint) await this.o.engine.load(checkpoint);
    else await this.o.engine.init(this.o.manifest.model, initSeed(this.o.manifest));
  }

  /**
   * The model a restarted validator had: its saved state says which windows it processed; load its
   * newest published checkpoint at or before the last of them (else θ₀) and replay the outer steps
   * since then from the stored payloads (the same gather, so the same aggregate bits). A fresh
   * validator (no saved state) starts at θ₀. Returns the windows replayed.
   */
  async resume(startTime: (w: number) => Promise<Date>): Promise<number> {
    if (this.lastWindow === null) {
      await this.initModel();
      return 0;
    }
    const c = await loadNewestCheckpoint(this.run, this.o.engine, [this.o.store], this.o.workDir, this.lastWindow);
    let from: number;
    if (c !== null) {
      from = c + 1;
      this.ev.emit({ event: 'checkpoint', key: keys.checkpoint(this.o.manifest.runId, c), bytes: 0, loaded: true });
    } else {
      if (this.firstWindow === null) throw new LocoError('invalidInput', `the validator state has no first window and there is no checkpoint: cannot rebuild the model of window ${this.lastWindow} (pass --checkpoint)`);
      await this.initModel();
      from = this.firstWindow;
    }
    const lr = this.o.manifest.manifest.sparseloco.outer_lr;
    for (let w = from; w <= this.lastWindow; w++) {
      this.ev.window = w;
      const peers = await this.o.peers();
      const g = await this.ev.phase('gather', async () => gather({ run: this.run, window: w, peers, nextWindowStart: await startTime(w + 1) }));
      reportGather(this.ev, g);
      await this.ev.phase('apply', async () => {
        if (g.accepted.length === 0) return;
        const agg = aggregateDense(this.run, g.accepted);
        const path = join(this.o.workDir, `update-${w}.f32`);
        writeDense(path, agg);
        await this.o.engine.apply(path, { lr, format: 'dense' });
        rmSync(path, { force: true });
        this.ev.emit({ event: 'outer_step', peers: g.accepted.map((x) => x.uid), lr, update_norm: l2(agg) });
      });
    }
    return this.lastWindow - from + 1;
  }

  private async evalLoss(samples: number[]): Promise<number> {
    const m = this.o.manifest.manifest;
    const r = await this.o.engine.eval({ shards: this.o.shards, samples, micro_batch: Math.min(m.train.micro_batch, samples.length) });
    if (r.loss === null || !Number.isFinite(r.loss)) throw new LocoError('engine', 'evaluation loss is not finite');
    return r.loss;
  }

  /** Score window w (its payloads must be in: call once w+1's upload time has passed) and apply its outer step. */
  async processWindow(window: number, nextWindowStart: Date, opts: { waitUntil?: Date } = {}): Promise<WindowReport> {
    const { engine, manifest } = this.o;
    const m = manifest.manifest;
    this.ev.window = window;
    const peers = await this.o.peers();
    const g = await this.ev.phase('gather', () => gather({ run: this.run, window, peers, nextWindowStart, waitUntil: opts.waitUntil }));
    reportGather(this.ev, g);

    const penal = (uid: number, penalty: Parameters<Gauntlet['penalise']>[1], reason: string, extra: { gatherSuccessRate?: number } = {}) => {
      this.gauntlet.penalise(uid, penalty, extra);
      this.ev.emit({ event: 'penalty', peer: uid, penalty, reason });
    };
    for (const r of g.rejected) {
      if (r.reason === 'too_early' || r.reason === 'too_late') penal(r.uid, 'missing', r.reason);
      else penal(r.uid, 'invalid', r.reason);
    }
    // no payload at all: inactive (× 0.75 per window, rating reset after reset_inactivity_windows)
    for (const uid of g.missing) penal(uid, 'inactive', 'no payload');

    // penalties on evaluated miners are applied after the window's evaluation: recordEvaluation
    // recomputes the final score from scratch and would undo a multiplier applied before it
    const afterEval: Array<[number, Parameters<Gauntlet['penalise']>[1], string]> = [];
    // sync check: each accepted miner's published parameters after w−1 against ours (now: after w−1)
    const own = await engine.sampleParams(this.indices);
    const sync = new Map<number, { steps: number | null; score: number }>();
    for (const a of g.accepted) {
      if (!this.emaAbsDelta || window === 0) {
        sync.set(a.uid, { steps: null, score: 1 }); // nothing to compare yet: everyone starts at θ₀
        continue;
      }
      const peer = peers.find((p) => p.uid === a.uid)!;
      let dbg: DebugObject | null = null;
      try {
        const got = await peer.store.get(keys.debug(manifest.runId, window - 1, a.uid), { maxBytes: 1 << 20 });
        dbg = JSON.parse(Buffer.from(got.data).toString('utf8')) as DebugObject;
        if (!Array.isArray(dbg.values) || dbg.values.length !== own.length) dbg = null;
      } catch {
        dbg = null;
      }
      if (!dbg) {
        sync.set(a.uid, { steps: null, score: 0 });
        afterEval.push([a.uid, 'out_of_sync', 'no debug object']);
        continue;
      }
      const steps = stepsBehind(own, dbg.values, this.emaAbsDelta);
      sync.set(a.uid, { steps, score: syncScore(steps) });
      if (steps > m.scoring.sync_max_steps_behind) afterEval.push([a.uid, 'out_of_sync', `${steps.toFixed(2)} steps behind`]);
    }

    // copies: a pair of accepted payloads sharing ≥ idx_overlap_threshold of their top-k indices;
    // the later upload (store LastModified) is the offender. Skipped before the first outer step,
    // when every miner's Δ is dominated by the same weight decay of the same θ₀. Equal LastModified
    // (S3 keeps whole seconds; a copier re-signs within the second) says nothing about who copied
    // whom — a uid tie-break would let a copier with the lower uid get its victim reset — so a tie is
    // settled after the evaluation: the original is the one whose update helps its own assigned data
    // more (the copier's own data is not what the update was trained on).
    const copies = new Map<number, { level: 'copy_high' | 'copy_max'; overlap: number; of: number; tie: boolean }>();
    const flag = (later: number, first: number, ov: number, tie = false) => {
      const level = ov >= 0.5 ? 'copy_max' : 'copy_high';
      const prev = copies.get(later);
      if (!prev || ov > prev.overlap) copies.set(later, { level, overlap: ov, of: first, tie });
    };
    const ties: Array<{ a: number; b: number; overlap: number }> = [];
    if (this.globalStep >= COPY_CHECK_AFTER_STEPS) {
      for (let i = 0; i < g.accepted.length; i++) {
        for (let j = i + 1; j < g.accepted.length; j++) {
          const a = g.accepted[i];
          const b = g.accepted[j];
          const ov = payloadOverlap(a.payload, b.payload);
          if (ov < m.scoring.idx_overlap_threshold) continue;
          const ta = a.info.lastModified.getTime();
          const tb = b.info.lastModified.getTime();
          if (ta === tb) ties.push({ a: a.uid, b: b.uid, overlap: ov });
          else if (ta < tb) flag(b.uid, a.uid, ov);
          else flag(a.uid, b.uid, ov);
        }
      }
    }

    // evaluation
    const nonce = this.o.nonce?.(window) ?? new Uint8Array(randomBytes(32));
    const rng = new SplitMix64(deriveSeed('loco/eval/v1', nonce, Buffer.from(String(window))));
    const chosen = this.gauntlet.selectForEvaluation(
      g.accepted.map((a) => a.uid).filter((u) => copies.get(u)?.level !== 'copy_max'),
      m.eval.uids_per_window,
      () => Number(rng.next() >> 11n) / 2 ** 53,
    );
    const evaluated: Evaluation[] = [];
    await this.ev.phase('eval', async () => {
      if (chosen.length === 0) return;
      const randomIds = permutationPrefix(new SplitMix64(deriveSeed('loco/random/v1', nonce, Buffer.from(String(window)))), this.o.numSamples, Math.min(m.eval.batch, this.o.numSamples));
      const beforeRandom = await this.evalLoss(randomIds);
      const assign = { manifestHash: manifest.hash, numSamples: this.o.numSamples, samplesPerWindow: m.train.inner_steps * m.train.batch };
      await engine.snapshot();
      for (const uid of chosen.sort((a, b) => a - b)) {
        const ownIds = drawFrom(assignedSamples(assign, window, uid), m.eval.batch, nonce, window, uid);
        const beforeOwn = await this.evalLoss(ownIds);
        const path = join(this.o.workDir, `eval-${window}-${uid}.f32`);
        writeDense(path, singleUpdateDense(this.run, g.accepted, uid));
        let afterOwn: number;
        let afterRandom: number;
        try {
          await engine.apply(path, { lr: m.sparseloco.outer_lr * m.eval.eval_lr_factor, format: 'dense' });
          afterOwn = await this.evalLoss(ownIds);
          afterRandom = await this.evalLoss(randomIds);
        } finally {
          await engine.delta(join(this.o.workDir, 'restore.f32'), { restore: true });
          rmSync(path, { force: true });
        }
        const ls = lossScore({ beforeOwn, afterOwn, beforeRandom, afterRandom });
        const s = sync.get(uid)!;
        evaluated.push({ uid, beforeOwn, afterOwn, beforeRandom, afterRandom, ...ls, stepsBehind: s.steps, sync: s.score });
      }
      rmSync(join(this.o.workDir, 'restore.f32'), { force: true });
      // the own-vs-random indicator needs the whole window (a margin from the window's median: windowIndicators)
      const indicators = windowIndicators(evaluated);
      evaluated.forEach((e, i) => {
        e.indicator = indicators[i];
        this.gauntlet.recordEvaluation(e.uid, window, e, e.sync);
      });
      this.gauntlet.rateWindow(evaluated.map((e) => ({ uid: e.uid, gradientScore: e.gradientScore })));
      for (const e of evaluated) {
        const p = this.gauntlet.peer(e.uid);
        this.ev.emit({
          event: 'evaluation',
          peer: e.uid,
          loss_before_own: e.beforeOwn,
          loss_after_own: e.afterOwn,
          loss_before_random: e.beforeRandom,
          loss_after_random: e.afterRandom,
          gradient_score: e.gradientScore,
          indicator: e.indicator,
          binary_ma: p.binaryMA,
          steps_behind: e.stepsBehind,
          sync: e.sync,
          final: p.final,
        });
      }
    });

    for (const t of ties) {
      const ea = evaluated.find((e) => e.uid === t.a);
      const eb = evaluated.find((e) => e.uid === t.b);
      if (!ea || !eb || ea.improveOwn === eb.improveOwn) continue; // undecidable this window
      const [orig, copier] = ea.improveOwn > eb.improveOwn ? [ea, eb] : [eb, ea];
      flag(copier.uid, orig.uid, t.overlap, true);
    }
    for (const [uid, c] of copies) {
      const whose = c.tie ? `uid ${c.of}'s payload, uploaded in the same second, which helps its own data more` : `uid ${c.of}'s earlier upload`;
      penal(uid, c.level, `top-k index overlap ${c.overlap.toFixed(3)} with ${whose}`);
    }
    for (const [uid, what, why] of afterEval) penal(uid, what, why);

    // the same outer step as the miners
    await this.ev.phase('apply', async () => {
      let norm = 0;
      if (g.accepted.length > 0) {
        const agg = aggregateDense(this.run, g.accepted);
        norm = l2(agg);
        const path = join(this.o.workDir, `update-${window}.f32`);
        writeDense(path, agg);
        await engine.apply(path, { lr: m.sparseloco.outer_lr, format: 'dense' });
        rmSync(path, { force: true });
        this.globalStep += 1;
      }
      const after = await engine.sampleParams(this.indices);
      const a = 0.2;
      const ema = this.emaAbsDelta ?? new Float64Array(after.length);
      for (let i = 0; i < after.length; i++) {
        const d = Math.abs(after[i] - own[i]);
        ema[i] = this.emaAbsDelta ? (1 - a) * ema[i] + a * d : d;
      }
      if (g.accepted.length > 0) this.emaAbsDelta = ema;
      this.ev.emit({ event: 'outer_step', peers: g.accepted.map((x) => x.uid), lr: m.sparseloco.outer_lr, update_norm: norm });
    });
    // the model after this window's outer step, every checkpoint.every_windows windows (as the
    // miners do): a restarted validator, a late miner or an auditor starts from it
    if ((window + 1) % m.checkpoint.every_windows === 0) {
      await this.ev.phase('checkpoint', async () => {
        const r = await publishCheckpoint(engine, this.o.store, manifest.runId, window, this.o.workDir);
        this.ev.emit({ event: 'checkpoint', key: r.key, bytes: r.bytes });
      });
    }

    // scores and weights
    const state = this.gauntlet.state();
    const scoresKey = keys.scores(manifest.runId, window);
    await this.o.store.put(
      scoresKey,
      Buffer.from(
        JSON.stringify({
          v: 1,
          window,
          validator: this.o.uid,
          nonce: Buffer.from(nonce).toString('hex'),
          gathered: g.accepted.map((a) => a.uid),
          rejected: g.rejected.map((r) => ({ uid: r.uid, reason: r.reason })),
          missing: g.missing,
          evaluated: evaluated.map((e) => ({ ...e })),
          peers: state.peers,
          // what was scored, so `loco audit` can tell a replaced payload from a mis-scored one
          payloads: g.accepted.map((a) => ({ uid: a.uid, digest: payloadDigest(a.payload) })),
        }),
      ),
    );
    this.ev.emit({
      event: 'scores',
      key: scoresKey,
      peers: state.peers.map((p) => ({ uid: p.uid, final: p.final, mu: p.mu, sigma: p.sigma, binary_ma: p.binaryMA, sync: p.sync })),
    });
    const weights = this.gauntlet.weights();
    // the peer list (Templar's peers_{w}.json): this window's accepted uids that were not reset as
    // copies, by weight, then rating (OpenSkill ordinal: how much their updates help), then uid; the
    // top peers.gather to gather, the next peers.reserve in reserve. Posted with the weights,
    // effective from the window after the one it is posted in. (Published for miners and tools; the
    // miners still gather every committed peer.)
    if ((window + 1) % m.scoring.windows_per_weights === 0) {
      const reset = new Set([...copies].filter(([, c]) => c.level === 'copy_max').map(([u]) => u));
      const ranked = g.accepted
        .map((a) => a.uid)
        .filter((u) => !reset.has(u))
        .sort((a, b) => (weights.get(b) ?? 0) - (weights.get(a) ?? 0) || this.gauntlet.ordinal(b) - this.gauntlet.ordinal(a) || a - b);
      const effective = window + 2 + m.window.validator_offset;
      const list: PeerList = { v: 1, window, first_effective_window: effective, validator: this.o.uid, peers: ranked.slice(0, m.peers.gather), reserve: ranked.slice(m.peers.gather, m.peers.gather + m.peers.reserve) };
      await this.o.store.put(keys.peers(manifest.runId, effective), Buffer.from(JSON.stringify(list)));
    }
    let submitted = false;
    await this.ev.phase('weights', async () => {
      const uids = [...weights.keys()];
      const ws = uids.map((u) => weights.get(u)!);
      const due = (window + 1) % m.scoring.windows_per_weights === 0;
      if (!this.o.setWeights || !due || uids.length === 0) {
        this.ev.emit({ event: 'weights', uids, weights: ws, submitted: false });
        return;
      }
      try {
        const r = await this.o.setWeights(uids, ws);
        submitted = true;
        const cr = { mode: r.mode, commitHash: r.commitHash, revealEpoch: r.revealEpoch, revealBlock: r.revealBlock };
        for (const k of Object.keys(cr) as (keyof typeof cr)[]) if (cr[k] === undefined) delete cr[k];
        this.ev.emit({ event: 'weights', uids, weights: ws, submitted: true, included: r.included, block: r.block, ...cr });
      } catch (e) {
        this.ev.emit({ event: 'weights', uids, weights: ws, submitted: false, error: (e as Error).message });
      }
    });
    this.lastWindow = window;
    this.firstWindow ??= window;
    if (this.o.statePath) {
      const saved: SavedState = {
        v: 1,
        run: manifest.runId,
        firstWindow: this.firstWindow,
        lastWindow: window,
        globalStep: this.globalStep,
        emaAbsDelta: this.emaAbsDelta ? [...this.emaAbsDelta] : null,
        gauntlet: this.gauntlet.state(),
      };
      writeFileAtomic(this.o.statePath, JSON.stringify(saved));
    }
    return { window, gather: g, evaluated, weights, submitted };
  }
}

/**
 * The validator's loop on a window source: window w is processed once w+1+offset has begun
 * (its uploads are over), i.e. `validator_offset` windows behind the miners.
 */
export async function runValidator(v: Validator, source: WindowSource, opts: { windows?: number; signal?: AbortSignal; from?: number } = {}): Promise<void> {
  const m = v.o.manifest.manifest;
  let w = opts.from ?? (v.lastWindow !== null ? v.lastWindow + 1 : await source.current());
  let done = 0;
  while (!opts.signal?.aborted && (opts.windows === undefined || done < opts.windows)) {
    if (!(await unlessAborted(source.waitFor(w + 1 + m.window.validator_offset), opts.signal))) break;
    const t0 = await source.startTime(w + 1);
    // gather until every peer is in or the upload time of window w+1 is over
    const until = new Date(t0.getTime() + m.window.upload_delta_s * 1000);
    try {
      await v.processWindow(w, t0, { waitUntil: until });
    } catch (e) {
      const le = e as LocoError;
      v.ev.emit({ event: 'error', kind: le.kind ?? 'failure', message: le.message, fatal: true });
      throw e;
    }
    done += 1;
    w += 1;
  }
}
