// Validation loss of a checkpoint on a data set (the `loco model eval` path, and the validator's
// held-out evaluation). Which samples: N ids spread evenly over the split's samples,
// id_i = floor(i · numSamples / N), with T = the model's seq_len (docs/data.md).
import { LocoError } from '../errors.js';
import { ShardSet, listShardFiles, type Batch, type Split } from '../data/shards.js';
import type { Checkpoint } from '../trainer/checkpoint.js';
import { evalLoss, type EvalOptions } from './onnx.js';

export interface DatasetEvalOptions extends EvalOptions {
  /** How many samples (default 64; clipped to what the split holds). */
  samples?: number;
  batchSize?: number;
  split?: Split;
  onProgress?: (done: number, total: number) => void;
}

export interface DatasetEvalResult {
  loss: number;
  perplexity: number;
  samples: number;
  tokens: number;
  seconds: number;
  tokensPerSecond: number;
  split: Split;
  files: number;
}

export function spreadIds(numSamples: number, n: number): number[] {
  const k = Math.min(n, numSamples);
  return Array.from({ length: k }, (_, i) => Math.floor((i * numSamples) / k));
}

export async function evalOnData(ck: Checkpoint, dataPath: string, opts: DatasetEvalOptions = {}): Promise<DatasetEvalResult> {
  const split = opts.split ?? 'val';
  const files = listShardFiles(dataPath, dataPath.endsWith('.bin') ? undefined : split);
  const set = new ShardSet(files, ck.config.seq_len);
  if (set.numSamples === 0) {
    throw new LocoError('invalidInput', `${dataPath}: the ${split} split has fewer than seq_len+1 = ${ck.config.seq_len + 1} tokens`);
  }
  const want = opts.samples ?? 64;
  if (!Number.isSafeInteger(want) || want < 1) throw new LocoError('usage', `--samples must be a positive integer (got ${want})`);
  const ids = spreadIds(set.numSamples, want);
  const bs = opts.batchSize ?? 64;
  const t0 = performance.now();
  let sum = 0;
  let tokens = 0;
  for (let i = 0; i < ids.length; i += bs) {
    const batch: Batch = set.fetch(ids.slice(i, i + bs));
    const r = await evalLoss(ck, batch, opts);
    sum += r.loss * r.tokens;
    tokens += r.tokens;
    opts.onProgress?.(Math.min(ids.length, i + bs), ids.length);
  }
  const seconds = (performance.now() - t0) / 1000;
  const loss = sum / tokens;
  return { loss, perplexity: Math.exp(loss), samples: ids.length, tokens, seconds, tokensPerSecond: tokens / seconds, split, files: files.length };
}
