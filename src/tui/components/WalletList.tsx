import { Box, Text } from 'ink';
import type { KeyInfo } from '../../wallet/wallet.js';
import type { Balances } from '../wallet-hooks.js';
import { shortTao, type WalletInfo } from '../wallet-model.js';
import { useTheme } from '../theme.js';
import { Panel } from './Panel.js';

function balanceText(b: Balances, address: string | null): string {
  if (!address) return '';
  switch (b.state) {
    case 'ok':
      return shortTao(b.free.get(address) ?? 0n);
    case 'loading':
      return '…';
    case 'offline':
      return 'offline';
    default:
      return '';
  }
}

function KeyRow({ k, label, b }: { k: KeyInfo; label: string; b: Balances }) {
  const t = useTheme();
  const lock = k.encrypted === null ? 'public only' : k.encrypted ? 'encrypted' : 'unencrypted';
  return (
    <Text wrap="truncate-end">
      {`    ${label.padEnd(16)} ${(k.ss58Address ?? '(no address)').padEnd(48)} `}
      <Text {...(b.state === 'offline' ? t.c('yellow') : {})}>{balanceText(b, k.ss58Address).padEnd(12)}</Text>
      <Text {...t.dim()}>{lock}</Text>
      {k.error ? <Text {...t.c('yellow')}>{`  ! ${k.error}`}</Text> : null}
    </Text>
  );
}

/** Wallets with their coldkey and hotkeys, addresses and free balances; the selected one is marked. */
export function WalletList({ path, wallets, error, balances, selected, focused }: { path: string; wallets: readonly WalletInfo[]; error: string | null; balances: Balances; selected: number; focused?: boolean }) {
  const t = useTheme();
  return (
    <Panel title={`Wallets in ${path}`} focused={focused}>
      {error ? <Text {...t.c('red')}>{error}</Text> : null}
      {!error && wallets.length === 0 ? <Text>No wallets yet: press c to create one, i to import a coldkey.</Text> : null}
      {wallets.map((w, i) => (
        <Box key={w.name} flexDirection="column">
          <Text {...(i === selected ? t.bold() : {})} {...(i === selected ? t.c('cyan') : {})}>{`${i === selected ? '›' : ' '} ${w.name}`}</Text>
          <KeyRow k={w.coldkey} label="coldkey" b={balances} />
          {w.hotkeys.map((h) => (
            <KeyRow key={h.name} k={h} label={`hotkey ${h.name}`} b={balances} />
          ))}
        </Box>
      ))}
      {balances.state === 'offline' ? <Text {...t.dim()}>{`balances: offline (${balances.why})`}</Text> : null}
    </Panel>
  );
}
