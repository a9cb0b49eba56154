// CLI entry: builds the command tree (cheap: no heavy imports here) and runs one command.
// Each command group lives in commands/<group>.ts and loads its implementation lazily, so
// `loco --help` never pays for @polkadot, ink or onnxruntime.
import { Command, CommanderError, Option } from 'commander';
import { normaliseArgv } from './context.js';
import { Output } from './output.js';
import { registerConfig } from './commands/config.js';
import { registerWallet } from './commands/wallet.js';
import { registerData } from './commands/data.js';
import { registerModel } from './commands/model.js';
import { registerDevnet } from './commands/devnet.js';
import { registerPayload } from './commands/payload.js';
import { registerBench } from './commands/bench.js';
import { registerChain } from './commands/chain.js';
import { registerMine } from './commands/mine.js';
import { registerValidate } from './commands/validate.js';
import { registerRun } from './commands/run.js';
import { registerAudit } from './commands/audit.js';
import { registerDemo } from './commands/demo.js';
import { bareGlobals, registerWalletScreen, runHome, screenPossible } from './commands/home.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('loco')
    .description('Train a language model together on a Bittensor subnet: wallets, chain, mining, validating.')
    .version(VERSION, '-V, --version')
    .addOption(new Option('--network <name|url>', 'finney | test | archive | local | devnet | ws://… | wss://…'))
    .addOption(new Option('--wallet-path <dir>', 'wallets folder (default ~/.bittensor/wallets); alias --wallet.path'))
    .addOption(new Option('--wallet-name <name>', 'wallet name (default "default"); alias --wallet.name'))
    .addOption(new Option('--hotkey <name>', 'hotkey name (default "default"); alias --wallet.hotkey'))
    .addOption(new Option('--json', 'machine-readable output: one JSON document (or NDJSON events) on stdout'))
    .addOption(new Option('-y, --yes', 'never prompt; accept confirmations, fail where input is needed'))
    .addOption(new Option('--verbose', 'more detail on stderr'))
    .addOption(new Option('--no-color', 'no colours (NO_COLOR is respected too)'))
    .showHelpAfterError('(run with --help for usage)');
  registerWallet(program);
  registerWalletScreen(program);
  registerConfig(program);
  registerData(program);
  registerModel(program);
  registerDevnet(program);
  registerPayload(program);
  registerBench(program);
  registerChain(program);
  registerMine(program);
  registerValidate(program);
  registerRun(program);
  registerAudit(program);
  registerDemo(program);
  return program;
}

function applyExitOverride(cmd: Command): void {
  cmd.exitOverride();
  for (const sub of cmd.commands) applyExitOverride(sub);
}

export async function run(argv: string[]): Promise<void> {
  const args = normaliseArgv(argv.slice(2));
  // `loco` alone on a terminal: the Home screen (elsewhere: the help, as below)
  const bare = bareGlobals(args);
  if (bare && screenPossible(bare)) return runHome(bare);
  const program = buildProgram();
  const json = args.includes('--json');
  applyExitOverride(program);
  if (json) {
    // Usage errors still have to come out as one JSON document on stdout.
    program.configureOutput({ writeErr: () => {}, outputError: () => {} });
  }
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') {
        process.exitCode = 0;
        return;
      }
      // Human mode: commander has already printed the message and the help hint.
      process.exitCode = json ? new Output({ json }).failure(e) : 2;
      return;
    }
    process.exitCode = new Output({ json }).failure(e);
  }
}
