// `npm run experiment:sparseloco [-- --rounds R --H H --config tiny --data DIR]`: convergence of
// (a) dense data-parallel AdamW, (b) DiLoCo (dense pseudo-gradients, Nesterov outer lr 0.7, momentum
// 0.9) and (c) SparseLoCo (top-64 of 4096, 2-bit, error feedback β = 0.95, median-clip scatter-mean,
// outer lr 1) with W = 4 simulated workers on disjoint data and equal tokens, on the bundled corpus,
// with the native CPU engine (src/trainer/engine.ts). SparseLoCo goes through the real wire format:
// every worker's update is encoded, signed, decoded and verified before it is aggregated.
// Writes docs/sparseloco-convergence.svg and prints one JSON document with every curve.
// Defaults: 36 rounds of H = 10 inner steps of B = 4 (368,640 tokens per method). SparseLoCo moves
// 1.56 % of each chunk per round, so what it can deliver depends on the number of outer rounds; 12
// rounds of H = 30 (the same tokens) leave it 10 % above DiLoCo on `tiny` (docs/benchmarks.md).
//
// Ablations of (c) (docs/benchmarks.md, "Convergence"): --topk, --embed-topk (k for the embedding
// alone), --beta, --sparse-outer-lr, --sparse-agg avg (Σ/W instead of scatter-mean), --values
// exact|vec-fp32|templar|chunk (other value coders on the codec's own top-k choice). Every SparseLoCo
// round also logs a `diag` line: the share of the error-feedback energy that the top-k keeps, the
// quantiser's relative error (overall and the three worst tensors), sign flips, cos and norm ratio
// of the applied update against the plain mean of the four Δ, and the density of the union of picks.
// --plot a.json,b.json redraws the curves of earlier runs into one SVG without training.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { prepareData, type DataManifest } from '../src/data/prepare.js';
import { Engine } from '../src/trainer/engine.js';
import { getConfig, paramSpecs } from '../src/trainer/configs.js';
import { keypairFromSeed } from '../src/wallet/keypair.js';
import { aggregateTensor, clipScales, dequantLevels, densify, encodeTensor, errorFeedback, forEachKept, quantise, DEFAULT_CODEC, type EncodedTensor, type PeerTensor } from '../src/codec/sparseloco.js';
import { decodePayload, encodePayload } from '../src/codec/payload.js';
import { mulberry32 } from '../src/util/random.js';

const { values: a } = parseArgs({
  options: {
    config: { type: 'string', default: 'tiny' },
    rounds: { type: 'string', default: '36' },
    H: { type: 'string', default: '10' },
    workers: { type: 'string', default: '4' },
    batch: { type: 'string', default: '4' },
    lr: { type: 'string', default: '0.002' },
    seed: { type: 'string', default: '1' },
    data: { type: 'string' },
    'val-samples': { type: 'string', default: '128' },
    out: { type: 'string', default: 'docs/sparseloco-convergence.svg' },
    only: { type: 'string', default: 'dp,diloco,sparseloco' },
    'sparse-outer-lr': { type: 'string', default: '1' },
    /** 'mean': scatter-mean over the peers that chose a coordinate (Templar); 'avg': Σ over peers / W */
    'sparse-agg': { type: 'string', default: 'mean' },
    topk: { type: 'string', default: String(DEFAULT_CODEC.topk) },
    /** error-feedback decay β for SparseLoCo */
    beta: { type: 'string', default: String(DEFAULT_CODEC.beta) },
    /** '2bit': the real codec and wire format; 'exact': the same top-k indices, fp32 values (ablation) */
    values: { type: 'string', default: '2bit' },
    /** ablation: k per 4096 for the embedding alone (default: --topk); the payload round trip is skipped when it differs */
    'embed-topk': { type: 'string' },
    /** engine threads for (a): its one engine does the work of W workers */
    'dp-threads': { type: 'string', default: '1' },
    /** comma-separated JSON outputs of earlier runs: draw all their curves into --out, run nothing */
    plot: { type: 'string' },
  },
});
const cfg = getConfig(a.config!);
const R = Number(a.rounds);
const H = Number(a.H);
const W = Number(a.workers);
const B = Number(a.batch);
const LR = Number(a.lr);
const SEED = Number(a.seed);
const T = cfg.seq_len;
const specs = paramSpecs(cfg);
const P = specs.reduce((s, x) => s + x.numel, 0);
const CODEC = { ...DEFAULT_CODEC, topk: Number(a.topk), beta: Number(a.beta) };
// '2bit': the real codec and wire format. Ablations (same top-k indices from the codec, then the
// values below, aggregated by the codec's rule in this script): 'exact' fp32 values; 'templar' the
// per-tensor 2-bit quantiser with Templar's bins (code = clamp(round(x/1.5σ + 2), 0, 3)); 'chunk'
// this codec's 2-bit quantiser applied per chunk instead of per tensor; 'vec-fp32' this codec's 2-bit
// quantiser for matrices, fp32 values for vectors (the norm scales, which are sent densely).
const VALUES = a.values!;
const EXACT = VALUES !== '2bit';
if (!['2bit', 'exact', 'templar', 'chunk', 'vec-fp32'].includes(VALUES)) throw new Error('--values must be 2bit, exact, templar, chunk or vec-fp32');
const EMBED_CODEC = a['embed-topk'] ? { ...CODEC, topk: Number(a['embed-topk']) } : CODEC;
const codecFor = (t: number) => (t === 0 ? EMBED_CODEC : CODEC);
const log = (m: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);

if (a.plot) {
  const runs = a.plot.split(',').map((f) => JSON.parse(readFileSync(f, 'utf8')) as { config: string; workers: number; H: number; curves: Curve[] });
  const all = runs.flatMap((r) => r.curves);
  writeFileSync(a.out!, svg(all, `${runs[0].config}: validation loss, ${runs[0].workers} workers, H=${runs[0].H}, equal tokens`));
  console.log(JSON.stringify({ svg: a.out, final: Object.fromEntries(all.map((c) => [c.method, c.loss.at(-1)])) }, null, 1));
  process.exit(0);
}

// --- data -------------------------------------------------------------------------------------
let dataDir = a.data;
let tmpData: string | null = null;
if (!dataDir || !existsSync(join(dataDir, 'manifest.json'))) {
  tmpData = dataDir ?? mkdtempSync(join(tmpdir(), 'loco-exp-data-'));
  log(`preparing data in ${tmpData}`);
  await prepareData({ out: tmpData });
  dataDir = tmpData;
}
const manifest = JSON.parse(readFileSync(join(dataDir, 'manifest.json'), 'utf8')) as DataManifest;
const shardsOf = (split: string) => manifest.shards.filter((s) => s.split === split);
const trainShards = shardsOf('train').map((s) => join(dataDir!, s.file));
const valShards = shardsOf('val').map((s) => join(dataDir!, s.file));
const nTrain = shardsOf('train').reduce((s, x) => s + Math.max(0, Math.floor((x.tokens - 1) / T)), 0);
const nVal = shardsOf('val').reduce((s, x) => s + Math.max(0, Math.floor((x.tokens - 1) / T)), 0);
const valIds = Array.from({ length: Math.min(Number(a['val-samples']), nVal) }, (_, i) => Math.floor((i * nVal) / Math.min(Number(a['val-samples']), nVal)));

// disjoint worker data: a seeded permutation of all training samples, dealt round-robin
const perm = Array.from({ length: nTrain }, (_, i) => i);
const rng = mulberry32(SEED);
for (let i = perm.length - 1; i > 0; i--) {
  const j = Math.floor(rng() * (i + 1));
  [perm[i], perm[j]] = [perm[j], perm[i]];
}
const own = Array.from({ length: W }, (_, w) => perm.filter((_, i) => i % W === w));
const perRound = H * B;
if (R * perRound > own[0].length) log(`note: ${R} rounds need ${R * perRound} samples per worker, ${own[0].length} available: data repeats`);
const slice = (w: number, r: number) => Array.from({ length: perRound }, (_, i) => own[w][(r * perRound + i) % own[w].length]);

const train = { micro_batch: B, steps: H, lr: LR, min_lr: LR / 10, warmup_steps: 20, total_steps: R * H, weight_decay: 0.1, grad_clip: 1 };
log(`${cfg.name}: ${P.toLocaleString()} params; ${nTrain} train / ${nVal} val samples of T=${T}; W=${W}, H=${H}, B=${B}, R=${R}; ${R * H * B * W * T} tokens per method`);

async function drain(g: AsyncGenerator<unknown, unknown>): Promise<void> {
  for (;;) if ((await g.next()).done) return;
}

async function evalLoss(e: Engine): Promise<number> {
  return (await e.eval({ shards: valShards, samples: valIds, micro_batch: 16 })).loss ?? NaN;
}

interface Curve {
  method: string;
  tokens: number[];
  loss: number[];
  seconds: number;
  extra?: Record<string, unknown>;
}

async function startWorkers(n: number, threads = 1): Promise<Engine[]> {
  const es = await Promise.all(Array.from({ length: n }, () => Engine.start({ threads })));
  await Promise.all(es.map((e) => e.init(cfg, SEED)));
  return es;
}

// --- (a) dense data-parallel AdamW: one engine, W·B samples per step (= averaged gradients) ------
async function runDP(): Promise<Curve> {
  const t0 = performance.now();
  const [e] = await startWorkers(1, Number(a['dp-threads']));
  const c: Curve = { method: 'data-parallel AdamW', tokens: [0], loss: [await evalLoss(e)], seconds: 0 };
  for (let r = 0; r < R; r++) {
    const samples: number[] = [];
    for (let s = 0; s < H; s++) for (let w = 0; w < W; w++) samples.push(...slice(w, r).slice(s * B, (s + 1) * B));
    await drain(e.train({ shards: trainShards, samples, ...train, grad_accum: W }));
    c.tokens.push((r + 1) * H * B * W * T);
    c.loss.push(await evalLoss(e));
    log(`dp round ${r + 1}/${R}: val loss ${c.loss.at(-1)!.toFixed(4)}`);
  }
  await e.shutdown();
  c.seconds = (performance.now() - t0) / 1000;
  return c;
}

// --- (b) DiLoCo and (c) SparseLoCo: W engines, H inner steps, then an outer step --------------
async function runOuter(kind: 'diloco' | 'sparseloco'): Promise<Curve> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), `loco-exp-${kind}-`));
  const es = await startWorkers(W);
  const c: Curve = { method: kind === 'diloco' ? 'DiLoCo (Nesterov 0.7/0.9)' : `SparseLoCo (${CODEC.topk}/4096${EMBED_CODEC !== CODEC ? `, embed ${EMBED_CODEC.topk}/4096` : ''}, ${{ exact: 'fp32 values', templar: 'Templar 2-bit bins', chunk: '2-bit per chunk', 'vec-fp32': '2-bit, vectors fp32', '2bit': '2-bit' }[VALUES]}, EF ${CODEC.beta}${a['sparse-outer-lr'] === '1' ? '' : `, outer lr ${a['sparse-outer-lr']}`}${a['sparse-agg'] === 'avg' ? ', sum/W' : ''})`, tokens: [0], loss: [await evalLoss(es[0])], seconds: 0 };
  const mom = new Float32Array(P);
  const ef = Array.from({ length: W }, () => specs.map((s) => new Float32Array(s.numel)));
  const keys = await Promise.all(Array.from({ length: W }, (_, w) => keypairFromSeed(new Uint8Array(32).fill(w + 1))));
  const mh = new Uint8Array(32).fill(7);
  let wireBytes = 0;
  let denseNorm = 0;
  let kept = 0;
  const diag: Record<string, number>[] = [];
  for (let r = 0; r < R; r++) {
    await Promise.all(es.map((e) => e.snapshot()));
    await Promise.all(es.map((e, w) => drain(e.train({ shards: trainShards, samples: slice(w, r), ...train }))));
    await Promise.all(es.map((e, w) => e.delta(join(dir, `delta${w}.f32`))));
    const deltas = es.map((_, w) => {
      const b = readFileSync(join(dir, `delta${w}.f32`));
      return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    });
    const u = new Float32Array(P);
    if (kind === 'diloco') {
      for (let i = 0; i < P; i++) {
        let s = 0;
        for (let w = 0; w < W; w++) s += deltas[w][i];
        const g = s / W;
        mom[i] = 0.9 * mom[i] + g;
        u[i] = g + 0.9 * mom[i];
      }
      writeFileSync(join(dir, 'u.f32'), new Uint8Array(u.buffer));
      await Promise.all(es.map((e) => e.apply(join(dir, 'u.f32'), { lr: 0.7 })));
    } else {
      const decoded: PeerTensor[][] = [];
      const exact: Float32Array[][] = [];
      let e2 = 0; // Σ‖e‖² before sending (all workers, all tensors)
      let kept2 = 0; // Σ of the kept entries' squares (before quantisation)
      let qerr2 = 0; // Σ (sent − kept)²: the quantisation error
      let embKept2 = 0;
      let embE2 = 0;
      let flips = 0; // kept values whose dequantised value has the other sign
      const infl = [0, 0, 0]; // matrices: sent > 2|v| by this run's coder, by the codec's quantiser; count
      let nKept = 0;
      const tq = specs.map(() => [0, 0]); // per tensor: Σ kept², Σ quantisation error²
      for (let w = 0; w < W; w++) {
        const enc: EncodedTensor[] = [];
        const vals: Float32Array[] = [];
        let off = 0;
        for (const [t, s] of specs.entries()) {
          const e = ef[w][t];
          errorFeedback(e, deltas[w].subarray(off, off + s.numel), CODEC.beta);
          const pre = e.slice();
          let et: EncodedTensor;
          if (EXACT) {
            // the codec's own top-k choice, then fp32 values instead of 2-bit codes
            et = encodeTensor(s.name, s.shape, e.slice(), codecFor(t));
            const v = new Float32Array(et.indices.length);
            forEachKept(et.layout, et.indices, (j, pos) => (v[j] = e[pos]));
            const fp32 = VALUES === 'exact' || (VALUES === 'vec-fp32' && s.shape.length === 1);
            const q = fp32 ? v : quantiseAblation(v, et.layout.nChunks, et.layout.k);
            if (s.shape.length === 2) {
              // how often a kept value is sent at more than twice its size: by this run's coder, and
              // by the codec's per-tensor 2-bit quantiser on the same values
              const cq = quantise(v, et.layout.nChunks, et.layout.k);
              const cd = dequantLevels(cq.shift, cq.lut);
              for (let j = 0; j < v.length; j++) {
                const m = Math.abs(v[j]);
                if (Math.abs(q[j]) > 2 * m) infl[0]++;
                if (Math.abs(cd[cq.codes[j]]) > 2 * m) infl[1]++;
                infl[2]++;
              }
            }
            forEachKept(et.layout, et.indices, (j, pos) => (e[pos] = fp32 ? 0 : e[pos] - q[j]));
            vals.push(q);
          } else et = encodeTensor(s.name, s.shape, e, codecFor(t));
          enc.push(et);
          let te2 = 0;
          for (let i = 0; i < pre.length; i++) te2 += pre[i] * pre[i];
          let tk2 = 0;
          forEachKept(et.layout, et.indices, (_, pos) => {
            const v = pre[pos];
            tk2 += v * v;
            const sent = pre[pos] - e[pos];
            const d = sent - v;
            qerr2 += d * d;
            tq[t][0] += v * v;
            tq[t][1] += d * d;
            if (v * sent < 0) flips++;
            nKept++;
          });
          e2 += te2;
          kept2 += tk2;
          if (t === 0) {
            embE2 += te2;
            embKept2 += tk2;
          }
          off += s.numel;
        }
        if (EXACT || EMBED_CODEC !== CODEC) {
          decoded.push(enc);
          exact.push(vals);
        } else {
          const buf = await encodePayload({ manifestHash: mh, window: r, uid: w }, enc, keys[w]);
          wireBytes += buf.length;
          const p = await decodePayload(buf, { expect: { manifestHash: mh, window: r, uid: w, hotkey: keys[w].publicKey, tensors: specs, codec: CODEC } });
          decoded.push(p.tensors);
        }
        if (w === 0) kept = enc.reduce((s, t) => s + t.layout.nChunks * t.layout.k, 0);
      }
      let off = 0;
      for (const [t, s] of specs.entries()) {
        const peers = decoded.map((d) => d[t]);
        if (EXACT || EMBED_CODEC !== CODEC) u.set(EXACT ? aggregateExact(peers, exact.map((v) => v[t]), s.numel, a['sparse-agg']!) : aggregateTensor(peers), off);
        else if (a['sparse-agg'] === 'avg') {
          const sc = clipScales(peers);
          const acc = new Float32Array(s.numel);
          peers.forEach((pt, q) => densify(pt as EncodedTensor).forEach((v, i) => (acc[i] += Math.fround(v * sc[q]))));
          for (let i = 0; i < s.numel; i++) acc[i] /= W;
          u.set(acc, off);
        } else u.set(aggregateTensor(peers), off);
        off += s.numel;
      }
      // how the applied update compares with DiLoCo's plain average of the four Δ
      let dot = 0;
      let m2 = 0;
      let u2 = 0;
      let nz = 0;
      for (let i = 0; i < P; i++) {
        let g = 0;
        for (let w = 0; w < W; w++) g += deltas[w][i];
        g /= W;
        dot += g * u[i];
        m2 += g * g;
        u2 += u[i] * u[i];
        if (u[i] !== 0) nz++;
      }
      const d = {
        round: r + 1,
        sentEnergy: kept2 / e2,
        embedSentEnergy: embKept2 / embE2,
        quantRelErr: Math.sqrt(qerr2 / kept2),
        cosMeanDelta: dot / Math.sqrt(m2 * u2),
        normRatio: Math.sqrt(u2 / m2),
        efNormOverDelta: Math.sqrt(e2 / W / m2),
        density: nz / P,
        signFlips: flips / nKept,
        ...(EXACT ? { inflated2x: infl[0] / infl[2], inflated2xCodec: infl[1] / infl[2] } : {}),
        ...Object.fromEntries(
          specs
            .map((sp, t) => [sp.name, Math.sqrt(tq[t][1] / tq[t][0])] as [string, number])
            .sort((x, y) => y[1] - x[1])
            .slice(0, 3)
            .map(([n, v]) => [`qerr:${n}`, v]),
        ),
      };
      diag.push(d);
      log(`  diag ${Object.entries(d).map(([k, v]) => `${k} ${Number(v).toPrecision(3)}`).join(', ')}`);
      writeFileSync(join(dir, 'u.f32'), new Uint8Array(u.buffer));
      await Promise.all(es.map((e) => e.apply(join(dir, 'u.f32'), { lr: Number(a['sparse-outer-lr']) })));
    }
    let n2 = 0;
    for (let i = 0; i < P; i++) n2 += u[i] * u[i];
    denseNorm = Math.sqrt(n2);
    // the workers stay in sync: same parameters everywhere after the outer step
    const probe = [0, 1, Math.floor(P / 2), P - 1];
    const ref = await es[0].sampleParams(probe);
    for (const e of es.slice(1)) if ((await e.sampleParams(probe)).some((v, i) => v !== ref[i])) throw new Error('workers out of sync');
    c.tokens.push((r + 1) * H * B * W * T);
    c.loss.push(await evalLoss(es[0]));
    log(`${kind} round ${r + 1}/${R}: val loss ${c.loss.at(-1)!.toFixed(4)} (update norm ${denseNorm.toExponential(3)})`);
  }
  await Promise.all(es.map((e) => e.shutdown()));
  rmSync(dir, { recursive: true, force: true });
  c.seconds = (performance.now() - t0) / 1000;
  if (kind === 'sparseloco') c.extra = EXACT || EMBED_CODEC !== CODEC ? { keptPerPayload: kept, diag } : { wireBytesPerPayload: wireBytes / (R * W), denseFp32Bytes: 4 * P, ratio: (4 * P) / (wireBytes / (R * W)), keptPerPayload: kept, diag };
  return c;
}

/** Ablation only: the dequantised values sent for kept values v (nChunks·k, chunk order). */
function quantiseAblation(v: Float32Array, nChunks: number, k: number): Float32Array {
  const out = new Float32Array(v.length);
  if (VALUES === 'vec-fp32') {
    const q = quantise(v, nChunks, k);
    const deq = dequantLevels(q.shift, q.lut);
    for (let j = 0; j < v.length; j++) out[j] = deq[q.codes[j]];
    return out;
  }
  if (VALUES === 'chunk') {
    for (let ch = 0; ch < nChunks; ch++) {
      const part = v.subarray(ch * k, (ch + 1) * k);
      const q = quantise(part, 1, k);
      const deq = dequantLevels(q.shift, q.lut);
      for (let j = 0; j < k; j++) out[ch * k + j] = deq[q.codes[j]];
    }
    return out;
  }
  // Templar: shift = mean, scale = 6σ/4, code = clamp(round(x/scale + 2), 0, 3), level = mean of its x
  const q = quantise(v, nChunks, k); // for shift and σ (same definitions)
  const scale = (6 * q.sigma) / 4;
  const codes = new Uint8Array(v.length);
  const sum = [0, 0, 0, 0];
  const cnt = [0, 0, 0, 0];
  for (let j = 0; j < v.length; j++) {
    const x = v[j] - q.shift;
    const c = scale > 0 ? Math.min(3, Math.max(0, Math.round(x / scale + 2))) : 2;
    codes[j] = c;
    sum[c] += x;
    cnt[c]++;
  }
  for (let j = 0; j < v.length; j++) out[j] = sum[codes[j]] / cnt[codes[j]] + q.shift;
  return out;
}

/**
 * Ablation only (--values exact|templar|chunk): the codec's aggregation (median-norm clip, then scatter-mean over
 * the peers that chose a coordinate, or Σ/W with --sparse-agg avg) on fp32 values instead of codes.
 */
function aggregateExact(peers: PeerTensor[], vals: Float32Array[], numel: number, mode: string): Float32Array {
  const norms = vals.map((v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0)));
  const med = [...norms].sort((x, y) => x - y)[Math.floor((norms.length - 1) / 2)];
  const sum = new Float32Array(numel);
  const cnt = new Uint16Array(numel);
  peers.forEach((p, q) => {
    const sc = Math.min(1, med / (norms[q] + 1e-8));
    forEachKept(p.layout, p.indices, (j, pos) => {
      sum[pos] += vals[q][j] * sc;
      cnt[pos]++;
    });
  });
  for (let i = 0; i < numel; i++) {
    if (mode === 'avg') sum[i] /= peers.length;
    else if (cnt[i] > 1) sum[i] /= cnt[i];
  }
  return sum;
}

function svg(curves: Curve[], title = `${cfg.name}: validation loss, ${W} workers, H=${H}, equal tokens`): string {
  const w = 720;
  const h = 440;
  const m = { l: 64, r: 20, t: 36, b: 48 };
  const xs = curves.flatMap((c) => c.tokens);
  const ys = curves.flatMap((c) => c.loss.slice(1));
  const x0 = 0;
  const x1 = Math.max(...xs);
  const y0 = Math.floor(Math.min(...ys) * 10) / 10;
  const y1 = Math.ceil(Math.max(...ys) * 10) / 10;
  const X = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (w - m.l - m.r);
  const Y = (y: number) => m.t + (1 - (Math.min(y, y1) - y0) / (y1 - y0)) * (h - m.t - m.b);
  const colors = ['#1f77b4', '#2ca02c', '#d62728', '#9467bd', '#ff7f0e', '#8c564b', '#17becf', '#7f7f7f'];
  // the three methods of the comparison are solid; ablations (any other SparseLoCo setting) dashed
  const solid = (c: Curve) => c.method.startsWith('data-parallel') || c.method.startsWith('DiLoCo') || /^SparseLoCo \(\d+\/4096, 2-bit, EF [\d.]+\)$/.test(c.method);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<text x="${w / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const y = y0 + ((y1 - y0) * i) / 5;
    out.push(`<line x1="${m.l}" x2="${w - m.r}" y1="${Y(y)}" y2="${Y(y)}" stroke="#ddd"/>`, `<text x="${m.l - 6}" y="${Y(y) + 4}" text-anchor="end">${y.toFixed(2)}</text>`);
    const x = x0 + ((x1 - x0) * i) / 5;
    out.push(`<text x="${X(x)}" y="${h - m.b + 16}" text-anchor="middle">${(x / 1e6).toFixed(2)}M</text>`);
  }
  out.push(`<text x="${w / 2}" y="${h - 10}" text-anchor="middle">tokens (all workers)</text>`);
  curves.forEach((c, i) => {
    const pts = c.tokens.map((t, j) => `${X(t).toFixed(1)},${Y(c.loss[j]).toFixed(1)}`).join(' ');
    const col = colors[i % colors.length];
    out.push(`<polyline fill="none" stroke="${col}" stroke-width="2"${solid(c) ? '' : ' stroke-dasharray="6 4"'} points="${pts}"/>`);
    out.push(`<text x="${w - m.r - 360}" y="${m.t + 18 + 15 * i}" font-size="11" fill="${col}">${c.method}: ${c.loss.at(-1)!.toFixed(3)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

const curves: Curve[] = [];
const only = new Set(a.only!.split(','));
if (only.has('dp')) curves.push(await runDP());
if (only.has('diloco')) curves.push(await runOuter('diloco'));
if (only.has('sparseloco')) curves.push(await runOuter('sparseloco'));
if (tmpData && !a.data) rmSync(tmpData, { recursive: true, force: true });
writeFileSync(a.out!, svg(curves));
const final = Object.fromEntries(curves.map((c) => [c.method, c.loss.at(-1)]));
const dil = curves.find((c) => c.method.startsWith('DiLoCo'))?.loss.at(-1);
const sp = curves.find((c) => c.method.startsWith('SparseLoCo'))?.loss.at(-1);
console.log(
  JSON.stringify(
    { config: cfg.name, workers: W, H, batch: B, rounds: R, lr: LR, tokensPerMethod: R * H * B * W * T, final, sparseVsDiloco: dil && sp ? sp / dil - 1 : null, svg: a.out, curves },
    null,
    1,
  ),
);
