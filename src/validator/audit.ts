// `loco audit` (docs/audit.md; DESIGN contract 9: "every number a validator uses must be
// reproducible from public objects"). Re-runs a validator's scoring of a past window from public
// objects only — the run manifest, the miners' payloads and sampled parameters in their stores, the
// validator's published per-window scores (with the nonce of its evaluation draw) — and compares.
//
// There is no second implementation of the scoring: the audit drives the validator's own
// `Validator.processWindow` (the same gather, checks, sync check, evaluation draw, loss
// measurements, OpenSkill match, penalties and outer step), window after window from θ₀, with the
// published nonce of each window and the peer set the validator published for it. Its output goes to
// a scratch store and is compared with what the validator published and, when a chain is given,
// with the weights it set.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocoError } from '../errors.js';
import type { Chain } from '../chain/client.js';
import { normaliseWeights } from '../chain/weights.js';
import { windowStartBlock } from '../protocol/clock.js';
import type { EventSink } from '../protocol/events.js';
import type { LoadedManifest } from '../protocol/manifest.js';
import { keys } from '../protocol/naming.js';
import { openStore, type ObjectStore } from '../storage/index.js';
import type { Engine } from '../trainer/engine.js';
import type { Peer } from '../miner/window.js';
import { Gauntlet, paramsFromManifest, type PeerScore } from './gauntlet.js';
import { Validator } from './validator.js';

/** The scores object a validator publishes as keys.scores(run, w) (src/validator/validator.ts). */
export interface PublishedScores {
  v: 1;
  window: number;
  validator: number;
  nonce: string;
  gathered: number[];
  rejected: { uid: number; reason: string }[];
  missing: number[];
  evaluated: PublishedEvaluation[];
  peers: PeerScore[];
  /** content digest of each accepted payload (src/validator/digest.ts); absent in older objects */
  payloads?: { uid: number; digest: string }[];
}

export interface PublishedEvaluation {
  uid: number;
  beforeOwn: number;
  afterOwn: number;
  beforeRandom: number;
  afterRandom: number;
  gradientScore: number;
  improveOwn: number;
  improveRandom: number;
  indicator: 1 | -1;
  stepsBehind: number | null;
  sync: number;
}

/** The set_weights a validator sent for a window, as found on chain. */
export interface ChainWeights {
  block: number;
  uids: number[];
  /** u16 values as sent */
  values: number[];
}

export interface AuditOptions {
  manifest: LoadedManifest;
  shards: string[];
  numSamples: number;
  /** the audited validator's store (where its scores objects are) */
  validatorStore: ObjectStore;
  /** the window to audit */
  window: number;
  /** every miner that may appear in the validator's peer lists (uid, hotkey, store) */
  peers: () => Promise<readonly Peer[]>;
  /** chain time at which window w began (ChainClock.startTime, or the clock a test used) */
  startTime: (w: number) => Promise<Date>;
  /** an engine for the replay (its parameters are overwritten) */
  engine: Engine;
  workDir: string;
  /** first window to replay (default: the validator's first published scores object) */
  from?: number;
  /** relative tolerance for losses and scores (different BLAS builds/threads round differently) */
  tolerance?: number;
  /**
   * The set_weights the validator sent on chain in the blocks where its weights for this window can
   * be (findSetWeights); the window's weights match when one of them carries the recomputed values.
   */
  chainWeights?: () => Promise<ChainWeights[]>;
  events?: EventSink;
  log?: (msg: string) => void;
}

export interface MinerView {
  /** gathered | rejected:<reason> | missing | absent (not in the peer list) */
  status: string;
  digest?: string;
  evaluation?: PublishedEvaluation;
  score?: Pick<PeerScore, 'mu' | 'sigma' | 'binaryMA' | 'sync' | 'final' | 'inactiveWindows' | 'lastEvaluated'>;
  weight: number;
}

export interface MinerAudit {
  uid: number;
  match: boolean;
  differences: string[];
  published: MinerView;
  recomputed: MinerView;
  /** why a miner whose own payload is unchanged still differs */
  note?: string;
}

export interface AuditReport {
  window: number;
  validator: number;
  run: string;
  /** windows replayed (from … window) */
  replayed: [number, number];
  match: boolean;
  miners: MinerAudit[];
  /** weights implied by the published scores vs the recomputed ones vs on chain */
  weights: {
    due: boolean;
    published: Record<string, number>;
    recomputed: Record<string, number>;
    chain: ChainWeights | null;
    /** null: no chain was asked, or the window is not a weights window */
    chainMatch: boolean | null;
    differences: string[];
  };
  /** differences found in the windows replayed before this one (they carry into this one's state) */
  earlier: { window: number; differences: string[] }[];
  /** other differences (nonce, validator uid, …) */
  differences: string[];
}

export async function readScores(store: ObjectStore, runId: string, window: number): Promise<PublishedScores | null> {
  let data: Uint8Array;
  try {
    data = (await store.get(keys.scores(runId, window), { maxBytes: 64 << 20 })).data;
  } catch (e) {
    if ((e as LocoError).kind === 'notFound') return null;
    throw e;
  }
  let s: PublishedScores;
  try {
    s = JSON.parse(Buffer.from(data).toString('utf8')) as PublishedScores;
  } catch (e) {
    throw new LocoError('invalidInput', `scores object for window ${window} is not JSON: ${(e as Error).message}`);
  }
  if (s.v !== 1 || s.window !== window || typeof s.nonce !== 'string' || !/^[0-9a-f]*$/.test(s.nonce) || !Array.isArray(s.gathered) || !Array.isArray(s.peers)) {
    throw new LocoError('invalidInput', `scores object for window ${window} is malformed`);
  }
  return s;
}

/** Windows for which the validator published scores, ascending. */
export async function publishedWindows(store: ObjectStore, runId: string): Promise<number[]> {
  const prefix = `${runId}/scores/`;
  return (await store.list(prefix))
    .map((o) => /^(\d{10})\.json$/.exec(o.key.slice(prefix.length)))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
}

const peerUids = (s: PublishedScores) => [...new Set([...s.gathered, ...s.rejected.map((r) => r.uid), ...s.missing])].sort((a, b) => a - b);

function close(a: number | null | undefined, b: number | null | undefined, tol: number): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return a === b || (a == null && b == null);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Object.is(a, b);
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}

const fmt = (x: number | null | undefined) => (x === null || x === undefined ? 'none' : Number.isInteger(x) ? String(x) : x.toPrecision(8));

function view(s: PublishedScores, uid: number, weights: Map<number, number>): MinerView {
  const rej = s.rejected.find((r) => r.uid === uid);
  const status = s.gathered.includes(uid) ? 'gathered' : rej ? `rejected:${rej.reason}` : s.missing.includes(uid) ? 'missing' : 'absent';
  const p = s.peers.find((x) => x.uid === uid);
  return {
    status,
    ...(s.payloads?.find((x) => x.uid === uid) ? { digest: s.payloads.find((x) => x.uid === uid)!.digest } : {}),
    ...(s.evaluated.find((e) => e.uid === uid) ? { evaluation: s.evaluated.find((e) => e.uid === uid) } : {}),
    ...(p ? { score: { mu: p.mu, sigma: p.sigma, binaryMA: p.binaryMA, sync: p.sync, final: p.final, inactiveWindows: p.inactiveWindows, lastEvaluated: p.lastEvaluated } } : {}),
    weight: weights.get(uid) ?? 0,
  };
}

const EVAL_FIELDS = ['beforeOwn', 'afterOwn', 'beforeRandom', 'afterRandom', 'gradientScore', 'improveOwn', 'improveRandom', 'stepsBehind', 'sync'] as const;
const SCORE_FIELDS = ['mu', 'sigma', 'binaryMA', 'sync', 'final'] as const;

function compareMiner(uid: number, pub: MinerView, rec: MinerView, tol: number): string[] {
  const d: string[] = [];
  if (pub.status !== rec.status) d.push(`gather: published ${pub.status}, recomputed ${rec.status}`);
  if (pub.digest !== undefined && rec.digest !== undefined && pub.digest !== rec.digest) {
    d.push(`payload: the stored payload (content ${rec.digest.slice(0, 16)}…) is not the one the validator scored (${pub.digest.slice(0, 16)}…)`);
  }
  if (Boolean(pub.evaluation) !== Boolean(rec.evaluation)) d.push(`evaluated: published ${pub.evaluation ? 'yes' : 'no'}, recomputed ${rec.evaluation ? 'yes' : 'no'}`);
  if (pub.evaluation && rec.evaluation) {
    for (const f of EVAL_FIELDS) if (!close(pub.evaluation[f], rec.evaluation[f], tol)) d.push(`${f}: published ${fmt(pub.evaluation[f])}, recomputed ${fmt(rec.evaluation[f])}`);
    if (pub.evaluation.indicator !== rec.evaluation.indicator) d.push(`indicator: published ${pub.evaluation.indicator}, recomputed ${rec.evaluation.indicator}`);
  }
  if (Boolean(pub.score) !== Boolean(rec.score)) d.push(`score: published ${pub.score ? 'present' : 'absent'}, recomputed ${rec.score ? 'present' : 'absent'}`);
  if (pub.score && rec.score) {
    for (const f of SCORE_FIELDS) if (!close(pub.score[f], rec.score[f], tol)) d.push(`${f}: published ${fmt(pub.score[f])}, recomputed ${fmt(rec.score[f])}`);
    if (pub.score.inactiveWindows !== rec.score.inactiveWindows) d.push(`inactiveWindows: published ${pub.score.inactiveWindows}, recomputed ${rec.score.inactiveWindows}`);
    if (pub.score.lastEvaluated !== rec.score.lastEvaluated) d.push(`lastEvaluated: published ${fmt(pub.score.lastEvaluated)}, recomputed ${fmt(rec.score.lastEvaluated)}`);
  }
  if (!close(pub.weight, rec.weight, tol)) d.push(`weight: published ${fmt(pub.weight)}, recomputed ${fmt(rec.weight)}`);
  void uid;
  return d;
}

/** Compare two scores objects of one window: per miner, plus the window-level fields. */
export function compareScores(
  pub: PublishedScores,
  rec: PublishedScores,
  params: ReturnType<typeof paramsFromManifest>,
  tol: number,
): { miners: MinerAudit[]; differences: string[]; pubWeights: Map<number, number>; recWeights: Map<number, number> } {
  const differences: string[] = [];
  if (pub.nonce !== rec.nonce) differences.push(`nonce: published ${pub.nonce}, used ${rec.nonce}`);
  const pubWeights = new Gauntlet(params, { peers: pub.peers }).weights();
  const recWeights = new Gauntlet(params, { peers: rec.peers }).weights();
  const uids = [...new Set([...peerUids(pub), ...peerUids(rec), ...pub.peers.map((p) => p.uid), ...rec.peers.map((p) => p.uid)])].sort((a, b) => a - b);
  const miners = uids.map((uid) => {
    const published = view(pub, uid, pubWeights);
    const recomputed = view(rec, uid, recWeights);
    const d = compareMiner(uid, published, recomputed, tol);
    return { uid, match: d.length === 0, differences: d, published, recomputed };
  });
  return { miners, differences, pubWeights, recWeights };
}

/**
 * Re-run the validator's scoring of windows `from … window` and compare each with what it published.
 * Throws (notFound) when a needed scores object is missing; returns a report otherwise (match or not).
 */
export async function auditWindow(o: AuditOptions): Promise<AuditReport> {
  const runId = o.manifest.runId;
  const target = await readScores(o.validatorStore, runId, o.window);
  if (!target) throw new LocoError('notFound', `the validator published no scores for window ${o.window} (${keys.scores(runId, o.window)} in ${o.validatorStore.url})`);
  const published = await publishedWindows(o.validatorStore, runId);
  const from = o.from ?? published[0] ?? o.window;
  if (from > o.window) throw new LocoError('usage', `--from ${from} is after the audited window ${o.window}`);

  // a scratch validator: same code, same uid, publishes into a scratch store
  // a fresh folder inside workDir, removed afterwards (workDir itself is never emptied)
  mkdirSync(o.workDir, { recursive: true });
  const base = mkdtempSync(join(o.workDir, 'loco-audit-'));
  try {
    return await replay(o, base, target, from);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

async function replay(o: AuditOptions, base: string, target: PublishedScores, from: number): Promise<AuditReport> {
  const { manifest } = o;
  const runId = manifest.runId;
  const tol = o.tolerance ?? 1e-5;
  const log = o.log ?? (() => {});
  const params = paramsFromManifest(manifest.manifest);
  const all = await o.peers();
  const scratchDir = join(base, 'published');
  mkdirSync(scratchDir, { recursive: true });
  const scratch = openStore(pathToFileURL(scratchDir).href);
  let current: PublishedScores = target;
  let windowPeers: Peer[] = [];
  const v = new Validator({
    engine: o.engine,
    manifest,
    shards: o.shards,
    numSamples: o.numSamples,
    uid: target.validator,
    store: scratch,
    peers: async () => windowPeers,
    workDir: join(base, 'work'),
    events: o.events,
    nonce: () => new Uint8Array(Buffer.from(current.nonce, 'hex')),
  });
  await v.initModel();

  const earlier: AuditReport['earlier'] = [];
  let last: ReturnType<typeof compareScores> | null = null;
  for (let w = from; w <= o.window; w++) {
    const pub = w === o.window ? target : await readScores(o.validatorStore, runId, w);
    if (!pub) throw new LocoError('notFound', `the validator published no scores for window ${w}: cannot replay its state from window ${from} (try --from)`);
    if (pub.validator !== target.validator) throw new LocoError('invalidInput', `scores of window ${w} name validator uid ${pub.validator}, window ${o.window} names ${target.validator}`);
    current = pub;
    const want = peerUids(pub);
    const unknown = want.filter((u) => !all.some((p) => p.uid === u));
    if (unknown.length) throw new LocoError('notFound', `window ${w}: the validator listed miners ${unknown.join(', ')}, whose hotkey/store this audit cannot resolve (commitments or --peers)`);
    windowPeers = all.filter((p) => want.includes(p.uid));
    log(`replaying window ${w} (${windowPeers.length} miners)`);
    await v.processWindow(w, await o.startTime(w + 1));
    const rec = await readScores(scratch, runId, w);
    if (!rec) throw new LocoError('failure', `the replay of window ${w} published no scores`);
    const c = compareScores(pub, rec, params, tol);
    if (w < o.window) {
      const d = [...c.differences, ...c.miners.flatMap((m) => m.differences.map((x) => `uid ${m.uid}: ${x}`))];
      if (d.length) earlier.push({ window: w, differences: d });
    } else {
      last = c;
    }
  }
  const c = last!;

  // weights: published (implied by the published state) vs recomputed vs on chain
  const due = (o.window + 1) % manifest.manifest.scoring.windows_per_weights === 0;
  const wDiff: string[] = [];
  const rec = [...c.recWeights.entries()].sort((a, b) => a[0] - b[0]);
  const pubW = [...c.pubWeights.entries()].sort((a, b) => a[0] - b[0]);
  let chain: ChainWeights | null = null;
  let chainMatch: boolean | null = null;
  if (o.chainWeights && due) {
    const sent = await o.chainWeights();
    if (sent.length === 0) {
      chainMatch = rec.length === 0;
      if (rec.length) wDiff.push('no set_weights by this validator was found on chain for this window');
    } else {
      // an honest validator sets this window's weights once; which of its set_weights in the
      // searched blocks it was depends on how far behind it ran, so any exact one counts
      chain = sent.find((x) => chainWeightsDiff(rec, x).length === 0) ?? null;
      chainMatch = chain !== null;
      if (!chain) {
        chain = sent[0];
        wDiff.push(`none of its ${sent.length} set_weights in blocks ${sent[0].block}…${sent.at(-1)!.block} carries the recomputed weights; the first:`);
        wDiff.push(...chainWeightsDiff(rec, sent[0]));
      }
    }
  }
  const miners = c.miners;
  // a replaced payload moves the window's median-norm clip, so the other miners' evaluations move too
  const replaced = miners.filter((x) => x.differences.some((d) => d.startsWith('payload:'))).map((x) => x.uid);
  for (const x of miners) {
    if (!x.match && replaced.length && !replaced.includes(x.uid)) x.note = `its payload is the one scored; the differences follow from uid ${replaced.join(', ')} (the window's median-norm clip)`;
  }
  const match = miners.every((m) => m.match) && c.differences.length === 0 && earlier.length === 0 && chainMatch !== false;
  return {
    window: o.window,
    validator: target.validator,
    run: runId,
    replayed: [from, o.window],
    match,
    miners,
    weights: {
      due,
      published: Object.fromEntries(pubW.map(([u, x]) => [String(u), x])),
      recomputed: Object.fromEntries(rec.map(([u, x]) => [String(u), x])),
      chain,
      chainMatch,
      differences: wDiff,
    },
    earlier,
    differences: c.differences,
  };
}

/**
 * Differences between weights (uid → weight, any scale) and the u16 values a set_weights carried:
 * the weights are normalised as the SDK does before sending; u16 rounding may differ by one step.
 */
export function chainWeightsDiff(weights: ReadonlyArray<[number, number]>, chain: ChainWeights): string[] {
  const want = weights.length ? normaliseWeights(weights.map((x) => x[0]), weights.map((x) => x[1])) : { uids: [], values: [] };
  const got = new Map(chain.uids.map((u, i) => [u, chain.values[i]]));
  const wanted = new Map(want.uids.map((u, i) => [u, want.values[i]]));
  const out: string[] = [];
  for (const u of [...new Set([...got.keys(), ...wanted.keys()])].sort((a, b) => a - b)) {
    if (Math.abs((got.get(u) ?? 0) - (wanted.get(u) ?? 0)) > 1) out.push(`uid ${u}: on chain ${got.get(u) ?? 0}/65535, recomputed ${wanted.get(u) ?? 0}/65535`);
  }
  return out;
}

/** Lines for people: one per miner, then weights and earlier windows. */
export function humanAudit(r: AuditReport): string[] {
  const out = [
    `audit of validator uid ${r.validator}, run ${r.run}, window ${r.window} (replayed ${r.replayed[0]}…${r.replayed[1]} from θ₀)`,
    `${'uid'.padStart(5)}  ${'status'.padEnd(22)} ${'score (pub / recomputed)'.padEnd(28)} ${'final (pub / recomputed)'.padEnd(28)} result`,
  ];
  const n = (x: number | undefined) => (x === undefined ? '-' : x.toExponential(3));
  for (const m of r.miners) {
    out.push(
      `${String(m.uid).padStart(5)}  ${m.recomputed.status.padEnd(22)} ${`${n(m.published.evaluation?.gradientScore)} / ${n(m.recomputed.evaluation?.gradientScore)}`.padEnd(28)} ${`${n(m.published.score?.final)} / ${n(m.recomputed.score?.final)}`.padEnd(28)} ${m.match ? 'match' : 'MISMATCH'}`,
    );
    for (const d of m.differences) out.push(`         ${d}`);
    if (m.note) out.push(`         (${m.note})`);
  }
  const ws = (o: Record<string, number>) => Object.entries(o).map(([u, x]) => `${u}:${x.toFixed(4)}`).join(' ') || '(none)';
  out.push(`weights published ${ws(r.weights.published)}`);
  out.push(`weights recomputed ${ws(r.weights.recomputed)}`);
  if (!r.weights.due) out.push('weights on chain: not a weights window');
  else if (r.weights.chainMatch === null) out.push('weights on chain: not checked (no chain)');
  else out.push(`weights on chain${r.weights.chain ? ` (block ${r.weights.chain.block})` : ''}: ${r.weights.chainMatch ? 'match' : 'MISMATCH'}`);
  for (const d of r.weights.differences) out.push(`  ${d}`);
  for (const e of r.earlier) for (const d of e.differences) out.push(`earlier window ${e.window}: ${d}`);
  for (const d of r.differences) out.push(d);
  out.push(r.match ? 'result: the published scores are reproduced' : 'result: MISMATCH');
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/**
 * Every set_weights on `netuid` signed by `hotkey` in blocks [fromBlock, fromBlock + maxBlocks)
 * (up to the head), in block order. A validator sets a window's weights while it processes that
 * window: not before the window's uploads (window w + 1), usually once w + 1 + validator_offset has
 * begun (runValidator), later when it runs behind.
 */
export async function findSetWeights(chain: Chain, netuid: number, hotkey: string, fromBlock: number, maxBlocks: number): Promise<ChainWeights[]> {
  const api = chain.api as Any;
  const head = await chain.blockNumber();
  const out: ChainWeights[] = [];
  for (let b = fromBlock; b <= Math.min(head, fromBlock + maxBlocks - 1); b++) {
    const hash = await api.rpc.chain.getBlockHash(b);
    const signed = await api.rpc.chain.getBlock(hash);
    for (const x of signed.block.extrinsics) {
      if (!x.isSigned || x.method.section !== 'subtensorModule' || x.method.method !== 'setWeights') continue;
      if (x.signer.toString() !== hotkey) continue;
      const [n, dests, weights] = x.method.args;
      if (Number(n.toString()) !== netuid) continue;
      out.push({ block: b, uids: [...dests].map((d: Any) => Number(d.toString())), values: [...weights].map((d: Any) => Number(d.toString())) });
    }
  }
  return out;
}

/**
 * The blocks in which a validator's set_weights for window w can appear: from the start of w + 1,
 * over 2 + validator_offset windows, and at least 600 blocks (short devnet windows go by faster than
 * a validator scores them).
 */
export function weightsSearchRange(w: number, m: LoadedManifest['manifest']): { from: number; blocks: number } {
  return { from: windowStartBlock(w + 1, m.window.blocks_per_window), blocks: Math.max(600, (2 + m.window.validator_offset) * m.window.blocks_per_window) };
}
