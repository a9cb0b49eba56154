// Cross-check against an independent implementation: Debian's python3-nacl (libsodium's argon2i
// and secretbox). loco's coldkeys must open there, and PyNaCl's must open in loco.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, loco, tempDir } from './helpers.js';
import { keypairFromMnemonic, keypairToKeyfile } from '../src/wallet/keypair.js';
import { serializeKeyfile } from '../src/wallet/keyfile.js';

const PY = '/usr/bin/python3';
const SCRIPT = join(ROOT, 'test', 'py', 'nacl_keyfile.py');
const hasNacl = spawnSync(PY, ['-c', 'import nacl.pwhash'], { encoding: 'utf8' }).status === 0;
// In CI, .ci/run installs python3-nacl, so a missing module there is a failure, not a skip.
const skip = hasNacl || process.env.CI === 'true' ? false : 'python3-nacl not installed (apt-get install python3-nacl)';
const PASSWORD = 'Interop-Pass-42';

test('a coldkey written by loco decrypts with libsodium (PyNaCl) to the six-field JSON', { skip }, async () => {
  const home = tempDir();
  const pwFile = join(home, 'pw');
  writeFileSync(pwFile, `${PASSWORD}\n`);
  const mn = 'old leopard transfer rib spatial phone calm indicate online fire caution review';
  const r = loco(['--wallet.name', 'w1', 'wallet', 'regen-coldkey', '--mnemonic', mn, '--password-file', pwFile, '--json'], { home });
  assert.equal(r.code, 0, r.stderr);
  const path = r.json.data.coldkey.path;
  const py = spawnSync(PY, [SCRIPT, 'decrypt', path, PASSWORD], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const obj = JSON.parse(py.stdout);
  assert.deepEqual(Object.keys(obj).sort(), ['accountId', 'privateKey', 'publicKey', 'secretPhrase', 'secretSeed', 'ss58Address']);
  assert.deepEqual(obj, keypairToKeyfile(await keypairFromMnemonic(mn)));
  // and a wrong password fails there too (so the check above is meaningful)
  assert.notEqual(spawnSync(PY, [SCRIPT, 'decrypt', path, 'not-the-password'], { encoding: 'utf8' }).status, 0);
});

test('a coldkey written by libsodium (PyNaCl) unlocks in loco and signs', { skip }, async () => {
  const home = tempDir();
  const walletDir = join(home, '.bittensor', 'wallets', 'pywallet');
  mkdirSync(join(walletDir, 'hotkeys'), { recursive: true });
  const mn = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';
  const data = keypairToKeyfile(await keypairFromMnemonic(mn));
  const py = spawnSync(PY, [SCRIPT, 'encrypt', join(walletDir, 'coldkey'), PASSWORD, serializeKeyfile(data)], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  assert.equal(readFileSync(join(walletDir, 'coldkey')).subarray(0, 5).toString(), '$NACL');
  const r = loco(['--wallet.name', 'pywallet', 'wallet', 'sign', '--use-coldkey', '--message', 'hi', '--json'], {
    home,
    env: { LOCO_PASSWORD: PASSWORD },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.data.signer, data.ss58Address);
});
