// What every command receives: the parsed global options resolved against saved defaults,
// and the output module. Built once per invocation by the CLI entry.
import type { Command } from 'commander';
import { Output } from './output.js';
import { setColor, shouldColor } from './style.js';

export interface GlobalOptions {
  network?: string;
  walletPath?: string;
  walletName?: string;
  hotkey?: string;
  json?: boolean;
  yes?: boolean;
  verbose?: boolean;
  color?: boolean;
}

export interface Ctx {
  opts: GlobalOptions;
  out: Output;
  /** true when a person can answer prompts: a TTY on stdin and stderr, no --json, no --yes. */
  interactive: boolean;
}

export function makeCtx(cmd: Command): Ctx {
  const opts = cmd.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
  setColor(!opts.json && shouldColor(process.stderr, opts.color));
  const out = new Output({ json: opts.json, verbose: opts.verbose });
  const interactive = !opts.json && !opts.yes && Boolean(process.stdin.isTTY) && Boolean(process.stderr.isTTY);
  return { opts, out, interactive };
}

/**
 * btcli spells some options with dots (`--wallet.name`); commander cannot alias long options,
 * so the argv is normalised before parsing. `--opt=value` forms are kept intact.
 */
const ALIASES: Record<string, string> = {
  '--wallet.name': '--wallet-name',
  '--name': '--wallet-name',
  '--wallet.path': '--wallet-path',
  '--wallet.hotkey': '--hotkey',
  '--wallet-hotkey': '--hotkey',
  '--subtensor.network': '--network',
  '--subtensor.chain_endpoint': '--network',
  '--json-output': '--json',
  '--json-out': '--json',
  '--no-prompt': '--yes',
  '--no_prompt': '--yes',
};

export function normaliseArgv(args: string[]): string[] {
  const out: string[] = [];
  for (const [i, a] of args.entries()) {
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    const mapped = ALIASES[name];
    out.push(mapped ? (eq > 0 ? mapped + a.slice(eq) : mapped) : a);
  }
  return out;
}
