// `loco wallet …`: btcli-compatible wallet management. Registration only; the work is in
// ../wallet-actions.ts, loaded when a wallet command actually runs.
import { Option, type Command } from 'commander';
import { action, type Action } from '../action.js';

const impl = (name: keyof typeof import('../wallet-actions.js')): Action =>
  async (ctx, args, cmd) => {
    const m = await import('../wallet-actions.js');
    await (m[name] as Action)(ctx, args, cmd);
  };

const passwordFile = () => new Option('--password-file <file>', 'read the password from this file (first line) instead of a prompt');
const overwrite = () => new Option('--overwrite', 'replace existing key files');
const mnemonicFile = () => new Option('--mnemonic-file <file>', 'write the new mnemonic to this file (mode 0600) instead of showing it');
const nWords = () => new Option('--n-words <n>', 'mnemonic length: 12, 15, 18, 21 or 24').default('12');
const coldPassword = () => new Option('--no-use-password', 'store the coldkey unencrypted (not recommended)');
const hotPassword = () => new Option('--use-password', 'encrypt the hotkey too (hotkeys are unencrypted by default, as in btcli)');
const mnemonic = () => new Option('--mnemonic <words...>', 'the mnemonic words (quoted, or as separate words)');
const seed = () => new Option('--seed <hex>', 'the 32-byte seed (secretSeed) as 0x-hex');

export function registerWallet(program: Command): void {
  const wallet = program.command('wallet').alias('w').description('wallets and keys (btcli-compatible, ~/.bittensor/wallets)');

  wallet
    .command('create')
    .description('create a new coldkey and hotkey')
    .addOption(nWords()).addOption(coldPassword())
    .addOption(new Option('--hotkey-use-password', 'encrypt the hotkey too (unencrypted by default, as in btcli)'))
    .addOption(passwordFile()).addOption(mnemonicFile()).addOption(overwrite())
    .action(action(impl('create')));

  wallet
    .command('new-coldkey')
    .description('create a new coldkey (encrypted with a password)')
    .addOption(nWords()).addOption(coldPassword()).addOption(passwordFile()).addOption(mnemonicFile()).addOption(overwrite())
    .action(action(impl('newColdkey')));

  wallet
    .command('new-hotkey')
    .description('create a new hotkey in a wallet')
    .addOption(nWords()).addOption(hotPassword()).addOption(passwordFile()).addOption(mnemonicFile()).addOption(overwrite())
    .action(action(impl('newHotkey')));

  wallet
    .command('regen-coldkey')
    .description('restore a coldkey from its mnemonic or seed')
    .addOption(mnemonic()).addOption(seed()).addOption(coldPassword()).addOption(passwordFile()).addOption(overwrite())
    .action(action(impl('regenColdkey')));

  wallet
    .command('regen-hotkey')
    .description('restore a hotkey from its mnemonic or seed')
    .addOption(mnemonic()).addOption(seed()).addOption(hotPassword()).addOption(passwordFile()).addOption(overwrite())
    .action(action(impl('regenHotkey')));

  wallet
    .command('regen-coldkeypub')
    .description('write coldkeypub.txt from an address or public key (watch-only wallet)')
    .addOption(new Option('--ss58 <address>', 'SS58 address'))
    .addOption(new Option('--public-key <hex>', '32-byte public key as 0x-hex'))
    .addOption(overwrite())
    .action(action(impl('regenColdkeypub')));

  wallet
    .command('list')
    .description('list wallets and their hotkeys (public data only; no password needed)')
    .action(action(impl('list')));

  wallet
    .command('show')
    .description('show one wallet: addresses, hotkeys, which keys are encrypted')
    .action(action(impl('show')));

  wallet
    .command('sign')
    .description('sign a message with the hotkey (or the coldkey with --use-coldkey)')
    .requiredOption('--message <text>', 'the message to sign (UTF-8)')
    .addOption(new Option('--use-coldkey', 'sign with the coldkey (unlocks it)'))
    .addOption(passwordFile())
    .action(action(impl('sign')));

  wallet
    .command('verify')
    .description('check a signature against an address (exit 0 valid, 6 not valid)')
    .requiredOption('--message <text>', 'the signed message (UTF-8)')
    .requiredOption('--signature <hex>', '64-byte sr25519 signature as 0x-hex')
    .addOption(new Option('--address <ss58|0xpubkey>', 'the signer (default: this wallet\'s hotkey)'))
    .action(action(impl('verify')));

  // Chain-backed wallet commands (implementation in ../chain-actions.ts, docs/chain.md).
  const chainAction = (name: 'walletBalance' | 'walletTransfer'): Action => async (ctx, args, cmd) => {
    const m = await import('../chain-actions.js');
    await m[name](ctx, args, cmd);
  };
  wallet
    .command('balance')
    .description('free and reserved TAO of the wallet\'s coldkey (or --all wallets, or --ss58 addresses)')
    .addOption(new Option('--all', 'every wallet in the wallets folder'))
    .addOption(new Option('--ss58 <address...>', 'these addresses instead of a wallet'))
    .addOption(new Option('--timeout <seconds>', 'give up if the chain cannot be reached within this (env LOCO_CHAIN_TIMEOUT)'))
    .action(action(chainAction('walletBalance')));

  wallet
    .command('transfer')
    .description('send TAO from the coldkey (Balances.transfer_keep_alive; --allow-death may empty the account)')
    .requiredOption('--dest <address>', 'recipient SS58 address')
    .requiredOption('--amount <tao>', 'TAO to send (up to 9 decimals)')
    .addOption(new Option('--allow-death', 'allow the balance to drop below the existential deposit (transfer_allow_death)'))
    .addOption(passwordFile())
    .addOption(new Option('--timeout <seconds>', 'give up if the chain cannot be reached within this (env LOCO_CHAIN_TIMEOUT)'))
    .action(action(chainAction('walletTransfer')));
}
