// `loco validate`: the validator's window loop, headless (docs/mining.md, docs/events.md).
// Registration only: the work is in ../role-actions.ts, loaded on use.
import { Option, type Command } from 'commander';
import { action } from '../action.js';
import { roleOptions } from './mine.js';

export function registerValidate(program: Command): void {
  roleOptions(program.command('validate').description('validate: score each miner\'s contribution (Gauntlet), stay in sync, set weights'))
    .addOption(new Option('--no-set-weights', 'compute and publish scores but never set weights on chain'))
    .action(
      action(async (ctx, args, cmd) => {
        const m = await import('../role-actions.js');
        await m.validate(ctx, args, cmd);
      }),
    );
}
