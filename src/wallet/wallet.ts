// A Bittensor wallet on disk, laid out exactly as btcli/btwallet keep it:
//   <path>/<name>/coldkey, coldkeypub.txt, hotkeys/<hk>, hotkeys/<hk>pub.txt  (all 0600)
// Reading public information (list, show) never loads the crypto libraries.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LocoError, fromFsError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import {
  decryptKeyfile,
  detectFormat,
  encryptKeyfile,
  legacyError,
  parseKeyfileJson,
  serializeKeyfile,
  type KeyfileData,
} from './keyfile.js';
import { keypairFromKeyfile, keypairToKeyfile, type Keypair } from './keypair.js';

export const KEY_MODE = 0o600;

export interface WalletRef {
  path: string; // the wallets folder, e.g. ~/.bittensor/wallets
  name: string;
}

export const walletDir = (w: WalletRef) => join(w.path, w.name);
export const coldkeyPath = (w: WalletRef) => join(walletDir(w), 'coldkey');
export const coldkeypubPath = (w: WalletRef) => join(walletDir(w), 'coldkeypub.txt');
export const hotkeyPath = (w: WalletRef, hk: string) => join(walletDir(w), 'hotkeys', hk);
export const hotkeypubPath = (w: WalletRef, hk: string) => join(walletDir(w), 'hotkeys', `${hk}pub.txt`);

const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export function checkName(kind: string, name: string): void {
  if (!NAME_RE.test(name) || name === '.' || name === '..') {
    throw new LocoError('usage', `invalid ${kind} name "${name}": use letters, digits, '_', '-', '.'`);
  }
}

function readBytes(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw fromFsError(e, what);
  }
}

/** A password source is asked only when the keyfile turns out to be encrypted. */
export type PasswordSource = (keyfilePath: string) => Promise<string>;

export interface UnlockHooks {
  /** Called around the slow key derivation so a caller can show a spinner. */
  onDecryptStart?: (path: string) => void;
  onDecryptEnd?: () => void;
}

/** Read a keyfile (encrypted or not) into its JSON data. */
export async function readKeyfile(path: string, what: string, password: PasswordSource, hooks: UnlockHooks = {}): Promise<KeyfileData> {
  if (!existsSync(path)) throw new LocoError('notFound', `${what} not found at ${path}`);
  const bytes = readBytes(path, what);
  if (bytes.length === 0) throw new LocoError('corrupt', `${path}: keyfile is empty`);
  const fmt = detectFormat(bytes);
  if (fmt === 'json') return parseKeyfileJson(bytes, path);
  if (fmt === 'ansible-vault' || fmt === 'fernet') throw legacyError(fmt, path);
  if (fmt !== 'nacl') throw new LocoError('corrupt', `${path}: keyfile is damaged: neither JSON nor a $NACL-encrypted keyfile`);
  const pw = await password(path);
  hooks.onDecryptStart?.(path);
  try {
    return parseKeyfileJson(await decryptKeyfile(bytes, pw, path), path);
  } finally {
    hooks.onDecryptEnd?.();
  }
}

export function readPublicFile(path: string): KeyfileData | undefined {
  if (!existsSync(path)) return undefined;
  return parseKeyfileJson(readBytes(path, path), path);
}

export interface WriteKeyOptions {
  overwrite?: boolean;
  /** Encrypt with this password ($NACL); undefined writes plain JSON (the hotkey default). */
  password?: string;
}

function refuseOverwrite(paths: string[], overwrite: boolean | undefined): void {
  if (overwrite) return;
  const existing = paths.filter((p) => existsSync(p));
  if (existing.length) {
    throw new LocoError('alreadyExists', `${existing[0]} already exists; pass --overwrite to replace it`, { path: existing[0] });
  }
}

async function writeKeyPair(keyPath: string, pubPath: string, kp: Keypair, opts: WriteKeyOptions): Promise<void> {
  refuseOverwrite([keyPath, pubPath], opts.overwrite);
  const data = keypairToKeyfile(kp);
  const json = serializeKeyfile(data);
  const body = opts.password !== undefined ? await encryptKeyfile(Buffer.from(json), opts.password) : json;
  // Public file first: a crash in between leaves a usable public key, never a secret without it.
  writeFileAtomic(pubPath, serializeKeyfile(data, true), { mode: KEY_MODE });
  writeFileAtomic(keyPath, body, { mode: KEY_MODE });
}

export async function writeColdkey(w: WalletRef, kp: Keypair, opts: WriteKeyOptions): Promise<void> {
  await writeKeyPair(coldkeyPath(w), coldkeypubPath(w), kp, opts);
}

export async function writeHotkey(w: WalletRef, hotkey: string, kp: Keypair, opts: WriteKeyOptions): Promise<void> {
  checkName('hotkey', hotkey);
  await writeKeyPair(hotkeyPath(w, hotkey), hotkeypubPath(w, hotkey), kp, opts);
}

export function writeColdkeypub(w: WalletRef, kp: Keypair, overwrite?: boolean): void {
  refuseOverwrite([coldkeypubPath(w)], overwrite);
  writeFileAtomic(coldkeypubPath(w), serializeKeyfile(keypairToKeyfile({ publicKey: kp.publicKey, ss58Address: kp.ss58Address }), true), { mode: KEY_MODE });
}

export async function unlockColdkey(w: WalletRef, password: PasswordSource, hooks?: UnlockHooks): Promise<Keypair> {
  if (!existsSync(walletDir(w))) throw new LocoError('notFound', `wallet "${w.name}" not found in ${w.path}`);
  const path = coldkeyPath(w);
  return keypairFromKeyfile(await readKeyfile(path, `coldkey of wallet "${w.name}"`, password, hooks), path);
}

export async function unlockHotkey(w: WalletRef, hotkey: string, password: PasswordSource, hooks?: UnlockHooks): Promise<Keypair> {
  if (!existsSync(walletDir(w))) throw new LocoError('notFound', `wallet "${w.name}" not found in ${w.path}`);
  const path = hotkeyPath(w, hotkey);
  return keypairFromKeyfile(await readKeyfile(path, `hotkey "${hotkey}" of wallet "${w.name}"`, password, hooks), path);
}

// ---------- listing (public data only) ----------

export interface KeyInfo {
  name: string;
  ss58Address: string | null;
  encrypted: boolean | null; // null when the key file itself is missing (public file only)
  error?: string;
}

export interface WalletInfo {
  name: string;
  path: string;
  coldkey: KeyInfo;
  hotkeys: KeyInfo[];
}

function keyInfo(name: string, keyPath: string, pubPath: string): KeyInfo {
  let encrypted: boolean | null = null;
  let address: string | null = null;
  let error: string | undefined;
  try {
    if (existsSync(keyPath)) {
      const bytes = readFileSync(keyPath);
      const fmt = detectFormat(bytes);
      encrypted = fmt !== 'json';
      if (fmt === 'json') address = parseKeyfileJson(bytes, keyPath).ss58Address;
      else if (fmt === 'ansible-vault' || fmt === 'fernet') error = `legacy ${fmt} format`;
    }
    const pub = readPublicFile(pubPath);
    if (pub) address = pub.ss58Address;
  } catch (e) {
    error = (e as Error).message;
  }
  return { name, ss58Address: address, encrypted, ...(error ? { error } : {}) };
}

export function describeWallet(w: WalletRef): WalletInfo {
  const dir = walletDir(w);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new LocoError('notFound', `wallet "${w.name}" not found in ${w.path}`);
  }
  const hkDir = join(dir, 'hotkeys');
  const hotkeys: KeyInfo[] = [];
  if (existsSync(hkDir)) {
    const files = readdirSync(hkDir).filter((f) => !f.startsWith('.'));
    const names = new Set<string>();
    for (const f of files) {
      if (f.endsWith('pub.txt')) names.add(f.slice(0, -'pub.txt'.length));
      else names.add(f);
    }
    for (const hk of [...names].sort()) hotkeys.push(keyInfo(hk, hotkeyPath(w, hk), hotkeypubPath(w, hk)));
  }
  return { name: w.name, path: dir, coldkey: keyInfo('coldkey', coldkeyPath(w), coldkeypubPath(w)), hotkeys };
}

export function listWallets(walletsPath: string): WalletInfo[] {
  if (!existsSync(walletsPath)) return [];
  return readdirSync(walletsPath, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort()
    .map((name) => describeWallet({ path: walletsPath, name }));
}
