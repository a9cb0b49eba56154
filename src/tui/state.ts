// The view model of the screens: a pure fold of the typed role events (src/protocol/events.ts,
// docs/events.md). Components only render a `View`; nothing here touches the terminal.
import type { ChainStatusEvent, LocoEvent, Phase, Role } from '../protocol/events.js';

export interface StepPoint {
  step: number;
  window: number | null;
  loss: number | null;
}

export interface WindowPoint {
  window: number;
  /** mean inner-step loss of the window (finite losses only) */
  loss: number;
}

export interface WindowBandwidth {
  window: number;
  /** bytes this participant uploaded for the window */
  up: number;
  /** bytes gathered from peers for the window */
  down: number;
  /** dense fp32 bytes / uploaded bytes */
  ratio: number | null;
  uploadSeconds: number | null;
  gatherSeconds: number | null;
}

export interface PeerView {
  window: number | null;
  accepted: number[];
  missing: number[];
  rejected: { uid: number; reason: string; message?: string }[];
}

export interface LeaderRow {
  uid: number;
  /** not in the events (yet): the screens show it when a caller supplies it via `hotkeys` */
  hotkey?: string;
  ownImprovement: number | null;
  randomImprovement: number | null;
  indicatorMa: number | null;
  sync: number | null;
  /** openskill rating (mu, sigma) from `scores` */
  mu: number | null;
  sigma: number | null;
  final: number;
  weight: number | null;
  penalty?: string;
}

export interface WeightSubmission {
  window: number | null;
  t: string;
  count: number;
  submitted: boolean;
  included?: boolean;
  block?: number;
  error?: string;
  /** commit–reveal subnets: a hash commit, then its reveal (which sets the weights); absent: set_weights */
  mode?: 'set' | 'commit' | 'reveal';
}

export interface LogLine {
  t: string;
  level: 'info' | 'warn' | 'error';
  text: string;
}

export interface View {
  role: Role | null;
  uid: number | null;
  window: number | null;
  /** time of the last event seen (ISO) */
  lastT: string | null;
  phase: Phase | null;
  steps: StepPoint[];
  windows: WindowPoint[];
  tokensPerS: number | null;
  lr: number | null;
  gradNorm: number | null;
  bandwidth: WindowBandwidth[];
  peers: PeerView | null;
  outerSteps: number;
  evaluated: number;
  leaderboard: LeaderRow[];
  weights: WeightSubmission[];
  log: LogLine[];
  fatal: string | null;
  /** the miner's last `paused` event: no training or upload while true */
  paused: boolean;
  /** the last `chain_status` (block, countdown, stake, incentive, validators' weights), null without a chain */
  chain: ChainStatusEvent | null;
  /** private: running sums for the current window's mean loss */
  acc: { window: number | null; sum: number; n: number };
}

export const LIMITS = { steps: 2000, windows: 500, bandwidth: 200, weights: 50, log: 200 };

export function initialView(): View {
  return {
    role: null,
    uid: null,
    window: null,
    lastT: null,
    phase: null,
    steps: [],
    windows: [],
    tokensPerS: null,
    lr: null,
    gradNorm: null,
    bandwidth: [],
    peers: null,
    outerSteps: 0,
    evaluated: 0,
    leaderboard: [],
    weights: [],
    log: [],
    fatal: null,
    paused: false,
    chain: null,
    acc: { window: null, sum: 0, n: 0 },
  };
}

const tail = <T>(xs: T[], n: number): T[] => (xs.length > n ? xs.slice(xs.length - n) : xs);

function bw(v: View, window: number): [WindowBandwidth[], WindowBandwidth] {
  const i = v.bandwidth.findIndex((b) => b.window === window);
  if (i >= 0) {
    const list = v.bandwidth.slice();
    const row = { ...list[i] };
    list[i] = row;
    return [list, row];
  }
  const row: WindowBandwidth = { window, up: 0, down: 0, ratio: null, uploadSeconds: null, gatherSeconds: null };
  const list = tail([...v.bandwidth, row], LIMITS.bandwidth).sort((a, b) => a.window - b.window);
  return [list, row];
}

function row(v: View, uid: number): [LeaderRow[], LeaderRow] {
  const list = v.leaderboard.slice();
  const i = list.findIndex((r) => r.uid === uid);
  const r: LeaderRow =
    i >= 0
      ? { ...list[i] }
      : { uid, ownImprovement: null, randomImprovement: null, indicatorMa: null, sync: null, mu: null, sigma: null, final: 0, weight: null };
  if (i >= 0) list[i] = r;
  else list.push(r);
  return [list, r];
}

/** Leaderboard rows, best final score first (ties: lower uid first). */
export function sortedLeaderboard(rows: readonly LeaderRow[]): LeaderRow[] {
  return rows.slice().sort((a, b) => b.final - a.final || a.uid - b.uid);
}

function log(v: View, e: LocoEvent, level: LogLine['level'], text: string): LogLine[] {
  const w = e.window === null ? '' : `w${e.window} `;
  return tail([...v.log, { t: e.t, level, text: `${w}${text}` }], LIMITS.log);
}

/** Close the running window mean when the window changes. */
function rollWindow(v: View, window: number | null): Pick<View, 'windows' | 'acc'> {
  if (v.acc.window === window) return { windows: v.windows, acc: v.acc };
  let windows = v.windows;
  if (v.acc.window !== null && v.acc.n > 0) {
    windows = tail([...windows.filter((p) => p.window !== v.acc.window), { window: v.acc.window, loss: v.acc.sum / v.acc.n }], LIMITS.windows);
  }
  return { windows, acc: { window, sum: 0, n: 0 } };
}

/** Mean loss of the window in progress (null when it has no finite loss yet). */
export function currentWindowLoss(v: View): WindowPoint | null {
  return v.acc.window !== null && v.acc.n > 0 ? { window: v.acc.window, loss: v.acc.sum / v.acc.n } : null;
}

/** Per-window losses including the window in progress. */
export function windowSeries(v: View): WindowPoint[] {
  const cur = currentWindowLoss(v);
  return cur ? [...v.windows, cur] : v.windows;
}

const fmtBytes = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

export function reduce(v: View, e: LocoEvent): View {
  const base: View = { ...v, role: e.role, uid: e.uid, lastT: e.t, window: e.window ?? v.window };
  switch (e.event) {
    case 'inner_step': {
      const r = rollWindow(base, e.window);
      const finite = e.loss !== null && Number.isFinite(e.loss);
      const acc = finite ? { window: r.acc.window, sum: r.acc.sum + (e.loss as number), n: r.acc.n + 1 } : r.acc;
      return {
        ...base,
        ...r,
        acc,
        steps: tail([...v.steps, { step: e.step, window: e.window, loss: finite ? e.loss : null }], LIMITS.steps),
        tokensPerS: e.tokens_per_s,
        lr: e.lr,
        gradNorm: e.grad_norm,
      };
    }
    case 'phase':
      return { ...base, phase: e.state === 'start' ? e.phase : v.phase === e.phase ? null : v.phase };
    case 'upload': {
      if (e.window === null) return base;
      const [bandwidth, b] = bw(v, e.window);
      b.up += e.bytes;
      b.ratio = e.bytes > 0 ? e.dense_bytes / e.bytes : null;
      b.uploadSeconds = e.seconds;
      return { ...base, bandwidth, log: log(v, e, 'info', `uploaded ${fmtBytes(e.bytes)} in ${e.seconds.toFixed(2)} s`) };
    }
    case 'gather': {
      let bandwidth = v.bandwidth;
      if (e.window !== null) {
        const [list, b] = bw(v, e.window);
        b.down += e.bytes;
        b.gatherSeconds = e.seconds;
        bandwidth = list;
      }
      const messages = new Map<number, string>();
      if (v.peers && v.peers.window === e.window) for (const r of v.peers.rejected) if (r.message) messages.set(r.uid, r.message);
      const peers: PeerView = {
        window: e.window,
        accepted: e.accepted.slice(),
        missing: e.missing.slice(),
        rejected: e.rejected.map((r) => ({ uid: r.uid, reason: r.reason, message: messages.get(r.uid) })),
      };
      const text = `gathered ${e.accepted.length}, rejected ${e.rejected.length}, missing ${e.missing.length} (${fmtBytes(e.bytes)}, ${e.seconds.toFixed(2)} s)`;
      return { ...base, bandwidth, peers, log: log(v, e, e.rejected.length || e.missing.length ? 'warn' : 'info', text) };
    }
    case 'payload_rejected': {
      // arrives before its window's gather: keep the message so the gather can show it
      const cur = v.peers && v.peers.window === e.window ? v.peers : { window: e.window, accepted: [], missing: [], rejected: [] };
      const peers = { ...cur, rejected: [...cur.rejected.filter((r) => r.uid !== e.peer), { uid: e.peer, reason: e.reason, message: e.message }] };
      return { ...base, peers, log: log(v, e, 'warn', `uid ${e.peer} rejected: ${e.reason} (${e.message})`) };
    }
    case 'outer_step':
      return { ...base, outerSteps: v.outerSteps + 1, log: log(v, e, 'info', `outer step over ${e.peers.length} peers, |Δ| ${e.update_norm.toFixed(4)}`) };
    case 'evaluation': {
      const [leaderboard, r] = row(v, e.peer);
      r.ownImprovement = e.loss_before_own - e.loss_after_own;
      r.randomImprovement = e.loss_before_random - e.loss_after_random;
      r.indicatorMa = e.binary_ma;
      r.sync = e.sync;
      r.final = e.final;
      r.penalty = undefined;
      return { ...base, leaderboard, evaluated: v.evaluated + 1 };
    }
    case 'penalty': {
      const [leaderboard, r] = row(v, e.peer);
      r.penalty = e.penalty;
      return { ...base, leaderboard, log: log(v, e, 'warn', `uid ${e.peer} penalty ${e.penalty}: ${e.reason}`) };
    }
    case 'scores': {
      let leaderboard = v.leaderboard;
      for (const p of e.peers) {
        const [list, r] = row({ ...v, leaderboard }, p.uid);
        r.final = p.final;
        r.mu = p.mu;
        r.sigma = p.sigma;
        r.indicatorMa = p.binary_ma;
        r.sync = p.sync;
        leaderboard = list;
      }
      return { ...base, leaderboard };
    }
    case 'weights': {
      // a hash commit sets nothing on chain yet: the leaderboard keeps the weights in force
      if (e.mode === 'commit') {
        const sub: WeightSubmission = { window: e.window, t: e.t, count: e.uids.length, submitted: e.submitted, included: e.included, block: e.block, error: e.error, mode: e.mode };
        return { ...base, weights: tail([...v.weights, sub], LIMITS.weights), log: log(v, e, e.error ? 'error' : 'info', `weights for ${e.uids.length} uids committed (hash)${e.block ? ` in block ${e.block}` : ''}${e.error ? `: ${e.error}` : ''}`) };
      }
      let leaderboard: LeaderRow[] = v.leaderboard.map((r) => ({ ...r, weight: 0 }));
      e.uids.forEach((uid, i) => {
        const [list, r] = row({ ...v, leaderboard }, uid);
        r.weight = e.weights[i] ?? 0;
        leaderboard = list;
      });
      const sub: WeightSubmission = { window: e.window, t: e.t, count: e.uids.length, submitted: e.submitted, included: e.included, block: e.block, error: e.error, mode: e.mode };
      const how = e.mode === 'reveal' ? 'revealed' : 'included';
      const text = `weights for ${e.uids.length} uids ${e.submitted ? (e.included ? `${how} in block ${e.block ?? '?'}` : 'submitted') : 'computed'}${e.error ? `: ${e.error}` : ''}`;
      return { ...base, leaderboard, weights: tail([...v.weights, sub], LIMITS.weights), log: log(v, e, e.error ? 'error' : 'info', text) };
    }
    case 'checkpoint':
      return { ...base, log: log(v, e, 'info', `checkpoint ${e.key} (${fmtBytes(e.bytes)})`) };
    case 'chain_status':
      // the chain's window may run ahead of the loop's: the loop's window stays the one shown
      return { ...base, window: v.window ?? e.window, chain: e };
    case 'paused':
      return { ...base, paused: e.paused, log: log(v, e, 'warn', e.paused ? 'paused: no training or upload, still applying outer steps' : 'resumed training') };
    case 'error':
      return { ...base, fatal: e.fatal ? e.message : v.fatal, log: log(v, e, 'error', `${e.kind}: ${e.message}`) };
    default:
      return base;
  }
}

export function fold(events: Iterable<LocoEvent>, v: View = initialView()): View {
  for (const e of events) v = reduce(v, e);
  return v;
}

/** Short byte count for narrow panels: 512B, 242.6K, 1.2M. */
export const fmtBytesShort = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)}M` : n >= 1024 ? `${(n / 1024).toFixed(1)}K` : `${n}B`);

export { fmtBytes };
