// Every way a wallet operation can go wrong gets its own message and exit code, and nothing on
// disk is overwritten or lost.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loco, tempDir } from './helpers.js';
import { ExitCode } from '../src/errors.js';

const PASSWORD = 'Errors-Test-77';
let home: string;
let wallets: string;
let pwFile: string;

function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(p, readFileSync(p).toString('hex'));
    }
  };
  walk(dir);
  return out;
}

before(() => {
  home = tempDir();
  wallets = join(home, '.bittensor', 'wallets');
  pwFile = join(home, 'pw');
  writeFileSync(pwFile, PASSWORD);
  const r = loco(['--wallet.name', 'good', 'wallet', 'regen-coldkey', '--mnemonic', 'old leopard transfer rib spatial phone calm indicate online fire caution review', '--password-file', pwFile], { home });
  assert.equal(r.code, 0, r.stderr);
});

/** Copy the good wallet under a new name, apply `damage` to its coldkey, return the name. */
function damaged(name: string, damage: (b: Buffer) => Buffer): string {
  cpSync(join(wallets, 'good'), join(wallets, name), { recursive: true });
  const p = join(wallets, name, 'coldkey');
  writeFileSync(p, damage(readFileSync(p)));
  return name;
}

const signCold = (name: string, extra: string[] = []) =>
  loco(['--wallet.name', name, 'wallet', 'sign', '--use-coldkey', '--message', 'm', '--json', ...extra], { home, env: { LOCO_PASSWORD: PASSWORD } });

test('wrong password → exit 3 "wrong password"', () => {
  const r = loco(['--wallet.name', 'good', 'wallet', 'sign', '--use-coldkey', '--message', 'm', '--json'], { home, env: { LOCO_PASSWORD: 'Not-The-Password-1' } });
  assert.equal(r.code, ExitCode.wrongPassword);
  assert.equal(r.json.error.kind, 'wrongPassword');
  assert.match(r.json.error.message, /wrong password/);
});

test('truncated coldkey → exit 12 "truncated"', () => {
  const r = signCold(damaged('trunc', (b) => b.subarray(0, 30)));
  assert.equal(r.code, ExitCode.corrupt);
  assert.match(r.json.error.message, /truncated/);
});

test('one flipped byte in the ciphertext → exit 12 "damaged", told apart from a wrong password', () => {
  const r = signCold(damaged('flip', (b) => { const c = Buffer.from(b); c[c.length - 40] ^= 0x01; return c; }));
  assert.equal(r.code, ExitCode.corrupt);
  assert.match(r.json.error.message, /damaged.*password is right/);
});

test('a cut-off ciphertext → exit 12 "damaged"', () => {
  const r = signCold(damaged('cut', (b) => b.subarray(0, b.length - 25)));
  assert.equal(r.code, ExitCode.corrupt);
  assert.match(r.json.error.message, /damaged/);
});

test('legacy Ansible Vault and Fernet keyfiles → exit 7 with a re-encrypt hint', () => {
  for (const [name, body] of [['ansible', '$ANSIBLE_VAULT;1.1;AES256\n6162636465'], ['fernet', 'gAAAAABfakefernettoken']]) {
    const r = signCold(damaged(name, () => Buffer.from(body)));
    assert.equal(r.code, ExitCode.unsupported, r.stdout);
    assert.match(r.json.error.message, /legacy .* not supported.*regen-coldkey/);
  }
});

test('missing wallet → exit 4; missing hotkey → exit 4', () => {
  const r = signCold('nosuchwallet');
  assert.equal(r.code, ExitCode.notFound);
  assert.match(r.json.error.message, /wallet "nosuchwallet" not found/);
  const h = loco(['--wallet.name', 'good', '--hotkey', 'nohk', 'wallet', 'sign', '--message', 'm', '--json'], { home });
  assert.equal(h.code, ExitCode.notFound);
  assert.match(h.json.error.message, /hotkey "nohk" of wallet "good" not found/);
});

test('bad mnemonic: unknown word, bad checksum, wrong length → exit 6 each with its reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['old leopard transfer rib spatial phone calm indicate online fire caution reviewx', /word 12 \("reviewx"\) is not in the BIP39/],
    ['leopard old transfer rib spatial phone calm indicate online fire caution review', /checksum/],
    ['old leopard transfer', /3 words/],
  ];
  for (const [mn, re] of cases) {
    const r = loco(['--wallet.name', 'newone', 'wallet', 'regen-coldkey', '--mnemonic', mn, '--password-file', pwFile, '--json'], { home });
    assert.equal(r.code, ExitCode.invalidInput, r.stdout);
    assert.match(r.json.error.message, re);
  }
});

test('nothing is overwritten: existing keys stay byte-identical after refused or failed operations', () => {
  const before = snapshot(join(wallets, 'good'));
  const attempts = [
    ['--wallet.name', 'good', 'wallet', 'regen-coldkey', '--mnemonic', 'bottom drive obey lake curtain smoke basket hold race lonely fit walk', '--password-file', pwFile, '--json'],
    ['--wallet.name', 'good', 'wallet', 'new-coldkey', '--password-file', pwFile, '--mnemonic-file', join(home, 'm1'), '--json'],
    ['--wallet.name', 'good', 'wallet', 'regen-coldkeypub', '--ss58', '5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV', '--json'],
  ];
  for (const a of attempts) {
    const r = loco(a, { home });
    assert.equal(r.code, ExitCode.alreadyExists, r.stdout);
    assert.match(r.json.error.message, /already exists; pass --overwrite/);
  }
  assert.deepEqual(snapshot(join(wallets, 'good')), before);
});

test('no terminal and no --mnemonic-file: creation refuses before writing anything', () => {
  const r = loco(['--wallet.name', 'fresh', 'wallet', 'create', '--password-file', pwFile, '--json'], { home });
  assert.equal(r.code, ExitCode.usage);
  assert.match(r.json.error.message, /--mnemonic-file/);
  assert.equal(readdirSync(wallets).includes('fresh'), false);
});

test('no password source without a terminal: a clear error, no prompt, no hang', () => {
  const r = loco(['--wallet.name', 'good', 'wallet', 'sign', '--use-coldkey', '--message', 'm', '--json'], { home });
  assert.equal(r.code, ExitCode.cancelled);
  assert.match(r.json.error.message, /--password-file|LOCO_PASSWORD/);
});

test('a weak or short new password is refused by the official strength rule; nothing is written', () => {
  const weak = join(home, 'weak');
  for (const [pw, re] of [['abc123', /too weak/], ['Ab1!', /too short/]] as const) {
    writeFileSync(weak, pw);
    const r = loco(['--wallet.name', 'weakw', 'wallet', 'regen-coldkey', '--mnemonic', 'bottom drive obey lake curtain smoke basket hold race lonely fit walk', '--password-file', weak, '--json'], { home });
    assert.equal(r.code, ExitCode.invalidInput);
    assert.match(r.json.error.message, re);
  }
  assert.equal(readdirSync(wallets).includes('weakw'), false);
});
