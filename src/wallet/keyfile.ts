// Keyfiles exactly as btwallet writes them: compact JSON with six fields, optionally wrapped as
// `$NACL` ‖ 24-byte nonce ‖ secretbox(json) under an argon2i-derived key.
import { randomBytes } from 'node:crypto';
import { LocoError } from '../errors.js';
import { deriveKeyfileKey } from './kdf.js';

export interface KeyfileData {
  accountId: string; // 0x + 32-byte public key
  publicKey: string; // same as accountId
  privateKey?: string; // 0x + 64 bytes: schnorrkel scalar ‖ nonce (raw form, as btwallet writes)
  secretPhrase?: string;
  secretSeed?: string; // 0x + 32-byte mini-secret
  ss58Address: string;
}

export type KeyfileFormat = 'nacl' | 'json' | 'ansible-vault' | 'fernet' | 'unknown';

const NACL_PREFIX = Buffer.from('$NACL');
const NONCE_LEN = 24;
const MAC_LEN = 16;

export function detectFormat(bytes: Uint8Array): KeyfileFormat {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.subarray(0, 5).equals(NACL_PREFIX)) return 'nacl';
  if (b.subarray(0, 14).toString('latin1') === '$ANSIBLE_VAULT') return 'ansible-vault';
  if (b.subarray(0, 6).toString('latin1') === 'gAAAAA') return 'fernet';
  const first = b.toString('utf8', 0, Math.min(b.length, 64)).trimStart();
  if (first.startsWith('{')) return 'json';
  return 'unknown';
}

export function isEncrypted(bytes: Uint8Array): boolean {
  const f = detectFormat(bytes);
  return f === 'nacl' || f === 'ansible-vault' || f === 'fernet';
}

export function legacyError(format: KeyfileFormat, path: string): LocoError {
  const what = format === 'ansible-vault' ? 'Ansible Vault' : 'Fernet ("gAAAAA")';
  return new LocoError(
    'unsupported',
    `${path}: legacy ${what} keyfile format is not supported. Re-encrypt it with the current format ` +
      `(btcli: \`btcli wallet regen-coldkey --mnemonic …\`, or \`loco wallet regen-coldkey --mnemonic …\`).`,
    { format },
  );
}

type Nacl = typeof import('@polkadot/util-crypto/nacl/tweetnacl');
let nacl: Nacl | undefined;
async function loadNacl(): Promise<Nacl> {
  nacl ??= await import('@polkadot/util-crypto/nacl/tweetnacl');
  return nacl;
}

/** `$NACL` ‖ nonce ‖ secretbox(plain, nonce, argon2i(password)). */
export async function encryptKeyfile(plain: Uint8Array, password: string, key?: Uint8Array): Promise<Uint8Array> {
  const k = key ?? (await deriveKeyfileKey(password));
  const { naclSecretbox } = await loadNacl();
  const nonce = new Uint8Array(randomBytes(NONCE_LEN));
  const boxed = naclSecretbox(plain, nonce, k);
  return Buffer.concat([NACL_PREFIX, nonce, boxed]);
}

/**
 * Opens a `$NACL` keyfile. A failed authentication means either a wrong password or a damaged
 * file; the two are told apart by decrypting without authentication: with the right key the
 * plaintext is still (mostly) the keyfile's JSON, with a wrong key it is noise.
 */
export async function decryptKeyfile(bytes: Uint8Array, password: string, path: string, key?: Uint8Array): Promise<Uint8Array> {
  const fmt = detectFormat(bytes);
  if (fmt === 'ansible-vault' || fmt === 'fernet') throw legacyError(fmt, path);
  if (fmt !== 'nacl') throw new LocoError('corrupt', `${path}: not an encrypted keyfile (no $NACL header)`);
  if (bytes.length < NACL_PREFIX.length + NONCE_LEN + MAC_LEN + 2) {
    throw new LocoError('corrupt', `${path}: keyfile is truncated (${bytes.length} bytes, too short to hold a key)`);
  }
  const nonce = bytes.subarray(5, 5 + NONCE_LEN);
  const boxed = bytes.subarray(5 + NONCE_LEN);
  const k = key ?? (await deriveKeyfileKey(password));
  const { naclSecretbox, naclSecretboxOpen } = await loadNacl();
  const plain = naclSecretboxOpen(boxed, nonce, k);
  if (plain) return plain;
  // secretbox(zeros) = MAC ‖ keystream, so ciphertext ⊕ keystream is the unauthenticated plaintext.
  const ct = boxed.subarray(MAC_LEN);
  const keystream = naclSecretbox(new Uint8Array(ct.length), nonce, k).subarray(MAC_LEN);
  const guess = ct.map((c, i) => c ^ keystream[i]);
  if (looksLikeKeyfileJson(guess)) {
    throw new LocoError(
      'corrupt',
      `${path}: keyfile is damaged: the password is right but the data fails its integrity check ` +
        '(a changed or missing byte). Restore it from a backup or regenerate it from the mnemonic.',
    );
  }
  throw new LocoError('wrongPassword', `wrong password for ${path}`);
}

function looksLikeKeyfileJson(b: Uint8Array): boolean {
  if (b.length < 16 || b[0] !== 0x7b /* { */) return false;
  let printable = 0;
  for (const c of b) if (c >= 0x20 && c < 0x7f) printable++;
  return printable / b.length > 0.9;
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const HEX64 = /^0x[0-9a-fA-F]{128}$/;

/** Parse and validate decrypted keyfile JSON (key order is arbitrary, as btwallet writes it). */
export function parseKeyfileJson(plain: Uint8Array | string, path: string): KeyfileData {
  const text = typeof plain === 'string' ? plain : Buffer.from(plain).toString('utf8');
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    throw new LocoError('corrupt', `${path}: keyfile is damaged: not valid JSON`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new LocoError('corrupt', `${path}: keyfile is damaged: not a JSON object`);
  }
  const o = obj as Record<string, unknown>;
  const str = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  const publicKey = str('publicKey') ?? str('accountId');
  const ss58Address = str('ss58Address');
  if (!publicKey || !HEX32.test(publicKey) || !ss58Address) {
    throw new LocoError('corrupt', `${path}: keyfile is damaged: missing or malformed publicKey/ss58Address`);
  }
  const data: KeyfileData = { accountId: str('accountId') ?? publicKey, publicKey, ss58Address };
  const privateKey = str('privateKey');
  if (privateKey !== undefined) {
    if (!HEX64.test(privateKey)) throw new LocoError('corrupt', `${path}: keyfile is damaged: malformed privateKey`);
    data.privateKey = privateKey;
  }
  const secretSeed = str('secretSeed');
  if (secretSeed !== undefined) {
    if (!HEX32.test(secretSeed)) throw new LocoError('corrupt', `${path}: keyfile is damaged: malformed secretSeed`);
    data.secretSeed = secretSeed;
  }
  const phrase = str('secretPhrase');
  if (phrase !== undefined) data.secretPhrase = phrase;
  return data;
}

/** Compact JSON, no spaces, as btwallet writes. Public files carry only the three public fields. */
export function serializeKeyfile(data: KeyfileData, publicOnly = false): string {
  const out: Record<string, string> = { accountId: data.accountId, publicKey: data.publicKey };
  if (!publicOnly) {
    if (data.privateKey) out.privateKey = data.privateKey;
    if (data.secretPhrase) out.secretPhrase = data.secretPhrase;
    if (data.secretSeed) out.secretSeed = data.secretSeed;
  }
  out.ss58Address = data.ss58Address;
  return JSON.stringify(out);
}
