// `loco subnet …`, `loco stake …`, `loco weights …`: the chain commands (docs/chain.md).
// Registration only; the work is in ../chain-actions.ts, loaded (with @polkadot/api) when a chain
// command actually runs.
import { Option, type Command } from 'commander';
import { action, type Action } from '../action.js';

export const chainImpl = (name: keyof typeof import('../chain-actions.js')): Action =>
  async (ctx, args, cmd) => {
    const m = await import('../chain-actions.js');
    await (m[name] as Action)(ctx, args, cmd);
  };

export const timeoutOpt = () => new Option('--timeout <seconds>', 'give up if the chain cannot be reached within this (env LOCO_CHAIN_TIMEOUT)');
const netuid = () => new Option('--netuid <n>', 'subnet id').makeOptionMandatory();
const passwordFile = () => new Option('--password-file <file>', 'read the coldkey password from this file (first line)');
const hotkeyAddress = () => new Option('--hotkey-address <ss58>', 'act on this hotkey address instead of the wallet\'s hotkey');
const uids = () => new Option('--uids <list>', 'comma-separated uids, e.g. 0,1,5').makeOptionMandatory();
const weights = () => new Option('--weights <list>', 'comma-separated weights (any scale; normalised as the SDK does)').makeOptionMandatory();
const versionKey = () => new Option('--version-key <n>', 'version key (default: the subnet\'s WeightsVersionKey)');

export function registerChain(program: Command): void {
  const subnet = program.command('subnet').alias('s').alias('subnets').description('subnets: list, inspect, register, create');
  subnet
    .command('list')
    .description('all subnets: netuid, neurons, tempo, registration cost, owner')
    .addOption(timeoutOpt())
    .action(action(chainImpl('subnetList')));
  subnet
    .command('show')
    .description('one subnet: owner, tempo, neurons, registration cost and its main hyperparameters')
    .addOption(netuid()).addOption(timeoutOpt())
    .action(action(chainImpl('subnetShow')));
  subnet
    .command('metagraph')
    .description('the neurons of a subnet: uid, stake, incentive, dividends, emission, hotkey …')
    .addOption(netuid())
    .addOption(new Option('--source <where>', 'runtime-api, storage, or auto').choices(['auto', 'runtime-api', 'storage']).default('auto'))
    .addOption(new Option('--sort <field>', 'order rows by uid, stake, incentive, dividends or emission').choices(['uid', 'stake', 'incentive', 'dividends', 'emission']).default('uid'))
    .addOption(new Option('--limit <n>', 'show only the first n rows (people output; --json has all)'))
    .addOption(timeoutOpt())
    .action(action(chainImpl('subnetMetagraph')));
  subnet
    .command('hyperparameters')
    .alias('hparams')
    .description('the subnet\'s hyperparameters as stored on chain')
    .addOption(netuid()).addOption(timeoutOpt())
    .action(action(chainImpl('subnetHyperparameters')));
  subnet
    .command('register')
    .description('register the wallet\'s hotkey on a subnet by burning TAO (burned_register; the coldkey pays)')
    .addOption(netuid()).addOption(hotkeyAddress()).addOption(passwordFile()).addOption(timeoutOpt())
    .action(action(chainImpl('subnetRegister')));
  subnet
    .command('create')
    .description('create a new subnet owned by the wallet (register_network; the coldkey pays the lock cost)')
    .addOption(hotkeyAddress()).addOption(passwordFile()).addOption(timeoutOpt())
    .action(action(chainImpl('subnetCreate')));
  subnet
    .command('commitments')
    .description('the commitments published on a subnet (Commitments.CommitmentOf)')
    .addOption(netuid()).addOption(hotkeyAddress()).addOption(timeoutOpt())
    .action(action(chainImpl('subnetCommitments')));
  subnet
    .command('commit')
    .description('publish a commitment for the wallet\'s hotkey (Commitments.set_commitment; signed by the hotkey)')
    .addOption(netuid())
    .addOption(new Option('--data <text>', 'the commitment as UTF-8 text').conflicts('hex'))
    .addOption(new Option('--hex <0x…>', 'the commitment as bytes'))
    .addOption(passwordFile()).addOption(timeoutOpt())
    .action(action(chainImpl('subnetCommit')));

  const stake = program.command('stake').alias('st').description('stake TAO on a hotkey in a subnet');
  stake
    .command('add')
    .description('stake TAO from the coldkey onto a hotkey in a subnet (add_stake)')
    .addOption(netuid())
    .addOption(new Option('--amount <tao>', 'TAO to stake (up to 9 decimals)').makeOptionMandatory())
    .addOption(hotkeyAddress()).addOption(passwordFile()).addOption(timeoutOpt())
    .action(action(chainImpl('stakeAdd')));
  stake
    .command('remove')
    .description('unstake alpha from a hotkey in a subnet back to the coldkey (remove_stake)')
    .addOption(netuid())
    .addOption(new Option('--amount <alpha>', 'alpha to unstake (up to 9 decimals)').makeOptionMandatory())
    .addOption(hotkeyAddress()).addOption(passwordFile()).addOption(timeoutOpt())
    .action(action(chainImpl('stakeRemove')));

  const w = program.command('weights').alias('wt').alias('weight').description('set, commit and reveal weights (signed by the hotkey)');
  w.command('set')
    .description('set weights on a subnet (set_weights)')
    .addOption(netuid()).addOption(uids()).addOption(weights()).addOption(versionKey())
    .addOption(passwordFile()).addOption(timeoutOpt())
    .action(action(chainImpl('weightsSet')));
  w.command('commit')
    .description('commit a hash of weights (commit_weights); reveal them later with the same salt')
    .addOption(netuid()).addOption(uids()).addOption(weights()).addOption(versionKey())
    .addOption(new Option('--salt <list>', 'comma-separated u16 salt (default: 8 random values)'))
    .addOption(new Option('--out <file>', 'save what the reveal needs (uids, values, salt, version key) to this JSON file'))
    .addOption(passwordFile()).addOption(timeoutOpt())
    .action(action(chainImpl('weightsCommit')));
  w.command('reveal')
    .description('reveal committed weights (reveal_weights): from --from FILE, or --uids --weights --salt')
    .addOption(new Option('--netuid <n>', 'subnet id (or from --from)'))
    .addOption(new Option('--from <file>', 'the JSON file written by `weights commit --out`'))
    .addOption(new Option('--uids <list>', 'comma-separated uids'))
    .addOption(new Option('--weights <list>', 'comma-separated weights (the same as committed)'))
    .addOption(new Option('--salt <list>', 'comma-separated u16 salt used for the commit'))
    .addOption(versionKey())
    .addOption(passwordFile()).addOption(timeoutOpt())
    .action(action(chainImpl('weightsReveal')));
}
