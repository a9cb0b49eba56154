// Gauntlet scoring (DESIGN contract 9), as Templar's validator computes it (reference
// templar-protocol.md §5): loss before/after one miner's update on its own and on random data, the
// own-vs-random indicator and its moving average, OpenSkill Plackett–Luce ratings over each window's
// evaluated miners, a sync score from sampled parameters, multiplicative penalties, and the weight
// profile. Pure state and arithmetic: the validator loop feeds it measurements and persists it.
import { ordinal as osOrdinal, rate as osRate, rating as osRating } from 'openskill';
import { plackettLuce } from 'openskill/models';
import type { RunManifest } from '../protocol/manifest.js';

export interface GauntletParams {
  openskillBeta: number;
  openskillTau: number;
  binaryMaAlpha: number;
  syncMaxStepsBehind: number;
  idxOverlapThreshold: number;
  gatherSlashThreshold: number;
  resetInactivityWindows: number;
  gatherPeers: number;
  reservePeers: number;
}

export function paramsFromManifest(m: RunManifest): GauntletParams {
  const s = m.scoring;
  return {
    openskillBeta: s.openskill_beta,
    openskillTau: s.openskill_tau,
    binaryMaAlpha: s.binary_ma_alpha,
    syncMaxStepsBehind: s.sync_max_steps_behind,
    idxOverlapThreshold: s.idx_overlap_threshold,
    gatherSlashThreshold: s.gather_slash_threshold,
    resetInactivityWindows: s.reset_inactivity_windows,
    gatherPeers: m.peers.gather,
    reservePeers: m.peers.reserve,
  };
}

export interface LossMeasurement {
  beforeOwn: number;
  afterOwn: number;
  beforeRandom: number;
  afterRandom: number;
}

export interface LossScore {
  /** Relative improvement on random data: the OpenSkill match score. */
  gradientScore: number;
  improveOwn: number;
  improveRandom: number;
  /** +1 when the update helps the miner's own assigned data more than random data. */
  indicator: 1 | -1;
}

export function lossScore(m: LossMeasurement): LossScore {
  for (const v of Object.values(m)) if (!Number.isFinite(v) || v <= 0) throw new RangeError(`loss values must be finite and positive: ${JSON.stringify(m)}`);
  const improveOwn = (m.beforeOwn - m.afterOwn) / m.beforeOwn;
  const improveRandom = (m.beforeRandom - m.afterRandom) / m.beforeRandom;
  return { gradientScore: improveRandom, improveOwn, improveRandom, indicator: improveOwn > improveRandom ? 1 : -1 };
}

/**
 * The own-vs-random indicators of one window's evaluated miners. Templar's rule (+1 when
 * improve_own > improve_random) is a coin flip for a miner that never trains on its assigned data:
 * its update helps its own batch and the random batch alike, so the difference d = improve_own −
 * improve_random is batch noise around 0 and the indicator's moving average wanders around 0 —
 * positive, and paid, about half the time (measured in test/gauntlet-holds.test.ts: 5 of 10 windows
 * at +1). loco asks for a margin instead: +1 when d > ½ · max(0, median of the window's d), so an
 * update must help its own data by at least half as much as the window's typical miner does. With
 * an honest majority the median is an honest miner's d and a lazy miner fails; with fewer than
 * three miners, or a median ≤ 0, this is Templar's rule.
 */
export function windowIndicators(scores: ReadonlyArray<Pick<LossScore, 'improveOwn' | 'improveRandom'>>): Array<1 | -1> {
  const d = scores.map((s) => s.improveOwn - s.improveRandom);
  const sorted = [...d].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n === 0 ? 0 : n % 2 ? sorted[n >> 1] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const margin = n >= 3 ? 0.5 * Math.max(0, median) : 0;
  return d.map((x) => (x > margin ? 1 : -1));
}

/** sync = max(0, 1 − min(stepsBehind, 5)/5)^2.5 */
export function syncScore(stepsBehind: number): number {
  if (!Number.isFinite(stepsBehind)) return 0;
  return Math.max(0, 1 - Math.min(Math.max(stepsBehind, 0), 5) / 5) ** 2.5;
}

/**
 * How many typical outer steps the miner's parameters are away from the validator's:
 * median over sampled positions of |θ_validator − θ_miner| / max(EMA|Δθ|, 1e-9).
 */
export function stepsBehind(validator: ArrayLike<number>, miner: ArrayLike<number>, emaAbsDelta: ArrayLike<number>): number {
  if (validator.length !== miner.length || miner.length !== emaAbsDelta.length || miner.length === 0) return Infinity;
  const r: number[] = [];
  for (let i = 0; i < miner.length; i++) {
    const d = Math.abs(validator[i] - miner[i]);
    r.push(Number.isFinite(d) ? d / Math.max(Math.abs(emaAbsDelta[i]), 1e-9) : Infinity);
  }
  r.sort((a, b) => a - b);
  const mid = r.length >> 1;
  return r.length % 2 ? r[mid] : (r[mid - 1] + r[mid]) / 2;
}

/**
 * Fraction of top-k indices two payloads share, averaged over tensors weighted by chunks × k
 * (`indices[t][c]` = the sorted chunk-local indices of tensor t, chunk c).
 */
export function indexOverlap(a: number[][][], b: number[][][]): number {
  let shared = 0;
  let total = 0;
  for (let t = 0; t < Math.min(a.length, b.length); t++) {
    for (let c = 0; c < Math.min(a[t].length, b[t].length); c++) {
      const setB = new Set(b[t][c]);
      const k = Math.max(a[t][c].length, b[t][c].length);
      if (k === 0) continue;
      let s = 0;
      for (const i of a[t][c]) if (setB.has(i)) s++;
      shared += s;
      total += k;
    }
  }
  return total ? shared / total : 0;
}

export type Penalty =
  | 'missing' // evaluated but no payload, or too early/late: × 0.75
  | 'gather_missing' // a gather peer's payload was missing: final and MA × 0.75 (× 0 when the gather mostly failed)
  | 'invalid' // payload failed validation or could not be applied: final = 0
  | 'out_of_sync' // steps behind > max, or no debug object: final and MA × 0.75
  | 'inactive' // no recent payload: × 0.75 per window, reset after N windows
  | 'copy_high' // index overlap 0.4–0.5 with an earlier upload: × 0.5
  | 'copy_max'; // overlap ≥ 0.5: reset

export interface PeerScore {
  uid: number;
  mu: number;
  sigma: number;
  binaryMA: number;
  sync: number;
  /** ordinal × max(0, binaryMA) × sync, then penalties. */
  final: number;
  lastEvaluated: number | null;
  inactiveWindows: number;
  /** Rotation weight for evaluation sampling: +1 per window not evaluated, 1 when evaluated. */
  waiting: number;
}

export interface GauntletState {
  peers: PeerScore[];
}

const DEFAULT = osRating();

export class Gauntlet {
  private peers = new Map<number, PeerScore>();

  constructor(readonly params: GauntletParams, state?: GauntletState) {
    for (const p of state?.peers ?? []) this.peers.set(p.uid, { ...p });
  }

  peer(uid: number): PeerScore {
    let p = this.peers.get(uid);
    if (!p) {
      p = { uid, mu: DEFAULT.mu, sigma: DEFAULT.sigma, binaryMA: 0, sync: 1, final: 0, lastEvaluated: null, inactiveWindows: 0, waiting: 1 };
      this.peers.set(uid, p);
    }
    return p;
  }

  ordinal(uid: number): number {
    const p = this.peer(uid);
    return osOrdinal({ mu: p.mu, sigma: p.sigma });
  }

  /**
   * Record one miner's evaluation in a window: indicator moving average and sync. This recomputes
   * `final` from the rating, so a window's penalties for this miner must be applied after it (the
   * validator loop does so); penalties of earlier windows live on through binaryMA and the rating.
   */
  recordEvaluation(uid: number, window: number, score: LossScore, sync: number): void {
    const p = this.peer(uid);
    const a = this.params.binaryMaAlpha;
    p.binaryMA = (1 - a) * p.binaryMA + a * score.indicator;
    p.sync = sync;
    p.lastEvaluated = window;
    p.inactiveWindows = 0;
    this.recompute(uid);
  }

  /** One free-for-all OpenSkill match over the window's evaluated miners (higher score wins). */
  rateWindow(results: Array<{ uid: number; gradientScore: number }>): void {
    if (results.length < 2) return; // a one-player match carries no ranking information
    const teams = results.map((r) => [{ mu: this.peer(r.uid).mu, sigma: this.peer(r.uid).sigma }]);
    const rated = osRate(teams, { model: plackettLuce, beta: this.params.openskillBeta, tau: this.params.openskillTau, score: results.map((r) => r.gradientScore) });
    results.forEach((r, i) => {
      const p = this.peer(r.uid);
      p.mu = rated[i][0].mu;
      p.sigma = rated[i][0].sigma;
      this.recompute(r.uid);
    });
  }

  private recompute(uid: number): void {
    const p = this.peer(uid);
    p.final = this.ordinal(uid) * Math.max(0, p.binaryMA) * p.sync + 0; // + 0 turns -0 into 0
  }

  penalise(uid: number, what: Penalty, opts: { gatherSuccessRate?: number } = {}): void {
    const p = this.peer(uid);
    switch (what) {
      case 'missing':
        p.final *= 0.75;
        break;
      case 'gather_missing': {
        const m = (opts.gatherSuccessRate ?? 1) < this.params.gatherSlashThreshold ? 0 : 0.75;
        p.final *= m;
        p.binaryMA *= m;
        break;
      }
      case 'invalid':
        p.final = 0;
        break;
      case 'out_of_sync':
        p.final *= 0.75;
        p.binaryMA *= 0.75;
        break;
      case 'inactive':
        p.inactiveWindows += 1;
        if (p.inactiveWindows >= this.params.resetInactivityWindows) this.reset(uid);
        else p.final *= 0.75;
        break;
      case 'copy_high':
        p.final *= 0.5;
        break;
      case 'copy_max':
        this.reset(uid);
        break;
    }
    if (Math.abs(p.final) < 1e-4) p.final = 0;
  }

  reset(uid: number): void {
    this.peers.delete(uid);
    this.peer(uid).waiting = 1;
  }

  /**
   * Miners to evaluate this window: all of them when few; otherwise sort by ordinal into 5 bins,
   * pick a bin with `rand`, and draw up to `count` from it weighted by how long each has waited.
   */
  selectForEvaluation(candidates: number[], count: number, rand: () => number): number[] {
    let pool = [...new Set(candidates)];
    const bins = 5;
    if (pool.length >= bins * count) {
      pool.sort((a, b) => this.ordinal(b) - this.ordinal(a) || a - b);
      const size = Math.ceil(pool.length / bins);
      const bin = Math.min(bins - 1, Math.floor(rand() * bins));
      pool = pool.slice(bin * size, (bin + 1) * size);
    }
    const chosen: number[] = [];
    while (chosen.length < count && pool.length) {
      const w = pool.map((u) => this.peer(u).waiting);
      let x = rand() * w.reduce((s, v) => s + v, 0);
      let i = 0;
      while (i < pool.length - 1 && x >= w[i]) x -= w[i++];
      chosen.push(pool[i]);
      pool.splice(i, 1);
    }
    for (const u of new Set(candidates)) {
      const p = this.peer(u);
      p.waiting = chosen.includes(u) ? 1 : p.waiting + 1;
    }
    return chosen;
  }

  /**
   * Weights over uids with a positive final score: the top `gatherPeers` share 75 % on a linear
   * profile from 2 down to 1; the next `reservePeers` share 25 % with halving weights, each capped
   * at half the smallest gather weight. Sums to 1 (or is empty).
   */
  weights(): Map<number, number> {
    const ranked = [...this.peers.values()].filter((p) => p.final > 0).sort((a, b) => b.final - a.final || a.uid - b.uid);
    const out = new Map<number, number>();
    const gather = ranked.slice(0, this.params.gatherPeers);
    const reserve = ranked.slice(this.params.gatherPeers, this.params.gatherPeers + this.params.reservePeers);
    if (!gather.length) return out;
    const shareG = reserve.length ? 0.75 : 1;
    const lin = gather.map((_, i) => (gather.length === 1 ? 1 : 2 - i / (gather.length - 1)));
    const sumLin = lin.reduce((s, v) => s + v, 0);
    gather.forEach((p, i) => out.set(p.uid, (shareG * lin[i]) / sumLin));
    if (reserve.length) {
      const geo = reserve.map((_, i) => 0.5 ** i);
      const sumGeo = geo.reduce((s, v) => s + v, 0);
      const cap = Math.min(...gather.map((p) => out.get(p.uid)!)) * 0.5;
      reserve.forEach((p, i) => out.set(p.uid, Math.min(cap, (0.25 * geo[i]) / sumGeo)));
    }
    const total = [...out.values()].reduce((s, v) => s + v, 0);
    for (const [u, w] of out) out.set(u, w / total);
    return out;
  }

  state(): GauntletState {
    return { peers: [...this.peers.values()].sort((a, b) => a.uid - b.uid).map((p) => ({ ...p })) };
  }
}
