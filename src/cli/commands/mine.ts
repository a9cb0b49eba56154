// `loco mine`: the miner's window loop, headless (docs/mining.md); events as lines, or NDJSON with
// --json (docs/events.md). Registration only: the work is in ../role-actions.ts, loaded on use.
import { Option, type Command } from 'commander';
import { action } from '../action.js';

export function roleOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--manifest <file>', 'the run manifest (docs/protocol.md)'))
    .addOption(new Option('--data <dir>', 'training shards: a folder (its train split) or one .bin file'))
    .addOption(new Option('--store <url>', 'where your objects go: file://DIR or s3://bucket[/prefix]?endpoint=…'))
    .addOption(new Option('--peers <file>', 'JSON list of {uid, hotkey, store} (default: the subnet\'s commitments on chain)'))
    .addOption(new Option('--uid <n>', 'your uid (default: your hotkey\'s uid on chain)'))
    .addOption(new Option('--window-seconds <s>', 'windows of this many seconds of wall-clock time instead of chain blocks'))
    .addOption(new Option('--windows <n>', 'stop after this many windows (default: run until interrupted)'))
    .addOption(new Option('--checkpoint <file>', 'start from this checkpoint instead of the run\'s initial model'))
    .addOption(new Option('--work-dir <dir>', 'scratch folder for Δ and update files'))
    .addOption(new Option('--threads <n>', 'engine threads (default: all cores)'))
    .addOption(new Option('--password-file <file>', 'password of an encrypted hotkey file'));
}

export function registerMine(program: Command): void {
  roleOptions(program.command('mine').description('mine: train on your assigned data each window, exchange compressed pseudo-gradients, stay in sync'))
    .action(
      action(async (ctx, args, cmd) => {
        const m = await import('../role-actions.js');
        await m.mine(ctx, args, cmd);
      }),
    );
}
