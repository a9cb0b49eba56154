// The fixture wallet was written by libsodium through PyNaCl (an implementation independent of
// loco); loco must list it, unlock it and rebuild exactly the same keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED, loco, tempDir } from './helpers.js';
import { deriveKeyfileKey } from '../src/wallet/kdf.js';
import { decryptKeyfile, parseKeyfileJson } from '../src/wallet/keyfile.js';
import { keypairFromKeyfile, keypairFromMnemonic, keypairToKeyfile, polkadotToRawSecret, rawToPolkadotSecret, toHex } from '../src/wallet/keypair.js';
import { unlockColdkey, unlockHotkey } from '../src/wallet/wallet.js';

const FIXTURE = join(SHARED, 'fixtures', 'wallet', 'wallets');
const have = existsSync(join(FIXTURE, 'fixture', 'coldkey'));
const skip = have ? false : 'shared fixtures not present (../shared/fixtures/wallet)';
const COLD_MNEMONIC = 'old leopard transfer rib spatial phone calm indicate online fire caution review';
const COLD_ADDRESS = '5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX';
const HOT_MNEMONIC = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';
const HOT_ADDRESS = '5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV';
const PASSWORD = 'thisisafakepassword';

test('official KDF vector: argon2i13(password, fixed salt, ops 8, mem 512 MiB)', async () => {
  const key = await deriveKeyfileKey(PASSWORD);
  assert.equal(Buffer.from(key).toString('hex'), 'a17c46ecafdd501ecb1da0651d35abfecf60df14bffa8e949f58aaecd75cb3c8');
});

test('official key vectors: mnemonic → address, public key, mini-secret seed, raw private key', async () => {
  const kp = await keypairFromMnemonic(COLD_MNEMONIC);
  assert.equal(kp.ss58Address, COLD_ADDRESS);
  assert.equal(toHex(kp.publicKey), '0xe4359ad3e2716c539a1d663ebd0a51bdc5c98a12e663bb4c4402db47828c9446');
  const data = keypairToKeyfile(kp);
  assert.equal(data.secretSeed, '0xda3cf5b1e9144931a0f0db65664aab662673b099415a7f8121b7245fb0be4143');
  // btwallet writes the raw schnorrkel scalar (the reference vector begins 0x1f1995 and ends b84e).
  assert.match(data.privateKey!, /^0x1f1995[0-9a-f]+b84e$/);
  // and the conversion between the two secret-key forms is exact both ways
  assert.deepEqual(polkadotToRawSecret(rawToPolkadotSecret(Buffer.from(data.privateKey!.slice(2), 'hex'))), new Uint8Array(Buffer.from(data.privateKey!.slice(2), 'hex')));
});

test('fixture wallet lists with the right addresses', { skip }, () => {
  const r = loco(['--wallet.path', FIXTURE, 'wallet', 'list', '--json'], { home: tempDir() });
  assert.equal(r.code, 0, r.stderr);
  const w = r.json.data.wallets.find((x: { name: string }) => x.name === 'fixture');
  assert.equal(w.coldkey.ss58Address, COLD_ADDRESS);
  assert.equal(w.coldkey.encrypted, true);
  assert.deepEqual(w.hotkeys.map((h: { name: string; ss58Address: string; encrypted: boolean }) => [h.name, h.ss58Address, h.encrypted]), [['default', HOT_ADDRESS, false]]);
});

test('fixture coldkey unlocks with its password to the right keys; hotkey equals its independent JSON', { skip }, async () => {
  const w = { path: FIXTURE, name: 'fixture' };
  const cold = await unlockColdkey(w, async () => PASSWORD);
  assert.equal(cold.ss58Address, COLD_ADDRESS);
  assert.equal(cold.secretPhrase, COLD_MNEMONIC);
  // The decrypted JSON (written by the independent tool) matches what loco would write, field by field.
  const plain = await decryptKeyfile(readFileSync(join(FIXTURE, 'fixture', 'coldkey')), PASSWORD, 'coldkey');
  assert.deepEqual(parseKeyfileJson(plain, 'coldkey'), keypairToKeyfile(await keypairFromMnemonic(COLD_MNEMONIC)));

  const hot = await unlockHotkey(w, 'default', async () => assert.fail('hotkey is not encrypted'));
  assert.equal(hot.ss58Address, HOT_ADDRESS);
  const hotJson = parseKeyfileJson(readFileSync(join(FIXTURE, 'fixture', 'hotkeys', 'default')), 'default');
  assert.deepEqual(keypairToKeyfile(hot), hotJson);
  assert.equal(hotJson.secretPhrase, HOT_MNEMONIC);
});

test('a keyfile holding only privateKey loads in either scalar form and signs as the same key', { skip }, async () => {
  const full = parseKeyfileJson(readFileSync(join(FIXTURE, 'fixture', 'hotkeys', 'default')), 'default');
  const raw = Buffer.from(full.privateKey!.slice(2), 'hex');
  for (const form of [raw, Buffer.from(rawToPolkadotSecret(raw))]) {
    const onlyPriv = { accountId: full.accountId, publicKey: full.publicKey, ss58Address: full.ss58Address, privateKey: toHex(form) };
    const kp = await keypairFromKeyfile(onlyPriv, 'test');
    assert.equal(kp.ss58Address, HOT_ADDRESS);
    assert.equal(keypairToKeyfile(kp).privateKey, full.privateKey); // always written back in the raw form
  }
  const wrong = { ...full, secretPhrase: undefined, secretSeed: undefined, privateKey: toHex(Buffer.alloc(64, 7)) };
  await assert.rejects(keypairFromKeyfile(wrong, 'bad'), (e: Error & { kind?: string }) => e.kind === 'corrupt' && /does not match/.test(e.message));
});
