import { Box, Text } from 'ink';
import { useTheme } from '../theme.js';
import { Panel } from './Panel.js';

/** The new keys' mnemonics, shown once (as `loco wallet create` does on the terminal). */
export function MnemonicNotice({ wallet, keys, writing, error }: { wallet: string; keys: { label: string; mnemonic: string }[]; writing: boolean; error: string | null }) {
  const t = useTheme();
  return (
    <Panel title={`New wallet ${wallet}: write these words down`} focused>
      <Text>They are each key's only backup and will not be shown again. Anyone with them controls the key.</Text>
      {keys.map((k) => (
        <Box key={k.label} flexDirection="column" marginTop={1}>
          <Text {...t.bold()}>{k.label}</Text>
          <Text {...t.c('yellow')}>{`  ${k.mnemonic}`}</Text>
        </Box>
      ))}
      {error ? <Text {...t.c('red')}>{error}</Text> : null}
      <Text {...t.dim()}>{writing ? 'encrypting the coldkey and writing the files…' : 'enter: I wrote them down, create the wallet · esc: discard (nothing is written)'}</Text>
    </Panel>
  );
}
