// sr25519 keypairs (SS58 prefix 42) with btwallet's conventions: built from the mnemonic first,
// then the seed, then the private key; the private key is stored as the raw schnorrkel scalar
// (polkadot-js wants it multiplied by the cofactor 8, so both forms are accepted on read).
import { LocoError } from '../errors.js';
import type { KeyfileData } from './keyfile.js';

export const SS58_FORMAT = 42;
export const MNEMONIC_WORD_COUNTS = [12, 15, 18, 21, 24] as const;

type UtilCrypto = typeof import('@polkadot/util-crypto');
let uc: UtilCrypto | undefined;
/** @polkadot/util-crypto takes ~0.5 s to import, so only commands that touch keys load it. */
export async function crypto(): Promise<UtilCrypto> {
  if (!uc) {
    const m = await import('@polkadot/util-crypto');
    await m.cryptoWaitReady();
    uc = m;
  }
  return uc;
}

export interface Keypair {
  publicKey: Uint8Array;
  /** 64 bytes in polkadot-js form (scalar×8 ‖ nonce); absent for public-only keys. */
  secretKey?: Uint8Array;
  ss58Address: string;
  secretPhrase?: string;
  secretSeed?: Uint8Array;
}

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;
const unhex = (s: string) => new Uint8Array(Buffer.from(s.replace(/^0x/, ''), 'hex'));

function leToBig(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]);
  return x;
}
function bigToLe(x: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}
const MOD256 = (1n << 256n) - 1n;

/** raw schnorrkel scalar ‖ nonce → polkadot-js form (scalar × 8). */
export function rawToPolkadotSecret(raw: Uint8Array): Uint8Array {
  const out = new Uint8Array(64);
  out.set(bigToLe((leToBig(raw.subarray(0, 32)) * 8n) & MOD256, 32), 0);
  out.set(raw.subarray(32, 64), 32);
  return out;
}

/** polkadot-js form → raw schnorrkel scalar ‖ nonce, as btwallet writes `privateKey`. */
export function polkadotToRawSecret(pk: Uint8Array): Uint8Array {
  const s = leToBig(pk.subarray(0, 32));
  if (s % 8n !== 0n) throw new LocoError('invalidInput', 'secret key is not in the expected cofactor-multiplied form');
  const out = new Uint8Array(64);
  out.set(bigToLe(s / 8n, 32), 0);
  out.set(pk.subarray(32, 64), 32);
  return out;
}

/** Validate a BIP39 English mnemonic with a specific reason for each way it can be wrong. */
export async function checkMnemonic(phrase: string): Promise<string> {
  const words = phrase.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (!(MNEMONIC_WORD_COUNTS as readonly number[]).includes(words.length)) {
    throw new LocoError('invalidInput', `invalid mnemonic: ${words.length} words; a mnemonic has 12, 15, 18, 21 or 24 words`);
  }
  const { default: wordlist } = (await import('@polkadot/util-crypto/mnemonic/wordlists/en')) as unknown as { default: string[] };
  const known = new Set(wordlist);
  const bad = words.findIndex((w) => !known.has(w));
  if (bad >= 0) {
    throw new LocoError('invalidInput', `invalid mnemonic: word ${bad + 1} ("${words[bad]}") is not in the BIP39 English word list`);
  }
  const normalized = words.join(' ');
  const { mnemonicValidate } = await crypto();
  if (!mnemonicValidate(normalized)) {
    throw new LocoError('invalidInput', 'invalid mnemonic: checksum does not match (a word is wrong or out of order)');
  }
  return normalized;
}

export async function generateMnemonic(words = 12): Promise<string> {
  if (!(MNEMONIC_WORD_COUNTS as readonly number[]).includes(words)) {
    throw new LocoError('usage', `--n-words must be one of ${MNEMONIC_WORD_COUNTS.join(', ')}`);
  }
  const { mnemonicGenerate } = await crypto();
  return mnemonicGenerate(words as 12);
}

export async function keypairFromSeed(seed: Uint8Array, secretPhrase?: string): Promise<Keypair> {
  if (seed.length !== 32) throw new LocoError('invalidInput', `invalid seed: expected 32 bytes (0x + 64 hex digits), got ${seed.length}`);
  const { sr25519PairFromSeed, encodeAddress } = await crypto();
  const pair = sr25519PairFromSeed(seed);
  return {
    publicKey: pair.publicKey,
    secretKey: pair.secretKey,
    ss58Address: encodeAddress(pair.publicKey, SS58_FORMAT),
    secretSeed: seed,
    ...(secretPhrase ? { secretPhrase } : {}),
  };
}

export async function keypairFromMnemonic(phrase: string): Promise<Keypair> {
  const normalized = await checkMnemonic(phrase);
  const { mnemonicToMiniSecret } = await crypto();
  return keypairFromSeed(mnemonicToMiniSecret(normalized), normalized);
}

export function parseSeedHex(s: string): Uint8Array {
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(s.trim())) {
    throw new LocoError('invalidInput', 'invalid seed: expected 32 bytes as hex (0x + 64 hex digits)');
  }
  return unhex(s.trim());
}

/** Load order as btwallet: secretPhrase → secretSeed → privateKey (either form) → public only. */
export async function keypairFromKeyfile(data: KeyfileData, path: string): Promise<Keypair> {
  const pub = unhex(data.publicKey);
  let kp: Keypair | undefined;
  if (data.secretPhrase) kp = await keypairFromMnemonic(data.secretPhrase);
  else if (data.secretSeed) kp = await keypairFromSeed(unhex(data.secretSeed));
  else if (data.privateKey) {
    const raw = unhex(data.privateKey);
    const { sr25519Sign, sr25519Verify, encodeAddress } = await crypto();
    const probe = new TextEncoder().encode('loco key check');
    for (const candidate of [rawToPolkadotSecret(raw), raw]) {
      try {
        const sig = sr25519Sign(probe, { publicKey: pub, secretKey: candidate });
        if (sr25519Verify(probe, sig, pub)) {
          kp = { publicKey: pub, secretKey: candidate, ss58Address: encodeAddress(pub, SS58_FORMAT) };
          break;
        }
      } catch {
        /* not this form */
      }
    }
    if (!kp) throw new LocoError('corrupt', `${path}: keyfile is damaged: privateKey does not match publicKey`);
  } else {
    const { encodeAddress } = await crypto();
    return { publicKey: pub, ss58Address: encodeAddress(pub, SS58_FORMAT) };
  }
  if (Buffer.compare(Buffer.from(kp.publicKey), Buffer.from(pub)) !== 0) {
    throw new LocoError('corrupt', `${path}: keyfile is damaged: its secret does not match its publicKey`);
  }
  return kp;
}

export function keypairToKeyfile(kp: Keypair): KeyfileData {
  const pub = hex(kp.publicKey);
  const data: KeyfileData = { accountId: pub, publicKey: pub, ss58Address: kp.ss58Address };
  if (kp.secretKey) data.privateKey = hex(polkadotToRawSecret(kp.secretKey));
  if (kp.secretPhrase) data.secretPhrase = kp.secretPhrase;
  if (kp.secretSeed) data.secretSeed = hex(kp.secretSeed);
  return data;
}

export async function publicKeypair(opts: { ss58?: string; publicKey?: string }): Promise<Keypair> {
  const { decodeAddress, encodeAddress } = await crypto();
  let pub: Uint8Array;
  if (opts.ss58) {
    try {
      pub = decodeAddress(opts.ss58);
    } catch (e) {
      throw new LocoError('invalidInput', `invalid SS58 address "${opts.ss58}": ${(e as Error).message}`);
    }
  } else if (opts.publicKey && /^(0x)?[0-9a-fA-F]{64}$/.test(opts.publicKey)) {
    pub = unhex(opts.publicKey);
  } else {
    throw new LocoError('invalidInput', 'invalid public key: expected 32 bytes as hex (0x + 64 hex digits)');
  }
  return { publicKey: pub, ss58Address: encodeAddress(pub, SS58_FORMAT) };
}

export async function sign(kp: Keypair, message: Uint8Array): Promise<Uint8Array> {
  if (!kp.secretKey) throw new LocoError('invalidInput', `${kp.ss58Address} is a public-only key and cannot sign`);
  const { sr25519Sign } = await crypto();
  return sr25519Sign(message, { publicKey: kp.publicKey, secretKey: kp.secretKey });
}

/** Verify an sr25519 signature against an SS58 address or a 0x public key. */
export async function verify(message: Uint8Array, signature: string, signer: string): Promise<boolean> {
  const { signatureVerify, decodeAddress } = await crypto();
  if (!/^(0x)?[0-9a-fA-F]{128}$/.test(signature.trim())) {
    throw new LocoError('invalidInput', 'invalid signature: expected 64 bytes as hex (0x + 128 hex digits)');
  }
  let pub: Uint8Array;
  try {
    pub = /^(0x)?[0-9a-fA-F]{64}$/.test(signer) ? unhex(signer) : decodeAddress(signer);
  } catch (e) {
    throw new LocoError('invalidInput', `invalid signer address "${signer}": ${(e as Error).message}`);
  }
  return signatureVerify(message, unhex(signature.trim()), pub).isValid;
}

export { hex as toHex, unhex as fromHex };
