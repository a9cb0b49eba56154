// What the Wallet screen does to wallets, without React: list them, fetch balances from the chain,
// check the create/import fields, and create or restore keys through src/wallet (the same files,
// format and password rule as `loco wallet create` / `regen-coldkey` / `regen-hotkey`).
import { existsSync } from 'node:fs';
import { formatTao } from '../chain/amount.js';
import { checkNewPassword } from '../wallet/password.js';
import { generateMnemonic, keypairFromMnemonic, type Keypair } from '../wallet/keypair.js';
import { checkName, coldkeyPath, hotkeyPath, listWallets, writeColdkey, writeHotkey, type WalletInfo, type WalletRef } from '../wallet/wallet.js';

export type { WalletInfo };

/** Free balance (RAO) of each address; rejects when the chain cannot be reached. */
export type BalanceFetcher = (addresses: string[]) => Promise<Map<string, bigint>>;

/** Balances from a network through src/chain (short deadline: the screen shows "offline" instead of waiting). */
export function chainBalances(network: string, timeoutMs = 8000): BalanceFetcher {
  return async (addresses) => {
    const { connect } = await import('../chain/client.js');
    const chain = await connect(network, { timeoutMs });
    try {
      const out = new Map<string, bigint>();
      await Promise.all(addresses.map(async (a) => out.set(a, (await chain.balance(a)).free)));
      return out;
    } finally {
      await chain.close();
    }
  };
}

export function safeListWallets(path: string): { wallets: WalletInfo[]; error: string | null } {
  try {
    return { wallets: listWallets(path), error: null };
  } catch (e) {
    return { wallets: [], error: (e as Error).message };
  }
}

/** Every address on the list (coldkeys and hotkeys), once. */
export function addressesOf(wallets: readonly WalletInfo[]): string[] {
  const out = new Set<string>();
  for (const w of wallets) for (const k of [w.coldkey, ...w.hotkeys]) if (k.ss58Address) out.add(k.ss58Address);
  return [...out];
}

/** "τ1.2345" (4 decimals, the exact amount is in `loco wallet balance`). */
export function shortTao(rao: bigint): string {
  const [w, f] = formatTao(rao).split('.');
  return `τ${w}.${f.slice(0, 4)}`;
}

// ---------- field checks (null: fine) ----------

export function nameError(kind: string, name: string): string | null {
  try {
    checkName(kind, name);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

export function passwordError(pw: string): string | null {
  try {
    checkNewPassword(pw);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

export const existsError = (path: string): string | null => (existsSync(path) ? `${path} already exists (loco does not overwrite keys from this screen)` : null);

// ---------- create ----------

export interface PlannedWallet {
  w: WalletRef;
  hotkey: string;
  password: string;
  cold: { kp: Keypair; mnemonic: string };
  hot: { kp: Keypair; mnemonic: string };
}

/** New coldkey and hotkey, not written yet: their mnemonics are shown first (as the CLI does). */
export async function planWallet(path: string, name: string, hotkey: string, password: string, words = 12): Promise<PlannedWallet> {
  const w = { path, name };
  const err = nameError('wallet', name) ?? nameError('hotkey', hotkey) ?? passwordError(password) ?? existsError(coldkeyPath(w)) ?? existsError(hotkeyPath(w, hotkey));
  if (err) throw new Error(err);
  const [cm, hm] = [await generateMnemonic(words), await generateMnemonic(words)];
  return { w, hotkey, password, cold: { kp: await keypairFromMnemonic(cm), mnemonic: cm }, hot: { kp: await keypairFromMnemonic(hm), mnemonic: hm } };
}

/** Write the planned keys: the coldkey encrypted with the password, the hotkey unencrypted (btcli's default). */
export async function writePlannedWallet(p: PlannedWallet): Promise<void> {
  await writeColdkey(p.w, p.cold.kp, { password: p.password });
  await writeHotkey(p.w, p.hotkey, p.hot.kp, {});
}

// ---------- import ----------

/** Restore a coldkey (encrypted with `password`) from its mnemonic. */
export async function importColdkey(path: string, name: string, mnemonic: string, password: string): Promise<string> {
  const w = { path, name };
  const err = nameError('wallet', name) ?? existsError(coldkeyPath(w)) ?? passwordError(password);
  if (err) throw new Error(err);
  const kp = await keypairFromMnemonic(mnemonic.trim().split(/\s+/).join(' '));
  await writeColdkey(w, kp, { password });
  return kp.ss58Address;
}

/** Restore a hotkey (unencrypted, as btcli keeps them) from its mnemonic. */
export async function importHotkey(path: string, name: string, hotkey: string, mnemonic: string): Promise<string> {
  const w = { path, name };
  const err = nameError('wallet', name) ?? nameError('hotkey', hotkey) ?? existsError(hotkeyPath(w, hotkey));
  if (err) throw new Error(err);
  const kp = await keypairFromMnemonic(mnemonic.trim().split(/\s+/).join(' '));
  await writeHotkey(w, hotkey, kp, {});
  return kp.ss58Address;
}
