// State of the Wallet screen: the wallets on disk, their balances (fetched in the background, so
// the list draws at once and says "offline" when the chain cannot be reached), and which flow is open.
import { useCallback, useEffect, useState } from 'react';
import { addressesOf, safeListWallets, type BalanceFetcher, type PlannedWallet, type WalletInfo } from './wallet-model.js';

export function useWalletList(path: string): { wallets: WalletInfo[]; error: string | null; reload: () => WalletInfo[] } {
  const [s, setS] = useState(() => safeListWallets(path));
  const reload = useCallback(() => {
    const next = safeListWallets(path);
    setS(next);
    return next.wallets;
  }, [path]);
  return { ...s, reload };
}

export type Balances = { state: 'none' } | { state: 'loading' } | { state: 'ok'; free: Map<string, bigint> } | { state: 'offline'; why: string };

/** Fetch balances for the wallets' addresses whenever the list or `nonce` changes (never blocks the render). */
export function useBalances(wallets: readonly WalletInfo[], fetcher: BalanceFetcher | undefined, nonce = 0): Balances {
  const key = addressesOf(wallets).join(',');
  const [b, setB] = useState<Balances>({ state: fetcher && key ? 'loading' : 'none' });
  useEffect(() => {
    if (!fetcher || !key) {
      setB({ state: 'none' });
      return;
    }
    let alive = true;
    setB({ state: 'loading' });
    fetcher(key.split(',')).then(
      (free) => alive && setB({ state: 'ok', free }),
      (e: unknown) => alive && setB({ state: 'offline', why: String((e as Error)?.message ?? e).split('\n')[0] }),
    );
    return () => {
      alive = false;
    };
  }, [key, fetcher, nonce]);
  return b;
}

export type WalletMode =
  | { kind: 'list' }
  | { kind: 'create' }
  | { kind: 'import-coldkey' }
  | { kind: 'import-hotkey' }
  /** the new keys' mnemonics, shown once; nothing is written until the person confirms */
  | { kind: 'mnemonic'; plan: PlannedWallet; writing: boolean; error: string | null };

export function useWalletMode(): [WalletMode, (m: WalletMode) => void, string | null, (msg: string | null) => void] {
  const [mode, setMode] = useState<WalletMode>({ kind: 'list' });
  const [message, setMessage] = useState<string | null>(null);
  return [mode, setMode, message, setMessage];
}
