// `npm run experiment:sparseloco [-- --rounds R --config tiny --data DIR]`: convergence of
// (a) dense data-parallel AdamW, (b) DiLoCo (dense pseudo-gradients, Nesterov outer lr 0.7, momentum
// 0.9) and (c) SparseLoCo (top-64 of 4096, 2-bit, error feedback β = 0.95, median-clip scatter-mean,
// outer lr 1) with W = 4 simulated workers on disjoint data and equal tokens, on the bundled corpus,
// with the native CPU engine (src/trainer/engine.ts). SparseLoCo goes through the real wire format:
// every worker's update is encoded, signed, decoded and verified before it is aggregated.
// Writes docs/sparseloco-convergence.svg and prints one JSON document with every curve.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { prepareData, type DataManifest } from '../src/data/prepare.js';
import { Engine } from '../src/trainer/engine.js';
import { getConfig, paramSpecs } from '../src/trainer/configs.js';
import { keypairFromSeed } from '../src/wallet/keypair.js';
import { aggregateTensor, clipScales, densify, encodeTensor, errorFeedback, DEFAULT_CODEC, type EncodedTensor } from '../src/codec/sparseloco.js';
import { decodePayload, encodePayload } from '../src/codec/payload.js';
import { mulberry32 } from '../src/util/random.js';

const { values: a } = parseArgs({
  options: {
    config: { type: 'string', default: 'tiny' },
    rounds: { type: 'string', default: '20' },
    H: { type: 'string', default: '30' },
    workers: { type: 'string', default: '4' },
    batch: { type: 'string', default: '8' },
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
const CODEC = { ...DEFAULT_CODEC, topk: Number(a.topk) };
const log = (m: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);

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

async function startWorkers(n: number): Promise<Engine[]> {
  const es = await Promise.all(Array.from({ length: n }, () => Engine.start({ threads: 1 })));
  await Promise.all(es.map((e) => e.init(cfg, SEED)));
  return es;
}

// --- (a) dense data-parallel AdamW: one engine, W·B samples per step (= averaged gradients) ------
async function runDP(): Promise<Curve> {
  const t0 = performance.now();
  const [e] = await startWorkers(1);
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
  const c: Curve = { method: kind === 'diloco' ? 'DiLoCo (Nesterov 0.7/0.9)' : `SparseLoCo (${CODEC.topk}/4096, 2-bit, EF 0.95${a['sparse-outer-lr'] === '1' ? '' : `, outer lr ${a['sparse-outer-lr']}`}${a['sparse-agg'] === 'avg' ? ', sum/W' : ''})`, tokens: [0], loss: [await evalLoss(es[0])], seconds: 0 };
  const mom = new Float32Array(P);
  const ef = Array.from({ length: W }, () => specs.map((s) => new Float32Array(s.numel)));
  const keys = await Promise.all(Array.from({ length: W }, (_, w) => keypairFromSeed(new Uint8Array(32).fill(w + 1))));
  const mh = new Uint8Array(32).fill(7);
  let wireBytes = 0;
  let denseNorm = 0;
  let kept = 0;
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
      const decoded = [];
      for (let w = 0; w < W; w++) {
        const enc: EncodedTensor[] = [];
        let off = 0;
        for (const [t, s] of specs.entries()) {
          errorFeedback(ef[w][t], deltas[w].subarray(off, off + s.numel), CODEC.beta);
          enc.push(encodeTensor(s.name, s.shape, ef[w][t], CODEC));
          off += s.numel;
        }
        const buf = await encodePayload({ manifestHash: mh, window: r, uid: w }, enc, keys[w]);
        wireBytes += buf.length;
        const p = await decodePayload(buf, { expect: { manifestHash: mh, window: r, uid: w, hotkey: keys[w].publicKey, tensors: specs, codec: CODEC } });
        decoded.push(p.tensors);
        if (w === 0) kept = p.tensors.reduce((s, t) => s + t.layout.nChunks * t.layout.k, 0);
      }
      let off = 0;
      for (const [t, s] of specs.entries()) {
        const peers = decoded.map((d) => d[t]);
        if (a['sparse-agg'] === 'avg') {
          const sc = clipScales(peers);
          const acc = new Float32Array(s.numel);
          peers.forEach((pt, q) => densify(pt).forEach((v, i) => (acc[i] += Math.fround(v * sc[q]))));
          for (let i = 0; i < s.numel; i++) acc[i] /= W;
          u.set(acc, off);
        } else u.set(aggregateTensor(peers), off);
        off += s.numel;
      }
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
  if (kind === 'sparseloco') c.extra = { wireBytesPerPayload: wireBytes / (R * W), denseFp32Bytes: 4 * P, ratio: (4 * P) / (wireBytes / (R * W)), keptPerPayload: kept };
  return c;
}

function svg(curves: Curve[]): string {
  const w = 720;
  const h = 420;
  const m = { l: 64, r: 20, t: 36, b: 48 };
  const xs = curves.flatMap((c) => c.tokens);
  const ys = curves.flatMap((c) => c.loss.slice(1));
  const x0 = 0;
  const x1 = Math.max(...xs);
  const y0 = Math.floor(Math.min(...ys) * 10) / 10;
  const y1 = Math.ceil(Math.max(...ys) * 10) / 10;
  const X = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (w - m.l - m.r);
  const Y = (y: number) => m.t + (1 - (Math.min(y, y1) - y0) / (y1 - y0)) * (h - m.t - m.b);
  const colors = ['#1f77b4', '#2ca02c', '#d62728'];
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<text x="${w / 2}" y="20" text-anchor="middle" font-size="14">${cfg.name}: validation loss, ${W} workers, H=${H}, equal tokens</text>`,
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
    out.push(`<polyline fill="none" stroke="${colors[i % 3]}" stroke-width="2" points="${pts}"/>`);
    out.push(`<text x="${w - m.r - 300}" y="${m.t + 18 + 16 * i}" fill="${colors[i % 3]}">${c.method}: ${c.loss.at(-1)!.toFixed(4)}</text>`);
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
