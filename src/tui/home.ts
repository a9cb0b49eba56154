// The Home screen's model (`loco` with no arguments on a terminal): choose wallet, hotkey, network,
// subnet and role, then launch. Pure functions plus one hook; the screen only draws `HomeState`.
import type { WalletInfo } from '../wallet/wallet.js';
import { NETWORKS } from '../chain/networks.js';
import { readManifest } from '../protocol/manifest.js';

export const ROLES = ['mine', 'validate', 'demo', 'wallet'] as const;
export type HomeRole = (typeof ROLES)[number];

export const ROLE_TEXT: Record<HomeRole, string> = {
  mine: 'train on your data each window, share compressed updates',
  validate: 'score the miners, set weights on chain',
  demo: 'a whole local subnet on this machine (chain, 1 validator, 3 miners)',
  wallet: 'wallets, hotkeys and balances; create or import keys',
};

export interface HomeChoice {
  walletPath: string;
  wallet: string | null;
  hotkey: string | null;
  network: string;
  /** the subnet; mine/validate check it against the run manifest's */
  netuid: string;
  role: HomeRole;
  manifest: string;
  data: string;
  store: string;
}

export type RowName = 'wallet' | 'hotkey' | 'network' | 'netuid' | 'role' | 'manifest' | 'data' | 'store';
export const TEXT_ROWS: readonly RowName[] = ['netuid', 'manifest', 'data', 'store'];

/** The rows on screen: the paths only for the roles that need them. */
export function rowsFor(role: HomeRole): RowName[] {
  return role === 'mine' || role === 'validate' ? ['wallet', 'hotkey', 'network', 'netuid', 'role', 'manifest', 'data', 'store'] : ['wallet', 'hotkey', 'network', 'netuid', 'role'];
}

/** Network names to cycle through (the configured one first when it is a URL). */
export function networkOptions(current: string): string[] {
  const names = Object.keys(NETWORKS);
  return names.includes(current) ? names : [current, ...names];
}

export function hotkeysOf(wallets: readonly WalletInfo[], wallet: string | null): string[] {
  return wallets.find((w) => w.name === wallet)?.hotkeys.map((h) => h.name) ?? [];
}

/** The next option after `cur` (dir ±1, wrapping); the first one when `cur` is not listed. */
export function cycle<T>(options: readonly T[], cur: T, dir: 1 | -1): T | undefined {
  if (!options.length) return undefined;
  const i = options.indexOf(cur);
  return i < 0 ? options[0] : options[(i + dir + options.length) % options.length];
}

/** The `loco` arguments that run the chosen role (global options first). */
export function launchArgs(c: HomeChoice): string[] {
  if (c.role === 'demo') return ['demo'];
  const globals = ['--network', c.network, '--wallet-path', c.walletPath, ...(c.wallet ? ['--wallet-name', c.wallet] : []), ...(c.hotkey ? ['--hotkey', c.hotkey] : [])];
  if (c.role === 'wallet') return [...globals, 'wallet'];
  return [...globals, c.role, '--manifest', c.manifest, '--data', c.data, '--store', c.store];
}

/** Why the choice cannot be launched yet (null: it can). */
export function launchProblem(c: HomeChoice): string | null {
  if (c.role === 'demo' || c.role === 'wallet') return null;
  if (!c.wallet) return 'no wallet: press w to create one';
  if (!c.hotkey) return `wallet ${c.wallet} has no hotkey: press w to create or import one`;
  if (c.netuid !== '' && !/^\d+$/.test(c.netuid)) return 'the subnet is a number (netuid)';
  if (!c.manifest) return 'manifest: the run manifest file (loco subnet create writes one)';
  if (!c.data) return 'data: the folder with the training shards (loco data prepare)';
  if (!c.store) return 'store: where your objects go (file://DIR or s3://bucket)';
  try {
    const m = readManifest(c.manifest);
    if (c.netuid !== '' && Number(c.netuid) !== m.manifest.netuid) return `the manifest is for subnet ${m.manifest.netuid}, not ${c.netuid}`;
  } catch (e) {
    return (e as Error).message;
  }
  return null;
}

/** Quote an argument for the command preview (display only). */
export const shellQuote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
