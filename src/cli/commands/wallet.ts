import type { Command } from 'commander';
export function registerWallet(program: Command): void {
  program.command('wallet').description('wallets and keys (btcli-compatible)');
}
