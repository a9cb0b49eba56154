// Implementations of `loco wallet …`. Secrets (mnemonics, seeds, passwords, private keys) are
// never written to stdout, logs or JSON: a new mnemonic goes to the person's terminal (stderr at a
// TTY) or to a 0600 --mnemonic-file, and nowhere else.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { LocoError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import {
  generateMnemonic,
  keypairFromMnemonic,
  keypairFromSeed,
  parseSeedHex,
  publicKeypair,
  sign as signMessage,
  toHex,
  verify as verifySignature,
  type Keypair,
} from '../wallet/keypair.js';
import {
  coldkeyPath,
  describeWallet,
  hotkeyPath,
  listWallets,
  unlockColdkey,
  unlockHotkey,
  writeColdkey,
  writeColdkeypub,
  writeHotkey,
  type KeyInfo,
  type WalletInfo,
  type WalletRef,
} from '../wallet/wallet.js';
import { resolveDefaults } from './config.js';
import { unlockHooks, walletTarget } from './wallet-target.js';
import type { Ctx } from './context.js';
import { promptSecret } from './prompt.js';
import { newPassword, unlockPassword } from './secrets.js';
import { bold, dim, green, yellow } from './style.js';

interface WalletFlags {
  nWords?: string;
  usePassword?: boolean;
  hotkeyUsePassword?: boolean;
  passwordFile?: string;
  mnemonicFile?: string;
  overwrite?: boolean;
  mnemonic?: string[];
  seed?: string;
  ss58?: string;
  publicKey?: string;
  message?: string;
  useColdkey?: boolean;
  signature?: string;
  address?: string;
}

const flagsOf = (cmd: Command) => cmd.opts() as WalletFlags;

// ---------- new keys and where their mnemonics go ----------

interface NewKey {
  label: string; // "coldkey" or `hotkey "<name>"`
  mnemonic: string;
}

/** Decide, before anything is written, where the new mnemonic(s) will be shown. */
function checkMnemonicDestination(ctx: Ctx, flags: WalletFlags): void {
  if (flags.mnemonicFile) {
    if (existsSync(flags.mnemonicFile) && !flags.overwrite) {
      throw new LocoError('alreadyExists', `${flags.mnemonicFile} already exists; pass --overwrite to replace it`);
    }
    return;
  }
  if (!process.stderr.isTTY) {
    throw new LocoError(
      'usage',
      'a new key\'s mnemonic is its only backup and is shown only on a terminal; without one, pass --mnemonic-file FILE',
    );
  }
}

function deliverMnemonics(ctx: Ctx, flags: WalletFlags, keys: NewKey[]): { mnemonicFile?: string } {
  if (flags.mnemonicFile) {
    const body = keys.map((k) => `${k.label}: ${k.mnemonic}`).join('\n') + '\n';
    writeFileAtomic(flags.mnemonicFile, body, { mode: 0o600 });
    ctx.out.info(`Mnemonic${keys.length > 1 ? 's' : ''} written to ${flags.mnemonicFile} (mode 0600). Keep it offline.`);
    return { mnemonicFile: flags.mnemonicFile };
  }
  // stderr is a terminal here (checked beforehand): the person sees it, no log or pipe does.
  for (const k of keys) {
    process.stderr.write(
      `\n${bold(`The mnemonic of the new ${k.label}`)} — write it down and keep it safe; it will not be shown again:\n\n` +
        `    ${yellow(k.mnemonic)}\n\n` +
        `${dim('Anyone with these words controls the key. loco does not store them anywhere else.')}\n\n`,
    );
  }
  return {};
}

interface PlannedKey {
  which: 'coldkey' | { hotkey: string };
  path: string;
  label: string;
  kp: Keypair;
  mnemonic: string;
  password?: string;
}

/** Generate the key and settle its password; nothing is written yet. */
async function planKey(ctx: Ctx, flags: WalletFlags, w: WalletRef, which: 'coldkey' | { hotkey: string }, encrypt: boolean): Promise<PlannedKey> {
  const mnemonic = await generateMnemonic(Number(flags.nWords ?? 12));
  const kp = await keypairFromMnemonic(mnemonic);
  const path = which === 'coldkey' ? coldkeyPath(w) : hotkeyPath(w, which.hotkey);
  const label = which === 'coldkey' ? 'coldkey' : `hotkey "${which.hotkey}"`;
  const password = encrypt ? await newPassword(ctx, flags, path) : undefined;
  return { which, path, label, kp, mnemonic, password };
}

/**
 * Create keys: plan all of them (passwords included), hand over the mnemonics, then write the
 * files. A failure before the writes leaves the wallet untouched.
 */
async function createKeys(ctx: Ctx, flags: WalletFlags, w: WalletRef, planned: PlannedKey[]): Promise<{ mnemonicFile?: string }> {
  const delivered = deliverMnemonics(ctx, flags, planned.map((k) => ({ label: k.label, mnemonic: k.mnemonic })));
  for (const k of planned) {
    const opts = { overwrite: flags.overwrite, password: k.password };
    if (k.which === 'coldkey') await writeColdkey(w, k.kp, opts);
    else await writeHotkey(w, k.which.hotkey, k.kp, opts);
  }
  return delivered;
}

const keyInfoOf = (k: PlannedKey) => ({ ss58Address: k.kp.ss58Address, path: k.path, encrypted: k.password !== undefined });

function preflightOverwrite(flags: WalletFlags, paths: string[]): void {
  if (flags.overwrite) return;
  const p = paths.find((x) => existsSync(x));
  if (p) throw new LocoError('alreadyExists', `${p} already exists; pass --overwrite to replace it`, { path: p });
}

export async function create(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  const { w, hotkey } = await walletTarget(ctx);
  preflightOverwrite(flags, [coldkeyPath(w), hotkeyPath(w, hotkey)]);
  checkMnemonicDestination(ctx, flags);
  const cold = await planKey(ctx, flags, w, 'coldkey', flags.usePassword !== false);
  const hot = await planKey(ctx, flags, w, { hotkey }, Boolean(flags.hotkeyUsePassword));
  const delivered = await createKeys(ctx, flags, w, [cold, hot]);
  ctx.out.result({ wallet: w.name, coldkey: keyInfoOf(cold), hotkey: { name: hotkey, ...keyInfoOf(hot) }, ...delivered }, [
    `${green('created')} wallet ${bold(w.name)}`,
    `  coldkey  ${cold.kp.ss58Address}`,
    `  hotkey   ${hotkey}  ${hot.kp.ss58Address}`,
  ]);
}

export async function newColdkey(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  const { w } = await walletTarget(ctx);
  preflightOverwrite(flags, [coldkeyPath(w)]);
  checkMnemonicDestination(ctx, flags);
  const cold = await planKey(ctx, flags, w, 'coldkey', flags.usePassword !== false);
  const delivered = await createKeys(ctx, flags, w, [cold]);
  ctx.out.result({ wallet: w.name, coldkey: keyInfoOf(cold), ...delivered }, `${green('created')} coldkey ${cold.kp.ss58Address} in wallet ${bold(w.name)}`);
}

export async function newHotkey(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  const { w, hotkey } = await walletTarget(ctx);
  preflightOverwrite(flags, [hotkeyPath(w, hotkey)]);
  checkMnemonicDestination(ctx, flags);
  const hot = await planKey(ctx, flags, w, { hotkey }, Boolean(flags.usePassword));
  const delivered = await createKeys(ctx, flags, w, [hot]);
  ctx.out.result({ wallet: w.name, hotkey: { name: hotkey, ...keyInfoOf(hot) }, ...delivered }, `${green('created')} hotkey ${bold(hotkey)} ${hot.kp.ss58Address} in wallet ${bold(w.name)}`);
}

// ---------- restoring keys ----------

async function keypairFromFlags(ctx: Ctx, flags: WalletFlags): Promise<Keypair> {
  if (flags.mnemonic && flags.seed) throw new LocoError('usage', 'give either --mnemonic or --seed, not both');
  if (flags.mnemonic) return keypairFromMnemonic(flags.mnemonic.join(' '));
  if (flags.seed) return keypairFromSeed(parseSeedHex(flags.seed));
  if (ctx.interactive) return keypairFromMnemonic(await promptSecret('Mnemonic (words separated by spaces): '));
  throw new LocoError('usage', 'give the key as --mnemonic "word1 word2 …" or --seed 0x…');
}

export async function regenColdkey(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  const { w } = await walletTarget(ctx);
  preflightOverwrite(flags, [coldkeyPath(w)]);
  const kp = await keypairFromFlags(ctx, flags);
  const encrypt = flags.usePassword !== false;
  const password = encrypt ? await newPassword(ctx, flags, coldkeyPath(w)) : undefined;
  await writeColdkey(w, kp, { overwrite: flags.overwrite, password });
  ctx.out.result(
    { wallet: w.name, coldkey: { ss58Address: kp.ss58Address, path: coldkeyPath(w), encrypted: encrypt } },
    `${green('restored')} coldkey ${kp.ss58Address} in wallet ${bold(w.name)}`,
  );
}

export async function regenHotkey(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  const { w, hotkey } = await walletTarget(ctx);
  preflightOverwrite(flags, [hotkeyPath(w, hotkey)]);
  const kp = await keypairFromFlags(ctx, flags);
  const encrypt = Boolean(flags.usePassword);
  const password = encrypt ? await newPassword(ctx, flags, hotkeyPath(w, hotkey)) : undefined;
  await writeHotkey(w, hotkey, kp, { overwrite: flags.overwrite, password });
  ctx.out.result(
    { wallet: w.name, hotkey: { name: hotkey, ss58Address: kp.ss58Address, path: hotkeyPath(w, hotkey), encrypted: encrypt } },
    `${green('restored')} hotkey ${bold(hotkey)} ${kp.ss58Address} in wallet ${bold(w.name)}`,
  );
}

export async function regenColdkeypub(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  const { w } = await walletTarget(ctx);
  if (!flags.ss58 === !flags.publicKey) throw new LocoError('usage', 'give exactly one of --ss58 or --public-key');
  const kp = await publicKeypair({ ss58: flags.ss58, publicKey: flags.publicKey });
  writeColdkeypub(w, kp, flags.overwrite);
  ctx.out.result({ wallet: w.name, coldkeypub: { ss58Address: kp.ss58Address, publicKey: toHex(kp.publicKey) } }, `${green('wrote')} coldkeypub.txt ${kp.ss58Address} for wallet ${bold(w.name)}`);
}

// ---------- looking ----------

function keyLine(k: KeyInfo, indent: string): string {
  const lock = k.encrypted === null ? dim('(public only)') : k.encrypted ? dim('(encrypted)') : dim('(unencrypted)');
  const addr = k.ss58Address ?? dim('(no address)');
  return `${indent}${k.name.padEnd(12)} ${addr} ${lock}${k.error ? ` ${yellow(`! ${k.error}`)}` : ''}`;
}

function walletLines(wi: WalletInfo): string[] {
  return [`${bold(wi.name)}`, keyLine(wi.coldkey, '  '), ...wi.hotkeys.map((h) => keyLine(h, '    hotkey '))];
}

export async function list(ctx: Ctx): Promise<void> {
  const { walletPath } = await resolveDefaults(ctx.opts);
  const wallets = listWallets(walletPath);
  ctx.out.result({ path: walletPath, wallets }, wallets.length ? [`Wallets in ${walletPath}`, ...wallets.flatMap(walletLines)] : `No wallets in ${walletPath}. Create one with \`loco wallet create\`.`);
}

export async function show(ctx: Ctx): Promise<void> {
  const { w } = await walletTarget(ctx);
  const wi = describeWallet(w);
  ctx.out.result(wi, walletLines(wi));
}

// ---------- signing ----------

export async function sign(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  const { w, hotkey } = await walletTarget(ctx);
  const pw = unlockPassword(ctx, flags);
  const kp = flags.useColdkey ? await unlockColdkey(w, pw, unlockHooks()) : await unlockHotkey(w, hotkey, pw, unlockHooks());
  const signature = toHex(await signMessage(kp, new TextEncoder().encode(flags.message ?? '')));
  ctx.out.result(
    { signer: kp.ss58Address, key: flags.useColdkey ? 'coldkey' : `hotkey:${hotkey}`, message: flags.message, signature },
    [`signer     ${kp.ss58Address}`, `signature  ${signature}`],
  );
}

export async function verify(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  let signer = flags.address;
  if (!signer) {
    const { w, hotkey } = await walletTarget(ctx);
    const h = describeWallet(w).hotkeys.find((k) => k.name === hotkey);
    if (!h?.ss58Address) throw new LocoError('notFound', `hotkey "${hotkey}" of wallet "${w.name}" not found; pass --address`);
    signer = h.ss58Address;
  }
  const valid = await verifySignature(new TextEncoder().encode(flags.message ?? ''), flags.signature ?? '', signer);
  if (!valid) throw new LocoError('invalidInput', `signature is NOT valid for ${signer}`, { valid: false, signer });
  ctx.out.result({ valid: true, signer }, `${green('valid')} signature by ${signer}`);
}
