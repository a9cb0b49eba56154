// `loco bench codec --config NAME`: SparseLoCo compression ratio and speed (TypeScript and native)
// next to this machine's memory-bandwidth floor, measured in the same run (docs/benchmarks.md).
import type { Command } from 'commander';
import { action } from '../action.js';
import { LocoError } from '../../errors.js';

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('benchmarks');

  bench
    .command('train')
    .description('native engine training speed: tokens/s and GFLOP/s, next to the ONNX Runtime MatMul ceiling of this machine')
    .option('--config <name>', 'model config (tiny, small, gpt2-124m, 1b)', 'tiny')
    .option('--steps <n>', 'timed steps (after one warm-up step)', '5')
    .option('--micro-batch <n>', 'sequences per step', '8')
    .action(
      action(async (ctx, _args, cmd) => {
        const o = cmd.opts() as { config: string; steps: string; microBatch: string };
        const steps = Number(o.steps);
        const microBatch = Number(o.microBatch);
        if (!Number.isInteger(steps) || steps < 1) throw new LocoError('usage', `--steps must be a positive integer (got ${o.steps})`);
        if (!Number.isInteger(microBatch) || microBatch < 1) throw new LocoError('usage', `--micro-batch must be a positive integer (got ${o.microBatch})`);
        const [{ benchTrain }, { onnxMatmulGflops }] = await Promise.all([import('../../trainer/bench.js'), import('../../eval/onnx.js')]);
        ctx.out.debug('measuring the ONNX Runtime 1024³ MatMul ceiling …');
        const ceiling = await onnxMatmulGflops();
        ctx.out.debug(`training ${o.config} for ${steps} steps …`);
        const r = await benchTrain(o.config, { steps, microBatch });
        const share = r.executed_gflops / ceiling.gflops;
        ctx.out.result({ ...r, onnx_matmul_gflops: ceiling.gflops, fraction_of_ceiling: share }, [
          `${r.config} (B=${r.micro_batch}, T=${r.seq_len}) on ${r.backend}, load ${r.loadavg_1m.toFixed(1)}:`,
          `  ${r.tokens_per_s.toFixed(0)} tokens/s, ${r.ms_per_step.toFixed(0)} ms/step, ${r.executed_gflops.toFixed(1)} GFLOP/s executed (${(r.executed_flops_per_token / 1e6).toFixed(1)} MFLOP/token)`,
          `  best step ${r.best_ms_per_step.toFixed(0)} ms = ${r.best_executed_gflops.toFixed(1)} GFLOP/s`,
          `  ONNX Runtime MatMul 1024³ in the same run: ${ceiling.gflops.toFixed(1)} GFLOP/s → training at ${(share * 100).toFixed(0)} % of it`,
        ]);
      }),
    );

  bench
    .command('codec')
    .description('SparseLoCo codec: wire size vs dense fp32, encode and decode+aggregate times, bandwidth floor')
    .option('--config <name>', 'model config whose tensor shapes to use (tiny, small, gpt2-124m, 1b)', 'gpt2-124m')
    .option('--peers <n>', 'peers to decode and aggregate', '8')
    .option('--seed <n>', 'seed of the synthetic pseudo-gradients', '1')
    .option('--no-native', 'skip the native (C++) codec')
    .action(
      action(async (ctx, _args, cmd) => {
        const o = cmd.opts() as { config: string; peers: string; seed: string; native: boolean };
        const peers = Number(o.peers);
        const seed = Number(o.seed);
        if (!Number.isInteger(peers) || peers < 1 || peers > 1024) throw new LocoError('usage', `--peers must be an integer in 1…1024 (got ${o.peers})`);
        if (!Number.isSafeInteger(seed)) throw new LocoError('usage', `--seed must be an integer (got ${o.seed})`);
        const { benchCodec, humanBench } = await import('../../codec/bench.js');
        const r = await benchCodec({ config: o.config, peers, seed, native: o.native, log: (m) => ctx.out.debug(m) });
        ctx.out.result(r, humanBench(r));
      }),
    );
}
