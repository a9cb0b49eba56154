import { test } from 'node:test';
import assert from 'node:assert/strict';
import { btPasswordEnvName, checkNewPassword, decodeBtPassword, encodeBtPassword, passwordScore } from '../src/wallet/password.js';
import { detectFormat } from '../src/wallet/keyfile.js';
import { normaliseArgv } from '../src/cli/context.js';

test('password score matches the passwords crate\'s own test vectors', () => {
  assert.equal(passwordScore('kq4zpz13'), 62);
  assert.equal(passwordScore('ZYX[$BCkQB中文}%A_3456]  H(\rg'), 100);
  assert.equal(passwordScore('abc123'), 4.8); // common password: 24 / 5, as with the crate's common-password feature
  assert.ok(passwordScore('Correct-Horse-Battery-9') >= 90);
});

test('new-password rule: ≥ 6 characters and score ≥ 20', () => {
  assert.throws(() => checkNewPassword(''), /empty/);
  assert.throws(() => checkNewPassword('Ab1!x'), /too short/);
  assert.throws(() => checkNewPassword('password'), /too weak/);
  checkNewPassword('kq4zpz13');
});

test('BT_PW_ variable: name from the keyfile path, value = base64(password XOR name)', () => {
  const name = btPasswordEnvName('/home/ubuntu/.bittensor/wallets/test/coldkey');
  assert.equal(name, 'BT_PW__HOME_UBUNTU__BITTENSOR_WALLETS_TEST_COLDKEY');
  const v = encodeBtPassword('s3cret-Pass', name);
  // XOR with the name's bytes, cyclically: the first byte is 's' ^ 'B'
  assert.equal(Buffer.from(v, 'base64')[0], 's'.charCodeAt(0) ^ 'B'.charCodeAt(0));
  assert.equal(decodeBtPassword(v, name), 's3cret-Pass');
});

test('keyfile format detection', () => {
  assert.equal(detectFormat(Buffer.from('$NACL' + 'x'.repeat(50))), 'nacl');
  assert.equal(detectFormat(Buffer.from('{"accountId":"0x"}')), 'json');
  assert.equal(detectFormat(Buffer.from('$ANSIBLE_VAULT;1.1;AES256')), 'ansible-vault');
  assert.equal(detectFormat(Buffer.from('gAAAAABh')), 'fernet');
  assert.equal(detectFormat(Buffer.from([0, 1, 2, 3])), 'unknown');
});

test('btcli-style dotted options are normalised', () => {
  assert.deepEqual(normaliseArgv(['--wallet.name', 'a', '--wallet.hotkey=h', '--wallet.path', 'p', 'x', '--', '--wallet.name']), [
    '--wallet-name', 'a', '--hotkey=h', '--wallet-path', 'p', 'x', '--', '--wallet.name',
  ]);
});
