// Saved defaults (network, wallet name, hotkey, wallet path), persisted with `conf`.
// Keys follow btcli's config.yml names. LOCO_CONFIG_DIR moves the file (tests, sandboxes).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LocoError } from '../errors.js';
import type { GlobalOptions } from './context.js';

export const CONFIG_KEYS = ['network', 'wallet_name', 'wallet_hotkey', 'wallet_path'] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];
export type ConfigValues = Partial<Record<ConfigKey, string>>;

export const BUILTIN_DEFAULTS: Required<ConfigValues> = {
  network: 'devnet',
  wallet_name: 'default',
  wallet_hotkey: 'default',
  wallet_path: join(homedir(), '.bittensor', 'wallets'),
};

type Store = { get(k: string): unknown; set(k: string, v: unknown): void; delete(k: string): void; store: Record<string, unknown>; path: string };

async function openStore(): Promise<Store> {
  const { default: Conf } = await import('conf');
  const cwd = process.env.LOCO_CONFIG_DIR;
  return new Conf({ projectName: 'loco', projectSuffix: '', ...(cwd ? { cwd } : {}) }) as unknown as Store;
}

export function checkKey(key: unknown): ConfigKey {
  if (typeof key !== 'string' || !(CONFIG_KEYS as readonly string[]).includes(key)) {
    throw new LocoError('usage', `unknown config key "${String(key)}"; known keys: ${CONFIG_KEYS.join(', ')}`);
  }
  return key as ConfigKey;
}

/**
 * Where conf keeps the file (env-paths' config folder for project "loco", no suffix). Reading it
 * directly keeps conf (~0.3 s to import, with its schema validator) off the start-up path of every
 * command; writes still go through conf. A test pins this path to conf's own.
 */
export function configPath(): string {
  const dir = process.env.LOCO_CONFIG_DIR ?? join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'loco');
  return join(dir, 'config.json');
}

export async function readConfig(): Promise<{ values: ConfigValues; path: string }> {
  const path = configPath();
  const values: ConfigValues = {};
  if (!existsSync(path)) return { values, path };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new LocoError('corrupt', `config file ${path} is not valid JSON (${(e as Error).message}); fix or delete it`);
  }
  for (const k of CONFIG_KEYS) {
    const v = (raw as Record<string, unknown>)?.[k];
    if (typeof v === 'string') values[k] = v;
  }
  return { values, path };
}

export async function storePath(): Promise<string> {
  return (await openStore()).path;
}

export async function setConfig(key: ConfigKey, value: string): Promise<string> {
  const store = await openStore();
  store.set(key, value);
  return store.path;
}

export async function unsetConfig(key: ConfigKey): Promise<void> {
  const store = await openStore();
  store.delete(key);
}

export interface ResolvedWalletOptions {
  walletPath: string;
  walletName: string;
  hotkey: string;
  network: string;
}

/** Flags win over environment (btcli's BT_WALLET_*), which wins over saved config, then built-ins. */
export async function resolveDefaults(opts: GlobalOptions): Promise<ResolvedWalletOptions> {
  const needConfig = !(opts.walletPath && opts.walletName && opts.hotkey && opts.network);
  const saved = needConfig ? (await readConfig()).values : {};
  const env = process.env;
  return {
    walletPath: expandHome(opts.walletPath ?? env.BT_WALLET_PATH ?? saved.wallet_path ?? BUILTIN_DEFAULTS.wallet_path),
    walletName: opts.walletName ?? env.BT_WALLET_NAME ?? saved.wallet_name ?? BUILTIN_DEFAULTS.wallet_name,
    hotkey: opts.hotkey ?? env.BT_WALLET_HOTKEY ?? saved.wallet_hotkey ?? BUILTIN_DEFAULTS.wallet_hotkey,
    network: opts.network ?? saved.network ?? BUILTIN_DEFAULTS.network,
  };
}

export function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}
