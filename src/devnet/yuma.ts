// Yuma consensus for one subnet epoch (dense form of Subtensor's `epoch`, "Yuma 2" bonds), in
// floating point. Pure function: the runtime feeds it storage and writes the results back.
//
//   1. active  = last_update + activity_cutoff >= block
//   2. S       = stake, zeroed for inactive and for UIDs without a validator permit (the permits
//                from the previous epoch), normalised to sum 1
//   3. W       = weights, rows of non-permitted validators dropped, self-weights dropped, weights
//                to UIDs registered after the validator last set weights dropped; row-normalised
//   4. C_j     = stake-weighted median of column j: the largest w such that the validators giving
//                UID j at least w hold at least κ of the active stake (κ = Kappa/65535)
//   5. W̃_ij    = min(W_ij, C_j); validator trust_i = Σ_j W̃_ij
//   6. R_j     = Σ_i S_i W̃_ij; incentive = R / ΣR; trust_j = R_j / Σ_i S_i W_ij
//   7. ΔB_ij   = S_i W̃_ij, column-normalised; B = α ΔB + (1 − α) B_prev (α = 1 − BondsMovingAverage/10⁶),
//                column-normalised
//   8. D_i     = Σ_j B_ij I_j, normalised
//   New validator permits: the top MaxAllowedValidators UIDs by stake among those with stake > 0.

export interface YumaInput {
  block: number;
  stake: number[];
  lastUpdate: number[];
  blockAtRegistration: number[];
  activityCutoff: number;
  permits: boolean[]; // from the previous epoch
  maxAllowedValidators: number;
  weights: [number, number][][]; // sparse rows (uid, u16)
  bonds: [number, number][][]; // sparse rows (uid, u16), column max-upscaled
  kappa: number; // 0..1
  bondsAlpha: number; // 0..1 (weight of the new bonds)
  ownerUid?: number; // owner may self-weight (not used for consensus)
}

export interface YumaOutput {
  active: boolean[];
  activeStake: number[];
  consensus: number[];
  incentive: number[];
  dividends: number[];
  trust: number[];
  validatorTrust: number[];
  rank: number[];
  newPermits: boolean[];
  bonds: number[][]; // dense, column max-upscaled (max of each column = 1)
}

const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
function normalize(v: number[]): number[] {
  const s = sum(v);
  return s > 0 ? v.map((x) => x / s) : v.map(() => 0);
}

export function topKNonzero(stake: number[], k: number): boolean[] {
  const order = stake
    .map((s, i) => [s, i] as const)
    .filter(([s]) => s > 0)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const out = stake.map(() => false);
  for (const [, i] of order.slice(0, k)) out[i] = true;
  return out;
}

/** The largest value c in column such that Σ stake of rows with value ≥ c is ≥ kappa·Σ stake. */
export function weightedMedianCol(stake: number[], col: number[], kappa: number): number {
  const total = sum(stake);
  if (total <= 0) return 0;
  const cands = [...new Set(col.filter((_, i) => stake[i]! > 0))].sort((a, b) => b - a);
  for (const c of cands) {
    let support = 0;
    for (let i = 0; i < col.length; i++) if (stake[i]! > 0 && col[i]! >= c) support += stake[i]!;
    if (support >= kappa * total - 1e-12) return c;
  }
  return 0;
}

export function yumaEpoch(inp: YumaInput): YumaOutput {
  const n = inp.stake.length;
  const active = inp.lastUpdate.map((lu) => lu + inp.activityCutoff >= inp.block);
  const stakeN = normalize(inp.stake);
  let S = stakeN.map((s, i) => (active[i] && inp.permits[i] ? s : 0));
  S = normalize(S);
  const newPermits = topKNonzero(inp.stake, inp.maxAllowedValidators);

  // dense weights in [0,1] (u16 / 65535), masked then row-normalised
  const W: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    if (!inp.permits[i]) continue;
    for (const [j, w] of inp.weights[i] ?? []) {
      if (j >= n || j === i) continue;
      if (inp.lastUpdate[i]! <= inp.blockAtRegistration[j]!) continue; // outdated: j registered after i's weights
      W[i]![j] = w / 65535;
    }
    const s = sum(W[i]!);
    if (s > 0) W[i] = W[i]!.map((x) => x / s);
  }
  const preranks = Array.from({ length: n }, (_, j) => sum(S.map((s, i) => s * W[i]![j]!)));
  const consensus = Array.from({ length: n }, (_, j) => weightedMedianCol(S, W.map((r) => r[j]!), inp.kappa));
  const Wc = W.map((r) => r.map((w, j) => Math.min(w, consensus[j]!)));
  const validatorTrust = Wc.map((r) => sum(r));
  const ranksRaw = Array.from({ length: n }, (_, j) => sum(S.map((s, i) => s * Wc[i]![j]!)));
  const trust = ranksRaw.map((r, j) => (preranks[j]! > 0 ? r / preranks[j]! : 0));
  const incentive = normalize(ranksRaw);
  const rank = incentive.slice();

  // bonds
  const Bprev: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (const [j, b] of inp.bonds[i] ?? []) {
      if (j >= n) continue;
      if (inp.lastUpdate[i]! <= inp.blockAtRegistration[j]!) continue;
      Bprev[i]![j] = b / 65535;
    }
  }
  const colNormalize = (M: number[][]) => {
    for (let j = 0; j < n; j++) {
      const s = sum(M.map((r) => r[j]!));
      if (s > 0) for (let i = 0; i < n; i++) M[i]![j] = M[i]![j]! / s;
    }
  };
  colNormalize(Bprev);
  const dB = Wc.map((r, i) => r.map((w) => w * S[i]!));
  colNormalize(dB);
  const a = inp.bondsAlpha;
  const B = dB.map((r, i) => r.map((d, j) => a * d + (1 - a) * Bprev[i]![j]!));
  colNormalize(B);
  const dividends = normalize(B.map((r) => sum(r.map((b, j) => b * incentive[j]!))));

  // stored bonds: column max-upscaled, only rows that keep a permit
  const stored = B.map((r, i) => (newPermits[i] ? r.slice() : new Array<number>(n).fill(0)));
  for (let j = 0; j < n; j++) {
    const m = Math.max(0, ...stored.map((r) => r[j]!));
    if (m > 0) for (let i = 0; i < n; i++) stored[i]![j] = stored[i]![j]! / m;
  }
  return { active, activeStake: S, consensus, incentive, dividends, trust, validatorTrust, rank, newPermits, bonds: stored };
}

/** Fixed proportion [0,1] → u16 as Subtensor stores it. */
export const toU16 = (x: number): number => Math.max(0, Math.min(65535, Math.round(x * 65535)));
