// The wallet and hotkey a command acts on (global options resolved against saved defaults), and
// the spinner shown while a keyfile is decrypted. Shared by the wallet and chain commands.
import { checkName, type UnlockHooks, type WalletRef } from '../wallet/wallet.js';
import { resolveDefaults } from './config.js';
import type { Ctx } from './context.js';
import { startSpinner } from './spinner.js';

export async function walletTarget(ctx: Ctx): Promise<{ w: WalletRef; hotkey: string; network: string }> {
  const d = await resolveDefaults(ctx.opts);
  checkName('wallet', d.walletName);
  checkName('hotkey', d.hotkey);
  return { w: { path: d.walletPath, name: d.walletName }, hotkey: d.hotkey, network: d.network };
}

export function unlockHooks(): UnlockHooks {
  let stop = () => {};
  return {
    onDecryptStart: (path) => {
      const s = startSpinner(`Decrypting ${path} …`);
      stop = () => s.stop();
    },
    onDecryptEnd: () => stop(),
  };
}
