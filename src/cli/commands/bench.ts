// `loco bench codec --config NAME`: SparseLoCo compression ratio and speed (TypeScript and native)
// next to this machine's memory-bandwidth floor, measured in the same run (docs/benchmarks.md).
import type { Command } from 'commander';
import { action } from '../action.js';
import { LocoError } from '../../errors.js';

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('benchmarks');

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
