// The screens behind bare commands, on a terminal only (docs/screens.md):
//   `loco` with no command         → the Home screen; enter re-runs `loco <role> …` with the choices
//   `loco wallet` with no command  → the Wallet screen
// Without a terminal (or with --json / --yes) both print their help and exit 0, as before. This
// module is imported on every start: nothing heavy at the top, Ink and React load on use.
import type { Command } from 'commander';
import { action } from '../action.js';
import type { GlobalOptions } from '../context.js';
import { LocoError } from '../../errors.js';

const VALUE_OPTIONS: Record<string, keyof GlobalOptions> = {
  '--network': 'network',
  '--wallet-path': 'walletPath',
  '--wallet-name': 'walletName',
  '--hotkey': 'hotkey',
};

/**
 * The global options of a command line that names no command (`loco`, `loco --network test`), or
 * null when it names one or asks for help or the version. `args` are already normalised (aliases).
 */
export function bareGlobals(args: readonly string[]): GlobalOptions | null {
  const o: GlobalOptions = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const key = VALUE_OPTIONS[name];
    if (key) {
      const v = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (v === undefined) return null;
      (o as Record<string, unknown>)[key] = v;
    } else if (a === '--json') o.json = true;
    else if (a === '-y' || a === '--yes') o.yes = true;
    else if (a === '--verbose') o.verbose = true;
    else if (a === '--no-color') o.color = false;
    else return null;
  }
  return o;
}

/** A person at a terminal who may be shown a screen. */
export function screenPossible(o: GlobalOptions): boolean {
  return !o.json && !o.yes && Boolean(process.stdin.isTTY) && Boolean(process.stdout.isTTY);
}

const passthrough = (o: GlobalOptions) => [...(o.verbose ? ['--verbose'] : []), ...(o.color === false ? ['--no-color'] : [])];

/** Run the Home screen; on enter, run the chosen `loco` command in this terminal and exit with its status. */
export async function runHome(o: GlobalOptions): Promise<void> {
  const [{ resolveDefaults }, { render }, React, { HomeScreen }, { launchArgs }] = await Promise.all([
    import('../config.js'),
    import('ink'),
    import('react'),
    import('../../tui/HomeScreen.js'),
    import('../../tui/home.js'),
  ]);
  const d = await resolveDefaults(o);
  let chosen: import('../../tui/home.js').HomeChoice | null = null;
  const app = render(
    React.createElement(HomeScreen, {
      walletPath: d.walletPath,
      defaults: { wallet: d.walletName, hotkey: d.hotkey, network: d.network },
      color: o.color === false ? false : undefined,
      onLaunch: (c) => {
        chosen = c;
        app.unmount();
      },
      onQuit: () => app.unmount(),
    }),
    { exitOnCtrlC: false },
  );
  await app.waitUntilExit().catch(() => {});
  process.stdin.pause();
  if (!chosen) return leaveSoon();
  const args = [...passthrough(o), ...launchArgs(chosen)];
  const { spawn } = await import('node:child_process');
  process.stderr.write(`\n$ loco ${args.join(' ')}\n`);
  const child = spawn(process.execPath, [process.argv[1], ...args], { stdio: 'inherit' });
  // the child owns the terminal now: ctrl-c reaches it directly; this process only waits for it
  const ignore = () => {};
  process.on('SIGINT', ignore);
  const code = await new Promise<number>((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 130 : 1))));
  process.off('SIGINT', ignore);
  process.exitCode = code;
  leaveSoon();
}

/** A balance query still connecting (up to its deadline) must not hold the terminal after the screen closed. */
function leaveSoon(): void {
  setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
}

/** `loco wallet` with no subcommand: the Wallet screen on a terminal, else its help (exit 0). */
export function registerWalletScreen(program: Command): void {
  const wallet = program.commands.find((c) => c.name() === 'wallet');
  if (!wallet) return;
  wallet.allowExcessArguments(true).action(
    action(async (ctx, _args, cmd) => {
      if (cmd.args.length) throw new LocoError('usage', `unknown command 'wallet ${cmd.args[0]}' (loco wallet --help lists them)`);
      if (!screenPossible(ctx.opts) || !process.stderr.isTTY) {
        cmd.outputHelp({ error: true });
        return;
      }
      const [{ resolveDefaults }, { render }, React, { WalletScreen }] = await Promise.all([import('../config.js'), import('ink'), import('react'), import('../../tui/WalletScreen.js')]);
      const d = await resolveDefaults(ctx.opts);
      const app = render(
        React.createElement(WalletScreen, { walletPath: d.walletPath, network: d.network, color: ctx.opts.color === false ? false : undefined, onQuit: () => app.unmount(), onBack: () => app.unmount() }),
        { exitOnCtrlC: false },
      );
      await app.waitUntilExit().catch(() => {});
      process.stdin.pause();
      leaveSoon();
    }),
  );
}
