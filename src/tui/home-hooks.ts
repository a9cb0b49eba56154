// State of the Home screen: the choice being made, the focused row, and what enter does.
import type { Key } from 'ink';
import { useRef, useState } from 'react';
import { cycle, hotkeysOf, launchProblem, networkOptions, ROLES, rowsFor, TEXT_ROWS, type HomeChoice, type RowName } from './home.js';
import { printable } from './form.js';
import type { WalletInfo } from './wallet-model.js';

export interface HomeState {
  choice: HomeChoice;
  row: RowName;
  error: string | null;
  help: boolean;
  /** the Wallet screen is open on top of Home */
  wallet: boolean;
}

export interface HomeHandlers {
  onLaunch: (c: HomeChoice) => void;
  onQuit: () => void;
}

/** Defaults: the configured wallet/hotkey when they exist, else the first ones on disk. */
export function initialChoice(walletPath: string, wallets: readonly WalletInfo[], d: Partial<HomeChoice> = {}): HomeChoice {
  const names = wallets.map((w) => w.name);
  const wallet = d.wallet && names.includes(d.wallet) ? d.wallet : (names[0] ?? null);
  const hks = hotkeysOf(wallets, wallet);
  const hotkey = d.hotkey && hks.includes(d.hotkey) ? d.hotkey : (hks[0] ?? null);
  return { walletPath, wallet, hotkey, network: d.network ?? 'finney', netuid: d.netuid ?? '', role: d.role ?? 'mine', manifest: d.manifest ?? '', data: d.data ?? '', store: d.store ?? '' };
}

/**
 * Keys: ↑/↓ (tab) move between rows, ←/→ change a choice, typing edits a text row, enter launches
 * (role wallet: opens the Wallet screen), w opens it too, ? help, q (on a choice row) or esc quits.
 */
export function useHome(walletsRef: { current: readonly WalletInfo[] }, init: HomeChoice, h: HomeHandlers): [HomeState, (input: string, key: Key) => void, (open: boolean) => void] {
  const ref = useRef<HomeState>({ choice: init, row: 'wallet', error: null, help: false, wallet: false });
  const [, redraw] = useState(0);
  const set = (s: HomeState) => {
    ref.current = s;
    redraw((n) => n + 1);
  };
  const setWallet = (open: boolean) => {
    const s = ref.current;
    // back from the Wallet screen: a wallet or hotkey may have been created meanwhile
    const fresh = initialChoice(s.choice.walletPath, walletsRef.current, s.choice);
    set({ ...s, choice: { ...s.choice, wallet: fresh.wallet, hotkey: fresh.hotkey }, wallet: open, error: null });
  };
  const handle = (input: string, key: Key) => {
    const s = ref.current;
    const c = s.choice;
    const rows = rowsFor(c.role);
    const text = TEXT_ROWS.includes(s.row);
    if ((key.ctrl && input === 'c') || key.escape) return s.help ? set({ ...s, help: false }) : h.onQuit();
    if (!text && input === 'q') return h.onQuit();
    if (!text && input === '?') return set({ ...s, help: !s.help });
    if (!text && input === 'w') return set({ ...s, wallet: true, error: null });
    if (key.upArrow || (key.tab && key.shift)) return set({ ...s, row: rows[(rows.indexOf(s.row) - 1 + rows.length) % rows.length], error: null });
    if (key.downArrow || key.tab) return set({ ...s, row: rows[(rows.indexOf(s.row) + 1) % rows.length], error: null });
    if (key.return) {
      if (c.role === 'wallet') return set({ ...s, wallet: true, error: null });
      const problem = launchProblem(c);
      if (problem) return set({ ...s, error: problem });
      return h.onLaunch(c);
    }
    if (key.leftArrow || key.rightArrow) {
      const dir = key.rightArrow ? 1 : -1;
      const wallets = walletsRef.current;
      let next = c;
      if (s.row === 'wallet') {
        const wallet = cycle(wallets.map((w) => w.name), c.wallet ?? '', dir) ?? null;
        next = { ...c, wallet, hotkey: hotkeysOf(wallets, wallet)[0] ?? null };
      } else if (s.row === 'hotkey') next = { ...c, hotkey: cycle(hotkeysOf(wallets, c.wallet), c.hotkey ?? '', dir) ?? null };
      else if (s.row === 'network') next = { ...c, network: cycle(networkOptions(c.network), c.network, dir) ?? c.network };
      else if (s.row === 'role') next = { ...c, role: cycle(ROLES, c.role, dir) ?? c.role };
      return set({ ...s, choice: next, error: null });
    }
    if (!text) return;
    const field = s.row as 'netuid' | 'manifest' | 'data' | 'store';
    if (key.backspace || key.delete) return set({ ...s, choice: { ...c, [field]: [...c[field]].slice(0, -1).join('') }, error: null });
    if (key.ctrl || key.meta) return;
    let add = printable(input);
    if (field === 'netuid') add = add.replace(/\D/g, '');
    if (add) set({ ...s, choice: { ...c, [field]: c[field] + add }, error: null });
  };
  return [ref.current, handle, setWallet];
}
