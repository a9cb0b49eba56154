import { Box, Text } from 'ink';
import { hotkeysOf, launchArgs, rowsFor, ROLE_TEXT, shellQuote, TEXT_ROWS, type HomeChoice, type RowName } from '../home.js';
import { useTheme } from '../theme.js';
import type { WalletInfo } from '../wallet-model.js';
import { Panel } from './Panel.js';

const LABEL: Record<RowName, string> = { wallet: 'wallet', hotkey: 'hotkey', network: 'network', netuid: 'subnet', role: 'role', manifest: 'manifest', data: 'data', store: 'store' };
const HINT: Partial<Record<RowName, string>> = {
  netuid: 'netuid (digits)',
  manifest: 'the run manifest file',
  data: 'training shards folder or .bin',
  store: 'file://DIR or s3://bucket',
};

function value(c: HomeChoice, row: RowName, wallets: readonly WalletInfo[]): string {
  switch (row) {
    case 'wallet':
      return c.wallet ?? '(no wallets: press w)';
    case 'hotkey':
      return c.hotkey ?? (c.wallet ? '(no hotkeys)' : '—');
    case 'network':
      return c.network;
    case 'role':
      return c.role;
    default:
      return c[row];
  }
}

/** The Home rows: choices between ‹ ›, text rows with a cursor, then the command enter runs. */
export function HomeRows({ choice, row, wallets, error }: { choice: HomeChoice; row: RowName; wallets: readonly WalletInfo[]; error: string | null }) {
  const t = useTheme();
  const rows = rowsFor(choice.role);
  const hk = hotkeysOf(wallets, choice.wallet).length;
  return (
    <Panel title="Home: choose, then enter" focused>
      {rows.map((r) => {
        const here = r === row;
        const text = TEXT_ROWS.includes(r);
        const v = value(choice, r, wallets);
        const extra = r === 'wallet' && choice.wallet ? `  ${hk} hotkey${hk === 1 ? '' : 's'}` : r === 'role' ? `  ${ROLE_TEXT[choice.role]}` : here && HINT[r] ? `  ${HINT[r]}` : '';
        return (
          <Box key={r}>
            <Text {...(here ? t.bold() : {})}>{`${here ? '›' : ' '} ${LABEL[r].padEnd(9)}`}</Text>
            <Text {...(here ? t.c('cyan') : {})}>{text ? `${v}${here ? '▏' : ''}` : `‹ ${v} ›`}</Text>
            <Text {...t.dim()}>{extra}</Text>
          </Box>
        );
      })}
      {error ? <Text {...t.c('red')}>{error}</Text> : null}
      <Text {...t.dim()}>{`enter: ${choice.role === 'wallet' ? 'open the Wallet screen' : `loco ${launchArgs(choice).map(shellQuote).join(' ')}`}`}</Text>
    </Panel>
  );
}
