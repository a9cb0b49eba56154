// The Wallet screen (`loco wallet` on a terminal, or from Home): wallets and hotkeys with their
// balances, and the create / import flows with masked password and mnemonic entry.
import { Box, Text, useInput } from 'ink';
import { useMemo, useRef, useState } from 'react';
import type { KeyHandler, KeyRoute } from './form.js';
import { MnemonicNotice } from './components/MnemonicNotice.js';
import { Panel } from './components/Panel.js';
import { CreateFlow, ImportColdkeyFlow, ImportHotkeyFlow } from './components/WalletFlows.js';
import { WalletList } from './components/WalletList.js';
import { useTerminalSize } from './terminal.js';
import { ColorContext, colorFromEnv, useTheme } from './theme.js';
import { useBalances, useWalletList, useWalletMode, type WalletMode } from './wallet-hooks.js';
import { chainBalances, writePlannedWallet, type BalanceFetcher } from './wallet-model.js';

export interface WalletScreenProps {
  walletPath: string;
  network: string;
  /** where balances come from (default: the network through src/chain); false: not fetched */
  balances?: BalanceFetcher | false;
  onQuit?: () => void;
  /** esc on the list (from Home: back to Home) */
  onBack?: () => void;
  color?: boolean;
  keys?: boolean;
  /** embedded in another screen (Home): its keys come through this instead of stdin */
  route?: KeyRoute;
}

export const WALLET_KEYS: [string, string][] = [
  ['↑ ↓', 'select a wallet'],
  ['c', 'create a wallet (coldkey + hotkey)'],
  ['i', 'import a coldkey from its mnemonic'],
  ['h', 'import a hotkey from its mnemonic'],
  ['r', 'refresh the list and the balances'],
  ['?', 'show or hide this help'],
  ['esc', 'back (to Home when opened from there)'],
  ['q', 'quit'],
];

function Wallet(p: WalletScreenProps) {
  const t = useTheme();
  const { columns } = useTerminalSize();
  const list = useWalletList(p.walletPath);
  const [nonce, setNonce] = useState(0);
  const fetcher = useMemo(() => (p.balances === false ? undefined : p.balances ?? chainBalances(p.network)), [p.balances, p.network]);
  const balances = useBalances(list.wallets, fetcher, nonce);
  const [mode, setMode, message, setMessage] = useWalletMode();
  const [selected, setSelected] = useState(0);
  const [help, setHelp] = useState(false);
  const keys = p.keys ?? true;
  const refresh = () => {
    list.reload();
    setNonce((n) => n + 1);
  };
  const toList = (msg: string | null) => {
    setMessage(msg);
    setMode({ kind: 'list' });
    refresh();
  };
  // one reader of the keys for the whole screen; an open form gets them through `route`. The
  // handler reads the current mode from a ref: Ink swaps in a new handler only in a passive
  // effect, so the key right after a mode change would otherwise meet the old one.
  const route = useRef<KeyHandler | null>(null);
  const live = useRef({ mode, help });
  live.current = { mode, help };
  const onKey: KeyHandler = (input, key) => {
    const { mode, help } = live.current;
    if (mode.kind !== 'list' && mode.kind !== 'mnemonic') return route.current?.(input, key);
    if (mode.kind === 'mnemonic') {
      if (mode.writing) return;
      if (key.escape) return toList('discarded: nothing was written');
      if (key.return) {
        const writing = { ...mode, writing: true, error: null };
        live.current = { ...live.current, mode: writing }; // a second enter before the redraw writes nothing
        setMode(writing);
        writePlannedWallet(mode.plan).then(
          () => toList(`created wallet ${mode.plan.w.name}: coldkey ${mode.plan.cold.kp.ss58Address}, hotkey ${mode.plan.hotkey} ${mode.plan.hot.kp.ss58Address}`),
          (e: unknown) => setMode({ ...mode, writing: false, error: (e as Error).message }),
        );
      }
      return;
    }
    if (input === 'q' || (key.ctrl && input === 'c')) return p.onQuit?.();
    if (input === '?') return setHelp((h) => !h);
    if (key.escape) return help ? setHelp(false) : p.onBack?.();
    if (key.upArrow) return setSelected((i) => Math.max(0, i - 1));
    if (key.downArrow || key.tab) return setSelected((i) => (list.wallets.length ? (i + 1) % list.wallets.length : 0));
    const open = (m: WalletMode) => {
      live.current = { ...live.current, mode: m };
      setMode(m);
    };
    if (input === 'c') return open({ kind: 'create' });
    if (input === 'i') return open({ kind: 'import-coldkey' });
    if (input === 'h') return open({ kind: 'import-hotkey' });
    if (input === 'r') return refresh();
  };
  useInput(onKey, { isActive: keys && !p.route });
  if (p.route) p.route.current = onKey;
  const current = list.wallets[Math.min(selected, Math.max(0, list.wallets.length - 1))]?.name ?? 'default';
  const cancel = () => toList(null);
  return (
    <Box flexDirection="column" width={columns}>
      <Box>
        <Text {...t.bold()} {...t.c('cyan')}>
          loco wallet
        </Text>
        <Text>{`  network ${p.network} · balances ${balances.state === 'ok' ? 'from the chain' : balances.state === 'loading' ? 'loading…' : balances.state === 'offline' ? 'offline' : 'not fetched'}`}</Text>
      </Box>
      {help ? (
        <Panel title="Keys" focused>
          {WALLET_KEYS.map(([k, d]) => (
            <Text key={k}>{`${k.padEnd(5)} ${d}`}</Text>
          ))}
        </Panel>
      ) : null}
      {mode.kind === 'create' ? <CreateFlow path={p.walletPath} route={route} onCancel={cancel} onPlanned={(plan) => setMode({ kind: 'mnemonic', plan, writing: false, error: null })} /> : null}
      {mode.kind === 'import-coldkey' ? <ImportColdkeyFlow path={p.walletPath} route={route} wallet={current} onCancel={cancel} onDone={toList} /> : null}
      {mode.kind === 'import-hotkey' ? <ImportHotkeyFlow path={p.walletPath} route={route} wallet={current} onCancel={cancel} onDone={toList} /> : null}
      {mode.kind === 'mnemonic' ? (
        <MnemonicNotice
          wallet={mode.plan.w.name}
          keys={[
            { label: 'coldkey', mnemonic: mode.plan.cold.mnemonic },
            { label: `hotkey ${mode.plan.hotkey}`, mnemonic: mode.plan.hot.mnemonic },
          ]}
          writing={mode.writing}
          error={mode.error}
        />
      ) : null}
      {mode.kind === 'list' ? <WalletList path={p.walletPath} wallets={list.wallets} error={list.error} balances={balances} selected={selected} focused /> : null}
      {message && mode.kind === 'list' ? <Text {...t.c('green')}>{message}</Text> : null}
      <Text {...t.dim()}>{mode.kind === 'list' ? `c create · i import coldkey · h import hotkey · r refresh · ? help${p.onBack ? ' · esc back' : ''} · q quit` : ''}</Text>
    </Box>
  );
}

export function WalletScreen(p: WalletScreenProps) {
  return (
    <ColorContext.Provider value={p.color ?? colorFromEnv()}>
      <Wallet {...p} />
    </ColorContext.Provider>
  );
}
