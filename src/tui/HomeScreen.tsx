// The Home screen (`loco` with no arguments on a terminal): choose wallet, hotkey, network, subnet
// and role, then enter launches it (the caller runs `loco <role> …`); the Wallet screen opens on top.
import { Box, Text, useInput } from 'ink';
import { useRef } from 'react';
import { HomeRows } from './components/HomeRows.js';
import { Panel } from './components/Panel.js';
import type { KeyHandler } from './form.js';
import type { HomeChoice } from './home.js';
import { initialChoice, useHome } from './home-hooks.js';
import { useTerminalSize } from './terminal.js';
import { ColorContext, colorFromEnv, useTheme } from './theme.js';
import { useWalletList } from './wallet-hooks.js';
import type { BalanceFetcher } from './wallet-model.js';
import { WalletScreen } from './WalletScreen.js';

export interface HomeScreenProps {
  walletPath: string;
  /** starting choices (from flags, environment and saved config) */
  defaults?: Partial<HomeChoice>;
  /** enter on mine / validate / demo */
  onLaunch: (c: HomeChoice) => void;
  onQuit: () => void;
  /** the Wallet screen's balances (default: from the chosen network) */
  balances?: BalanceFetcher | false;
  color?: boolean;
  keys?: boolean;
}

export const HOME_KEYS: [string, string][] = [
  ['↑ ↓', 'move between rows (tab too)'],
  ['← →', 'change the choice on a row'],
  ['text', 'type on the subnet and path rows (backspace deletes)'],
  ['enter', 'launch the role (wallet: open the Wallet screen)'],
  ['w', 'open the Wallet screen'],
  ['?', 'show or hide this help'],
  ['q', 'quit (esc too)'],
];

function Home(p: HomeScreenProps) {
  const t = useTheme();
  const { columns } = useTerminalSize();
  const list = useWalletList(p.walletPath);
  const walletsRef = useRef(list.wallets);
  walletsRef.current = list.wallets;
  const init = useRef(initialChoice(p.walletPath, list.wallets, p.defaults));
  const [s, handle, setWallet] = useHome(walletsRef, init.current, { onLaunch: p.onLaunch, onQuit: p.onQuit });
  // one reader of stdin: Home's keys, or the Wallet screen's while it is open
  const walletRoute = useRef<KeyHandler | null>(null);
  const open = useRef(s.wallet);
  open.current = s.wallet;
  useInput((input, key) => (open.current ? walletRoute.current?.(input, key) : handle(input, key)), { isActive: p.keys ?? true });
  if (s.wallet) {
    return (
      <WalletScreen
        walletPath={p.walletPath}
        network={s.choice.network}
        balances={p.balances}
        color={p.color}
        route={walletRoute}
        onQuit={p.onQuit}
        onBack={() => {
          walletsRef.current = list.reload();
          setWallet(false);
        }}
      />
    );
  }
  return (
    <Box flexDirection="column" width={columns}>
      <Box>
        <Text {...t.bold()} {...t.c('cyan')}>
          loco
        </Text>
        <Text>{'  train a language model together on a Bittensor subnet'}</Text>
      </Box>
      {s.help ? (
        <Panel title="Keys" focused>
          {HOME_KEYS.map(([k, d]) => (
            <Text key={k}>{`${k.padEnd(6)} ${d}`}</Text>
          ))}
        </Panel>
      ) : null}
      {list.error ? <Text {...t.c('red')}>{list.error}</Text> : null}
      <HomeRows choice={s.choice} row={s.row} wallets={list.wallets} error={s.error} />
      <Text {...t.dim()}>↑↓ move · ←→ change · enter launch · w wallets · ? help · q quit</Text>
    </Box>
  );
}

export function HomeScreen(p: HomeScreenProps) {
  return (
    <ColorContext.Provider value={p.color ?? colorFromEnv()}>
      <Home {...p} />
    </ColorContext.Provider>
  );
}
