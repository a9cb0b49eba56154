// `loco demo`: a whole subnet on this machine — devnet, wallets, data, one validator and three
// miners — on one dashboard (docs/demo.md). Registration only: the work is in ../../demo/run.ts.
import { Option, type Command } from 'commander';
import { action } from '../action.js';
import { LocoError } from '../../errors.js';

const positive = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new LocoError('usage', `${flag} must be a positive number (got ${JSON.stringify(v)})`);
  return n;
};

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('start a whole local subnet (chain, wallets, data, 1 validator, 3 miners) and watch it train')
    .addOption(new Option('--dir <dir>', 'demo folder: chain, wallets, data, stores, logs (default ~/.loco/demo)'))
    .addOption(new Option('--resume', 'continue the demo in --dir where it stopped (chain, checkpoints, validator state)'))
    .addOption(new Option('--windows <n>', 'stop by itself once the validator has scored this many windows (evaluated miners, set weights)'))
    .addOption(new Option('--duration <seconds>', 'stop by itself this many seconds after the set-up'))
    .addOption(new Option('--threads <n>', 'engine threads per participant (default 1: four engines share the cores)'))
    .addOption(new Option('--block-time <ms>', 'devnet block time in milliseconds (default 250)'))
    .addOption(new Option('--device <device>', 'engine device of every participant (LOCO_DEVICE): auto uses CUDA when the engine was built with it and a GPU is present').choices(['auto', 'cuda', 'cpu']))
    .action(
      action(async (ctx, _args, cmd) => {
        const f = cmd.opts() as Record<string, string | boolean | undefined>;
        const windows = positive(f.windows as string | undefined, '--windows');
        if (windows !== undefined && !Number.isInteger(windows)) throw new LocoError('usage', '--windows must be an integer');
        const threads = positive(f.threads as string | undefined, '--threads');
        if (threads !== undefined && !Number.isInteger(threads)) throw new LocoError('usage', '--threads must be an integer');
        const { runDemo } = await import('../../demo/run.js');
        // everything the demo started is stopped by then; a stray timer (a pending chain request)
        // must not keep the process around
        const exitSoon = () => setTimeout(() => process.exit(process.exitCode ?? 0), 1000);
        try {
          await runDemo(ctx, {
          dir: f.dir as string | undefined,
          resume: Boolean(f.resume),
          windows,
          duration: positive(f.duration as string | undefined, '--duration'),
          threads,
            blockTimeMs: positive(f.blockTime as string | undefined, '--block-time'),
            device: f.device as string | undefined,
          });
        } finally {
          exitSoon();
        }
      }),
    );
}
