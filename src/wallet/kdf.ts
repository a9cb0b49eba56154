// Key derivation for `$NACL` keyfiles: libsodium's crypto_pwhash with ALG_ARGON2I13, opslimit 8,
// memlimit 512 MiB, the fixed btwallet salt, 32-byte key. Computed natively by @node-rs/argon2
// (Rust, runs off the main thread) — about 1.2 s here, where a WASM argon2 takes ~5 s.
export const NACL_SALT = Buffer.from('137183dff15a09bc9c90b5518739e9b1', 'hex');
export const ARGON2I_OPSLIMIT = 8;
export const ARGON2I_MEMLIMIT_BYTES = 536_870_912;

export async function deriveKeyfileKey(password: string): Promise<Uint8Array> {
  const { hashRaw, Algorithm, Version } = await import('@node-rs/argon2');
  const key = await hashRaw(Buffer.from(password, 'utf8'), {
    algorithm: Algorithm.Argon2i,
    version: Version.V0x13,
    timeCost: ARGON2I_OPSLIMIT,
    memoryCost: ARGON2I_MEMLIMIT_BYTES / 1024, // KiB
    parallelism: 1,
    outputLen: 32,
    salt: NACL_SALT,
  });
  return new Uint8Array(key);
}
