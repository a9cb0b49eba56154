// A wallet's life through the real binary: create, list, show, add a hotkey, sign, verify
// (independently, with @polkadot/util-crypto), restore from seed, watch-only coldkeypub.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cryptoWaitReady, signatureVerify } from '@polkadot/util-crypto';
import { loco, tempDir } from './helpers.js';
import { ExitCode } from '../src/errors.js';
import { btPasswordEnvName, encodeBtPassword } from '../src/wallet/password.js';

const PASSWORD = 'Lifecycle-Pass-31';

test('create → list → show → new-hotkey → sign → verify; files 0600; no secret in any output', async () => {
  await cryptoWaitReady();
  const home = tempDir();
  const pwFile = join(home, 'pw');
  writeFileSync(pwFile, PASSWORD);
  const mnFile = join(home, 'mnemonics.txt');
  const created = loco(['--wallet.name', 'alice', 'wallet', 'create', '--password-file', pwFile, '--mnemonic-file', mnFile, '--json'], { home });
  assert.equal(created.code, 0, created.stderr);
  const mnemonics = readFileSync(mnFile, 'utf8');
  assert.equal(statSync(mnFile).mode & 0o777, 0o600);
  const words = mnemonics.split('\n').filter(Boolean).map((l) => l.split(': ')[1]);
  assert.equal(words.length, 2);
  for (const m of words) assert.equal(m.split(' ').length, 12);

  const dir = join(home, '.bittensor', 'wallets', 'alice');
  for (const f of ['coldkey', 'coldkeypub.txt', 'hotkeys/default', 'hotkeys/defaultpub.txt']) {
    assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
  }
  assert.equal(readFileSync(join(dir, 'coldkey')).subarray(0, 5).toString(), '$NACL');
  const hotJson = JSON.parse(readFileSync(join(dir, 'hotkeys', 'default'), 'utf8'));
  assert.deepEqual(Object.keys(hotJson).sort(), ['accountId', 'privateKey', 'publicKey', 'secretPhrase', 'secretSeed', 'ss58Address']);
  const pub = JSON.parse(readFileSync(join(dir, 'coldkeypub.txt'), 'utf8'));
  assert.deepEqual(Object.keys(pub).sort(), ['accountId', 'publicKey', 'ss58Address']);
  assert.equal(pub.ss58Address, created.json.data.coldkey.ss58Address);

  const hk2 = loco(['--wallet.name', 'alice', '--wallet.hotkey', 'miner2', 'wallet', 'new-hotkey', '--mnemonic-file', join(home, 'hk2.txt'), '--json'], { home });
  assert.equal(hk2.code, 0, hk2.stderr);
  const shown = loco(['--wallet.name', 'alice', 'wallet', 'show', '--json'], { home });
  assert.deepEqual(shown.json.data.hotkeys.map((h: { name: string }) => h.name), ['default', 'miner2']);

  // Sign with the hotkey; verify with polkadot's own verifier, not loco's.
  const signed = loco(['--wallet.name', 'alice', '--hotkey', 'miner2', 'wallet', 'sign', '--message', 'hello loco', '--json'], { home });
  assert.equal(signed.code, 0, signed.stderr);
  assert.equal(signed.json.data.signer, hk2.json.data.hotkey.ss58Address);
  assert.equal(signatureVerify('hello loco', signed.json.data.signature, signed.json.data.signer).isValid, true);
  assert.equal(signatureVerify('hello loc0', signed.json.data.signature, signed.json.data.signer).isValid, false);

  // Coldkey signing through the official BT_PW_ variable (value = base64(password XOR name)).
  const envName = btPasswordEnvName(join(dir, 'coldkey'));
  const coldSigned = loco(['--wallet.name', 'alice', 'wallet', 'sign', '--use-coldkey', '--message', 'from cold', '--json'], {
    home,
    env: { [envName]: encodeBtPassword(PASSWORD, envName) },
  });
  assert.equal(coldSigned.code, 0, coldSigned.stderr);
  assert.equal(coldSigned.json.data.signer, pub.ss58Address);
  assert.equal(signatureVerify('from cold', coldSigned.json.data.signature, pub.ss58Address).isValid, true);

  // loco verify agrees, and says no (exit 6) to a tampered message.
  const ok = loco(['wallet', 'verify', '--message', 'from cold', '--signature', coldSigned.json.data.signature, '--address', pub.ss58Address, '--json'], { home });
  assert.equal(ok.code, 0);
  assert.equal(ok.json.data.valid, true);
  const bad = loco(['wallet', 'verify', '--message', 'from colD', '--signature', coldSigned.json.data.signature, '--address', pub.ss58Address, '--json'], { home });
  assert.equal(bad.code, ExitCode.invalidInput);
  assert.equal(bad.json.error.details.valid, false);

  // No secret ever reaches stdout or stderr.
  const secrets = [...words, PASSWORD, hotJson.privateKey.slice(2), hotJson.secretSeed.slice(2)];
  for (const r of [created, hk2, shown, signed, coldSigned, ok, bad]) {
    for (const s of secrets) {
      assert.equal((r.stdout + r.stderr).includes(s), false, `secret leaked: ${s.slice(0, 8)}…`);
    }
  }
});

test('regen from seed gives the same key as from the mnemonic; regen-coldkeypub makes a watch-only wallet', () => {
  const home = tempDir();
  const a = loco(['--wallet.name', 's', 'wallet', 'regen-hotkey', '--seed', '0xfac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e', '--json'], { home });
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.json.data.hotkey.ss58Address, '5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV');
  const hot = JSON.parse(readFileSync(a.json.data.hotkey.path, 'utf8'));
  assert.equal(hot.secretPhrase, undefined); // made from a seed: no phrase to write
  assert.equal(hot.secretSeed, '0xfac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e');

  const w = loco(['--wallet.name', 'watch', 'wallet', 'regen-coldkeypub', '--ss58', '5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX', '--json'], { home });
  assert.equal(w.code, 0, w.stderr);
  assert.equal(w.json.data.coldkeypub.publicKey, '0xe4359ad3e2716c539a1d663ebd0a51bdc5c98a12e663bb4c4402db47828c9446');
  const listed = loco(['wallet', 'list', '--json'], { home });
  const watch = listed.json.data.wallets.find((x: { name: string }) => x.name === 'watch');
  assert.equal(watch.coldkey.ss58Address, '5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX');
  assert.equal(watch.coldkey.encrypted, null);
  const badAddr = loco(['--wallet.name', 'watch2', 'wallet', 'regen-coldkeypub', '--ss58', '5NotAnAddress', '--json'], { home });
  assert.equal(badAddr.code, ExitCode.invalidInput);
});

test('hotkey encrypted on request (--use-password) and unlocked with LOCO_PASSWORD', () => {
  const home = tempDir();
  const r = loco(['--wallet.name', 'h', 'wallet', 'regen-hotkey', '--use-password', '--mnemonic', 'bottom drive obey lake curtain smoke basket hold race lonely fit walk', '--json'], {
    home,
    env: { LOCO_PASSWORD: PASSWORD },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.data.hotkey.encrypted, true);
  assert.equal(readFileSync(r.json.data.hotkey.path).subarray(0, 5).toString(), '$NACL');
  const s = loco(['--wallet.name', 'h', 'wallet', 'sign', '--message', 'x', '--json'], { home, env: { LOCO_PASSWORD: PASSWORD } });
  assert.equal(s.code, 0, s.stderr);
  assert.equal(s.json.data.signer, '5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV');
});
