// The Wallet screen: wallets and hotkeys with balances (from a fetcher; "offline" when it fails, "…"
// while it runs, never blocking the list), the create flow (masked password, mnemonics shown once,
// files written only after), and importing a coldkey from a masked mnemonic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { WalletScreen } from '../src/tui/WalletScreen.js';
import { keypairFromMnemonic, keypairFromSeed } from '../src/wallet/keypair.js';
import { coldkeyPath, listWallets, unlockColdkey, writeColdkey, writeHotkey } from '../src/wallet/wallet.js';
import { tempDir } from './helpers.js';

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));
async function until(frame: () => string | undefined, re: RegExp, ms = 5000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const f = frame() ?? '';
    if (re.test(f) || Date.now() > end) return f;
    await tick();
  }
}
const seed = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());

async function fixture() {
  const path = join(tempDir('loco-tui-wallet-'), 'wallets');
  const cold = await keypairFromSeed(seed('tui-wallet-cold'));
  const hot = await keypairFromSeed(seed('tui-wallet-hot'));
  await writeColdkey({ path, name: 'alice' }, cold, {});
  await writeHotkey({ path, name: 'alice' }, 'miner1', hot, {});
  return { path, cold, hot };
}

test('lists wallets and hotkeys with balances; offline when the chain fails; the list draws before balances arrive', async () => {
  const { path, cold, hot } = await fixture();
  const ok = async (addrs: string[]) => new Map(addrs.map((a) => [a, a === cold.ss58Address ? 1_500_000_000n : 0n]));
  let r = render(<WalletScreen walletPath={path} network="devnet" balances={ok} color={false} />);
  let f = await until(r.lastFrame, /τ1\.5000/);
  assert.match(f, /loco wallet +network devnet · balances from the chain/);
  assert.match(f, new RegExp(`› alice[\\s\\S]*coldkey +${cold.ss58Address} +τ1\\.5000 +unencrypted`));
  assert.match(f, new RegExp(`hotkey miner1 +${hot.ss58Address} +τ0\\.0000`));
  r.unmount();

  r = render(<WalletScreen walletPath={path} network="devnet" balances={async () => Promise.reject(new Error('cannot reach devnet at ws://127.0.0.1:9944'))} color={false} />);
  f = await until(r.lastFrame, /balances: offline/);
  assert.match(f, new RegExp(`${cold.ss58Address} +offline`));
  assert.match(f, /balances: offline \(cannot reach devnet/);
  r.unmount();

  r = render(<WalletScreen walletPath={path} network="finney" balances={() => new Promise(() => {})} color={false} />);
  f = await until(r.lastFrame, /alice/);
  assert.match(f, new RegExp(`${cold.ss58Address} +…`), 'drawn while the balances are still loading');
  r.unmount();

  r = render(<WalletScreen walletPath={join(path, 'nothing-here')} network="devnet" balances={false} color={false} />);
  f = await until(r.lastFrame, /No wallets/);
  assert.match(f, /No wallets yet: press c to create one/);
  r.unmount();
});

test('create: masked password (a weak one refused), mnemonics shown once, files written after enter', async () => {
  const { path } = await fixture();
  const r = render(<WalletScreen walletPath={path} network="devnet" balances={false} color={false} />);
  await until(r.lastFrame, /alice/);
  const type = async (s: string) => {
    r.stdin.write(s);
    await tick(40);
  };
  await type('c');
  assert.match(await until(r.lastFrame, /Create a wallet/), /› wallet name/);
  await type('bob');
  await type('\r');
  await type('\r'); // hotkey "default"
  await type('abc');
  await type('\r');
  let f = await until(r.lastFrame, /too short/);
  assert.match(f, /password is too short/);
  for (let i = 0; i < 3; i++) await type('\x7f'); // one key press each, as a terminal sends them
  const password = 'Tui-Wallet-Pass-47!';
  await type(password);
  const dots = new RegExp(`coldkey password +${'•'.repeat(password.length)}▏`);
  assert.match(await until(r.lastFrame, dots), dots);
  await type('\r');
  await type(password);
  await type('\r');
  f = await until(r.lastFrame, /write these words down/, 15_000);
  const flat = f.replace(/[│╭╮╰╯─]/g, ' ').replace(/\s+/g, ' ');
  const words = [...flat.matchAll(/(?:coldkey|hotkey default) ((?:[a-z]+ ){11}[a-z]+)/g)].map((m) => m[1]);
  assert.equal(words.length, 2, f);
  assert.deepEqual(listWallets(path).map((w) => w.name), ['alice'], 'nothing written before the person confirms');
  await type('\r');
  f = await until(r.lastFrame, /created wallet bob/, 20_000);
  assert.doesNotMatch(f, new RegExp(words[0]), 'the mnemonic is gone from the screen');
  const bob = listWallets(path).find((w) => w.name === 'bob');
  assert.ok(bob && bob.coldkey.encrypted === true && bob.hotkeys[0].name === 'default' && bob.hotkeys[0].encrypted === false);
  assert.match(readFileSync(coldkeyPath({ path, name: 'bob' }), 'latin1'), /^\$NACL/);
  const cold = await unlockColdkey({ path, name: 'bob' }, async () => password);
  assert.equal(cold.ss58Address, (await keypairFromMnemonic(words[0])).ss58Address, 'the mnemonic shown is the coldkey written');
  assert.equal(bob.coldkey.ss58Address, cold.ss58Address);
  for (const fr of r.frames) assert.ok(!fr.includes(password), 'the password is never drawn');
  r.unmount();
});

test('import a coldkey: the mnemonic is typed into a masked field and never drawn', async () => {
  const { path } = await fixture();
  const mnemonic = 'legal winner thank year wave sausage worth useful legal winner thank yellow';
  const want = (await keypairFromMnemonic(mnemonic)).ss58Address;
  const r = render(<WalletScreen walletPath={path} network="devnet" balances={false} color={false} />);
  await until(r.lastFrame, /alice/);
  const type = async (s: string) => {
    r.stdin.write(s);
    await tick(40);
  };
  await type('i');
  await until(r.lastFrame, /Import a coldkey/);
  for (let i = 0; i < 5; i++) await type('\x7f'); // the field starts with the selected wallet's name
  await type('carol\r');
  await type('legal winner\r');
  assert.match(await until(r.lastFrame, /12, 15, 18/), /a mnemonic has 12, 15, 18, 21 or 24 words/);
  await type(mnemonic.slice('legal winner'.length));
  await type('\r');
  await type('Carol-Import-93?\r');
  await type('Carol-Import-93?\r');
  const f = await until(r.lastFrame, /imported coldkey/, 20_000);
  assert.match(f, new RegExp(`imported coldkey ${want} into wallet carol`));
  assert.equal(listWallets(path).find((w) => w.name === 'carol')?.coldkey.ss58Address, want);
  for (const fr of r.frames) {
    assert.ok(!fr.includes('winner'), 'no mnemonic word on any frame');
    assert.ok(!fr.includes('Carol-Import'), 'no password on any frame');
  }
  r.unmount();
});
