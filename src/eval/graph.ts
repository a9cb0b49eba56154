// The model of docs/model.md as an ONNX graph (opset 17), built with onnx-proto, no Python.
//
// Graph inputs: `tokens` int64 [B,T] (and `targets` int64 [B,T] for the loss), then, unless the
// weights are baked in as initializers, one float input per parameter named exactly as in the
// canonical order (`embed`, `layers.0.attn_norm`, …, `final_norm`): one InferenceSession then
// serves any number of weight sets of the same config. B and T are symbolic (T ≤ seq_len).
// Outputs: `loss` (scalar mean cross-entropy over the first vocab_size logits) and
// `token_losses` ([B,T], per position), `logits`
// ([B,T,vocab_size]) or `last_logits` ([B,vocab_size], the last position only, for sampling).
import onnxProto from 'onnx-proto';
import { headDim, paramSpecs, type ModelConfig } from '../trainer/configs.js';
import { LocoError } from '../errors.js';

const { onnx } = onnxProto;
type NodeProto = InstanceType<typeof onnx.NodeProto>;
type TensorProto = InstanceType<typeof onnx.TensorProto>;
type ValueInfoProto = InstanceType<typeof onnx.ValueInfoProto>;
type AttributeProto = InstanceType<typeof onnx.AttributeProto>;

export const OPSET = 17;
export const IR_VERSION = 8;

type Attr = { i: number } | { f: number } | { ints: number[] } | { s: string };

/** Tiny helper that names intermediate values and collects nodes and constants. */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private n = 0;

  private fresh(hint: string): string {
    return `${hint}_${this.n++}`;
  }

  op(type: string, inputs: string[], attrs: Record<string, Attr> = {}, outName?: string): string {
    return this.opN(type, inputs, 1, attrs, outName ? [outName] : undefined)[0]!;
  }

  opN(type: string, inputs: string[], nOut: number, attrs: Record<string, Attr> = {}, outNames?: string[]): string[] {
    const outputs = outNames ?? Array.from({ length: nOut }, () => this.fresh(type.toLowerCase()));
    const attribute: AttributeProto[] = Object.entries(attrs).map(([name, a]) => {
      if ('i' in a) return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: a.i });
      if ('f' in a) return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: a.f });
      if ('ints' in a) return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: a.ints });
      return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from(a.s, 'utf8') });
    });
    this.nodes.push(onnx.NodeProto.create({ opType: type, input: inputs, output: outputs, name: outputs[0], attribute }));
    return outputs;
  }

  constI64(values: number[], dims: number[] = [values.length], hint = 'c'): string {
    const name = this.fresh(hint);
    const raw = Buffer.alloc(8 * values.length);
    values.forEach((v, i) => raw.writeBigInt64LE(BigInt(v), 8 * i));
    this.initializers.push(onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.INT64, rawData: raw }));
    return name;
  }

  constF32(values: Float32Array | number[], dims: number[], hint = 'c', name?: string): string {
    const n = name ?? this.fresh(hint);
    const f = values instanceof Float32Array ? values : Float32Array.from(values);
    const raw = new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
    this.initializers.push(onnx.TensorProto.create({ name: n, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw }));
    return n;
  }
}

export function tensorInfo(name: string, elemType: number, dims: (number | string)[]): ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

export interface BuildOptions {
  /** Output the mean loss (needs a `targets` input). */
  loss?: boolean;
  /** 'all': logits [B,T,vocab_size]; 'last': last_logits [B,vocab_size]; 'none'. */
  logits?: 'none' | 'all' | 'last';
  /** Bake these parameters (canonical order) in as initializers instead of graph inputs. */
  weights?: Float32Array[];
}

/** RoPE tables [seq_len, head_dim/2]: cos and sin of p·theta^(−2i/hd), computed in float64. */
export function ropeTables(c: ModelConfig): { cos: Float32Array; sin: Float32Array } {
  const hd = headDim(c);
  const half = hd / 2;
  const cos = new Float32Array(c.seq_len * half);
  const sin = new Float32Array(c.seq_len * half);
  for (let p = 0; p < c.seq_len; p++) {
    for (let i = 0; i < half; i++) {
      const ang = p * Math.pow(c.rope_theta, (-2 * i) / hd);
      cos[p * half + i] = Math.cos(ang);
      sin[p * half + i] = Math.sin(ang);
    }
  }
  return { cos, sin };
}

/** The ModelProto of the model for config `c`. */
export function buildModelProto(c: ModelConfig, opts: BuildOptions = {}): InstanceType<typeof onnx.ModelProto> {
  const wantLoss = opts.loss ?? true;
  const logitsMode = opts.logits ?? 'none';
  if (!wantLoss && logitsMode === 'none') throw new LocoError('usage', 'ONNX model with no outputs');
  const g = new GraphBuilder();
  const F = onnx.TensorProto.DataType.FLOAT;
  const I64 = onnx.TensorProto.DataType.INT64;
  const d = c.d_model;
  const H = c.n_heads;
  const hd = headDim(c);
  const specs = paramSpecs(c);
  const inputs: ValueInfoProto[] = [tensorInfo('tokens', I64, ['B', 'T'])];
  if (wantLoss) inputs.push(tensorInfo('targets', I64, ['B', 'T']));
  if (opts.weights) {
    if (opts.weights.length !== specs.length) throw new LocoError('invalidInput', `expected ${specs.length} weight tensors, got ${opts.weights.length}`);
    specs.forEach((s, i) => g.constF32(opts.weights![i]!, s.shape, '', s.name));
  } else {
    for (const s of specs) inputs.push(tensorInfo(s.name, F, s.shape));
  }
  const W = (name: string) => name; // parameters are referenced by their canonical names

  // Shapes known only at run time.
  const Tvec = g.op('Shape', ['tokens'], { start: { i: 1 }, end: { i: 2 } }); // [T]
  const shapeBTHhd = g.op('Concat', [g.constI64([-1]), Tvec, g.constI64([H, hd])], { axis: { i: 0 } });
  const shapeNd = g.constI64([-1, d]);
  const zero1 = g.constI64([0]);
  const axis0 = g.constI64([0]);

  // RoPE tables and the causal mask, cut to the actual T.
  const { cos, sin } = ropeTables(c);
  const cosT = g.op('Slice', [g.constF32(cos, [c.seq_len, hd / 2], 'rope_cos'), zero1, Tvec, axis0]);
  const sinT = g.op('Slice', [g.constF32(sin, [c.seq_len, hd / 2], 'rope_sin'), zero1, Tvec, axis0]);
  const mask = new Float32Array(c.seq_len * c.seq_len);
  for (let i = 0; i < c.seq_len; i++) for (let j = i + 1; j < c.seq_len; j++) mask[i * c.seq_len + j] = -Infinity;
  const TT = g.op('Concat', [Tvec, Tvec], { axis: { i: 0 } });
  const maskT = g.op('Slice', [g.constF32(mask, [c.seq_len, c.seq_len], 'causal_mask'), g.constI64([0, 0]), TT, g.constI64([0, 1])]);
  const eps = g.constF32([c.norm_eps], [], 'eps');
  const scale = g.constF32([1 / Math.sqrt(hd)], [], 'scale');

  const rmsnorm = (x: string, weight: string): string => {
    const ms = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: { ints: [-1] }, keepdims: { i: 1 } });
    const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [ms, eps])])]);
    return g.op('Mul', [g.op('Mul', [x, inv]), W(weight)]);
  };
  const linear = (x: string, w: string) => g.op('Gemm', [x, W(w)], { transB: { i: 1 } });
  const heads = (x: string) => g.op('Transpose', [g.op('Reshape', [x, shapeBTHhd])], { perm: { ints: [0, 2, 1, 3] } }); // [B,H,T,hd]
  const rope = (x: string) => {
    const [x1, x2] = g.opN('Split', [x], 2, { axis: { i: 3 } });
    const r1 = g.op('Sub', [g.op('Mul', [x1!, cosT]), g.op('Mul', [x2!, sinT])]);
    const r2 = g.op('Add', [g.op('Mul', [x2!, cosT]), g.op('Mul', [x1!, sinT])]);
    return g.op('Concat', [r1, r2], { axis: { i: 3 } });
  };

  let h = g.op('Reshape', [g.op('Gather', [W('embed'), 'tokens'], { axis: { i: 0 } }), shapeNd]); // [N,d]
  for (let l = 0; l < c.n_layers; l++) {
    const p = `layers.${l}.`;
    const a = rmsnorm(h, p + 'attn_norm');
    const q = rope(heads(linear(a, p + 'wq')));
    const k = rope(heads(linear(a, p + 'wk')));
    const v = heads(linear(a, p + 'wv'));
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [k], { perm: { ints: [0, 1, 3, 2] } })]), scale]), maskT]);
    const att = g.op('Softmax', [scores], { axis: { i: -1 } });
    const y = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [att, v])], { perm: { ints: [0, 2, 1, 3] } }), shapeNd]);
    h = g.op('Add', [h, linear(y, p + 'wo')]);
    const m = rmsnorm(h, p + 'mlp_norm');
    const gate = linear(m, p + 'w_gate');
    const act = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), linear(m, p + 'w_up')]);
    h = g.op('Add', [h, linear(act, p + 'w_down')]);
  }
  const hn = rmsnorm(h, 'final_norm'); // [N,d]
  // Only the real vocabulary: the padded rows of the tied embedding take no part.
  const embedV = g.op('Slice', [W('embed'), zero1, g.constI64([c.vocab_size]), axis0]); // [V,d]

  const outputs: ValueInfoProto[] = [];
  if (wantLoss || logitsMode === 'all') {
    const logits = g.op('Gemm', [hn, embedV], { transB: { i: 1 } }); // [N,V]
    if (wantLoss) {
      const tgt = g.op('Reshape', ['targets', g.constI64([-1])]);
      const perToken = g.op('SoftmaxCrossEntropyLoss', [logits, tgt], { reduction: { s: 'none' } }); // [N]
      g.op('ReduceMean', [perToken], { keepdims: { i: 0 } }, 'loss');
      g.op('Reshape', [perToken, g.op('Concat', [g.constI64([-1]), Tvec], { axis: { i: 0 } })], {}, 'token_losses');
      outputs.push(tensorInfo('loss', F, []), tensorInfo('token_losses', F, ['B', 'T']));
    }
    if (logitsMode === 'all') {
      const shapeBTV = g.op('Concat', [g.constI64([-1]), Tvec, g.constI64([c.vocab_size])], { axis: { i: 0 } });
      g.op('Reshape', [logits, shapeBTV], {}, 'logits');
      outputs.push(tensorInfo('logits', F, ['B', 'T', c.vocab_size]));
    }
  }
  if (logitsMode === 'last') {
    const h3 = g.op('Reshape', [hn, g.op('Concat', [g.constI64([-1]), Tvec, g.constI64([d])], { axis: { i: 0 } })]); // [B,T,d]
    const lastIdx = g.op('Sub', [Tvec, g.constI64([1])]);
    const hl = g.op('Reshape', [g.op('Gather', [h3, lastIdx], { axis: { i: 1 } }), shapeNd]); // [B,d]
    g.op('Gemm', [hl, embedV], { transB: { i: 1 } }, 'last_logits');
    outputs.push(tensorInfo('last_logits', F, ['B', c.vocab_size]));
  }

  const graph = onnx.GraphProto.create({
    name: `loco_${c.name}`,
    node: g.nodes,
    initializer: g.initializers,
    input: inputs,
    output: outputs,
  });
  return onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'loco',
    producerVersion: '0.1.0',
    graph,
    metadataProps: [{ key: 'loco_config', value: JSON.stringify(c) }],
  });
}

/** Serialised ONNX bytes. Protobuf caps a single message at 2 GiB, so baked-in weights must fit. */
export function buildModelBytes(c: ModelConfig, opts: BuildOptions = {}): Uint8Array {
  if (opts.weights) {
    const bytes = opts.weights.reduce((a, t) => a + t.byteLength, 0);
    if (bytes > 2 ** 31 - 64 * 1024 * 1024) {
      throw new LocoError('unsupported', `model too large to embed its weights in one ONNX file (${(bytes / 2 ** 30).toFixed(2)} GiB > 2 GiB protobuf limit)`);
    }
  }
  return onnx.ModelProto.encode(buildModelProto(c, opts)).finish();
}
