// `loco devnet start`: the embedded local Subtensor-compatible chain (docs/devnet.md).
// Registration only; the node (and @polkadot) loads when the command runs.
import type { Command } from 'commander';
import { action } from '../action.js';

export function registerDevnet(program: Command): void {
  const devnet = program.command('devnet').description('a local Subtensor-compatible chain for one machine (docs/devnet.md)');
  devnet
    .command('start')
    .description('run the devnet: Substrate JSON-RPC over WebSocket, blocks on a timer, state kept in --dir')
    .option('--dir <dir>', 'keep chain state and blocks here (default ~/.loco/devnet)')
    .option('--port <port>', 'WebSocket/HTTP RPC port', '9944')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--block-time <duration>', 'time between blocks, e.g. 250ms, 1s, 12s', '250ms')
    .option('--ephemeral', 'keep nothing on disk (state is lost on exit)')
    .action(
      action(async (ctx, _args, cmd) => {
        const { runDevnet } = await import('../../devnet/cli.js');
        await runDevnet(ctx, cmd.opts());
      }),
    );
}
