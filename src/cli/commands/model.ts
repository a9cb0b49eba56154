// `loco model …`: work with model checkpoints (docs/checkpoint.md).
//   sample       continue a prompt (greedy or with a temperature)
//   export-onnx  a standalone ONNX model (weights baked in as initializers)
//   eval         validation loss on a data set
// Evaluation engines are looked up in EVAL_ENGINES, so the native engine can be added next to
// the ONNX one. Implementations load lazily: `loco --help` never loads onnxruntime.
import type { Command } from 'commander';
import { action } from '../action.js';
import type { Ctx } from '../context.js';
import { LocoError } from '../../errors.js';
import { intFlag as intArg } from '../flags.js';
import type { Checkpoint } from '../../trainer/checkpoint.js';

function numArg(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new LocoError('usage', `${flag} must be a number ≥ 0 (got ${JSON.stringify(v)})`);
  return n;
}

/** Load a checkpoint's parameters (the optimiser state is skipped). */
export async function loadCheckpoint(path: string | undefined): Promise<Checkpoint> {
  if (!path) throw new LocoError('usage', '--checkpoint FILE is required');
  const { readCheckpoint } = await import('../../trainer/checkpoint.js');
  return readCheckpoint(path, { withOptimizer: false });
}

export interface EvalEngineResult {
  loss: number;
  tokens: number;
  samples: number;
  seconds: number;
}

/** Evaluation engines for `loco model eval --engine NAME`. */
export const EVAL_ENGINES: Record<
  string,
  (ctx: Ctx, ck: Checkpoint, data: string, o: { samples?: number; batchSize?: number; split: 'train' | 'val'; checkpointPath: string }) => Promise<EvalEngineResult>
> = {
  onnx: async (_ctx, ck, data, o) => {
    const { evalOnData } = await import('../../eval/dataset.js');
    return evalOnData(ck, data, { samples: o.samples, microBatch: o.batchSize, split: o.split });
  },
  native: async (_ctx, _ck, data, o) => {
    const { evalNative } = await import('../model-train.js');
    return evalNative(o.checkpointPath, data, o);
  },
};

const trainImpl = (name: 'init' | 'train') =>
  action(async (ctx, args, cmd) => {
    const m = await import('../model-train.js');
    await m[name](ctx, args, cmd);
  });

export function registerModel(program: Command): void {
  const model = program.command('model').description('model checkpoints: init, train, sample text, evaluate, export to ONNX');

  model
    .command('init')
    .description('a freshly initialised checkpoint (native engine)')
    .option('--config <name>', 'tiny | small | gpt2-124m | 1b', 'tiny')
    .option('--seed <n>', 'initialisation seed', '0')
    .requiredOption('--out <file>', 'checkpoint file to write')
    .option('--overwrite', 'replace an existing file')
    .action(trainImpl('init'));

  model
    .command('train')
    .description('train a checkpoint on a data folder (native engine); NDJSON step events with --json')
    .requiredOption('--checkpoint <file>', 'checkpoint to train (written back atomically, with AdamW state)')
    .requiredOption('--data <dir>', 'data folder from `loco data prepare` (train split), or a shard file')
    .requiredOption('--steps <n>', 'optimiser steps')
    .option('--micro-batch <n>', 'sequences per micro-batch (default 8)')
    .option('--grad-accum <n>', 'micro-batches per step (default 1)')
    .option('--lr <x>', 'peak learning rate (default 1e-3)')
    .option('--warmup <n>', 'warm-up steps (default 10)')
    .option('--total-steps <n>', 'cosine decay to 0.1×lr ends here (default 0: constant after warm-up)')
    .option('--weight-decay <x>', 'AdamW weight decay on matrices (default 0.1)')
    .option('--data-seed <n>', 'seed of the sample order (default 0)')
    .option('--out <file>', 'write here instead of over --checkpoint')
    .action(trainImpl('train'));

  model
    .command('sample')
    .description('continue a prompt with a checkpoint (CPU, onnxruntime)')
    .requiredOption('--checkpoint <file>', 'checkpoint file')
    .requiredOption('--prompt <text>', 'text to continue')
    .option('--tokens <n>', 'tokens to generate (default 50)')
    .option('--temperature <t>', '0 = greedy (default 0.8)')
    .option('--seed <n>', 'sampling seed (default 0)')
    .action(
      action(async (ctx, _args, cmd) => {
        const o = cmd.opts() as Record<string, string | undefined>;
        const n = intArg(o.tokens, '--tokens', 1) ?? 50;
        const temperature = numArg(o.temperature, '--temperature') ?? 0.8;
        const seed = intArg(o.seed, '--seed') ?? 0;
        const ck = await loadCheckpoint(o.checkpoint);
        const [{ generate }, { encode, decode }] = await Promise.all([import('../../eval/onnx.js'), import('gpt-tokenizer/encoding/r50k_base')]);
        const prompt = encode(o.prompt ?? '');
        if (prompt.length === 0) throw new LocoError('usage', '--prompt is empty');
        // Human mode on a TTY: stream the continuation as it is produced.
        const stream = !ctx.out.json && Boolean(process.stdout.isTTY);
        let shown = '';
        const soFar: number[] = [];
        if (stream) process.stdout.write(o.prompt ?? '');
        const t0 = performance.now();
        const out = await generate(ck, prompt, {
          tokens: n,
          temperature,
          seed,
          onToken: (tok) => {
            if (!stream) return;
            soFar.push(tok);
            const text = decode(soFar);
            process.stdout.write(text.slice(shown.length));
            shown = text;
          },
        });
        const seconds = (performance.now() - t0) / 1000;
        const text = decode(out);
        if (stream) {
          process.stdout.write('\n');
          ctx.out.debug(`${n} tokens in ${seconds.toFixed(2)} s`);
          return;
        }
        ctx.out.result(
          { prompt: o.prompt, continuation: text, tokens: out, temperature, seed, seconds: Number(seconds.toFixed(3)) },
          `${o.prompt}${text}`,
        );
      }),
    );

  model
    .command('export-onnx')
    .description('write a standalone ONNX model: input tokens int64 [B,T] → logits [B,T,vocab_size]')
    .requiredOption('--checkpoint <file>', 'checkpoint file')
    .requiredOption('--out <file>', 'ONNX file to write')
    .option('--with-loss', 'also take targets int64 [B,T] and output the mean loss')
    .action(
      action(async (ctx, _args, cmd) => {
        const o = cmd.opts() as { checkpoint?: string; out: string; withLoss?: boolean };
        const ck = await loadCheckpoint(o.checkpoint);
        const [{ buildModelBytes }, { writeFileAtomic }] = await Promise.all([import('../../eval/graph.js'), import('../../util/atomic.js')]);
        const bytes = buildModelBytes(ck.config, { loss: Boolean(o.withLoss), logits: 'all', weights: ck.params });
        writeFileAtomic(o.out, bytes);
        ctx.out.result(
          {
            out: o.out,
            bytes: bytes.length,
            config: ck.config,
            inputs: ['tokens', ...(o.withLoss ? ['targets'] : [])],
            outputs: [...(o.withLoss ? ['loss'] : []), 'logits'],
            opset: 17,
          },
          `wrote ${o.out} (${(bytes.length / 1e6).toFixed(1)} MB, opset 17): tokens int64 [B,T] → logits [B,T,${ck.config.vocab_size}]${o.withLoss ? ' and loss' : ''}`,
        );
      }),
    );

  model
    .command('eval')
    .description('validation loss of a checkpoint on a data folder (or shard file)')
    .requiredOption('--checkpoint <file>', 'checkpoint file')
    .requiredOption('--data <dir>', 'data folder from `loco data prepare` (or llm.c shards)')
    .option('--engine <name>', 'evaluation engine: onnx (onnxruntime, CPU) or native (the training engine)', 'onnx')
    .option('--samples <n>', 'samples of seq_len tokens, spread evenly over the split (default 64)')
    .option('--batch-size <n>', 'samples per forward pass (default: 512 tokens per pass)')
    .option('--split <name>', 'val | train (default val)', 'val')
    .action(
      action(async (ctx, _args, cmd) => {
        const o = cmd.opts() as Record<string, string | undefined>;
        const engine = EVAL_ENGINES[o.engine ?? 'onnx'];
        if (!engine) throw new LocoError('usage', `unknown --engine "${o.engine}" (available: ${Object.keys(EVAL_ENGINES).join(', ')})`);
        if (o.split !== 'val' && o.split !== 'train') throw new LocoError('usage', `--split must be val or train (got ${o.split})`);
        const ck = await loadCheckpoint(o.checkpoint);
        const r = await engine(ctx, ck, o.data!, {
          samples: intArg(o.samples, '--samples', 1),
          batchSize: intArg(o.batchSize, '--batch-size', 1),
          split: o.split,
          checkpointPath: o.checkpoint!,
        });
        const tps = r.tokens / r.seconds;
        ctx.out.result(
          {
            engine: o.engine,
            checkpoint: o.checkpoint,
            data: o.data,
            split: o.split,
            config: ck.config.name,
            step: ck.step,
            loss: r.loss,
            perplexity: Math.exp(r.loss),
            samples: r.samples,
            tokens: r.tokens,
            seconds: Number(r.seconds.toFixed(3)),
            tokens_per_second: Math.round(tps),
          },
          `${o.split} loss ${r.loss.toFixed(4)} (perplexity ${Math.exp(r.loss).toFixed(1)}) over ${r.samples} samples, ${r.tokens} tokens; ${r.seconds.toFixed(2)} s, ${Math.round(tps)} tokens/s [${o.engine}]`,
        );
      }),
    );
}
