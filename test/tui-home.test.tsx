// The Home screen: wallet / hotkey / network / subnet / role choices, the command enter runs, the
// checks before launching, and the Wallet screen opened from it. Plus: without a terminal, `loco`
// and `loco wallet` print their help and exit 0 at once (no prompt, no screen).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { HomeScreen } from '../src/tui/HomeScreen.js';
import { launchArgs, launchProblem, type HomeChoice } from '../src/tui/home.js';
import { keypairFromSeed } from '../src/wallet/keypair.js';
import { writeColdkey, writeHotkey } from '../src/wallet/wallet.js';
import { defaultManifest, serializeManifest } from '../src/protocol/manifest.js';
import { loco, modulesLoadedBy, tempDir } from './helpers.js';

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));
async function until(frame: () => string | undefined, re: RegExp, ms = 3000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const f = frame() ?? '';
    if (re.test(f) || Date.now() > end) return f;
    await tick(20);
  }
}
const seed = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());

async function fixture() {
  const dir = tempDir('loco-tui-home-');
  const path = join(dir, 'wallets');
  for (const [name, hks] of [
    ['alice', ['h1', 'h2']],
    ['bob', ['m']],
  ] as const) {
    await writeColdkey({ path, name }, await keypairFromSeed(seed(`${name}-cold`)), {});
    for (const h of hks) await writeHotkey({ path, name }, h, await keypairFromSeed(seed(`${name}-${h}`)), {});
  }
  const m = defaultManifest({ name: 'home-test', netuid: 7, dataset: { name: 'synthetic', shards: ['x.bin'], sha256: '0'.repeat(64) } });
  const manifest = join(dir, 'run.json');
  writeFileSync(manifest, serializeManifest(m));
  return { dir, path, manifest };
}

test('Home: choices with ←/→, paths typed for mine, checks before launch, enter launches with the chosen flags', async () => {
  const { dir, path, manifest } = await fixture();
  const launched: HomeChoice[] = [];
  let quit = 0;
  const r = render(<HomeScreen walletPath={path} defaults={{ wallet: 'bob', network: 'test' }} onLaunch={(c) => launched.push(c)} onQuit={() => quit++} balances={false} color={false} />);
  const key = async (s: string) => {
    r.stdin.write(s);
    await tick();
  };
  const DOWN = '\u001b[B';
  const RIGHT = '\u001b[C';
  const LEFT = '\u001b[D';
  let f = await until(r.lastFrame, /Home: choose/);
  assert.match(f, /› wallet +‹ bob › +1 hotkey/);
  assert.match(f, /hotkey +‹ m ›/);
  assert.match(f, /network +‹ test ›/);
  assert.match(f, /role +‹ mine ›/);
  await key(RIGHT); // wallet → alice (wraps), its first hotkey
  f = await until(r.lastFrame, /‹ alice ›/);
  assert.match(f, /wallet +‹ alice › +2 hotkeys/);
  assert.match(f, /hotkey +‹ h1 ›/);
  await key(DOWN);
  await key(RIGHT);
  assert.match(await until(r.lastFrame, /‹ h2 ›/), /hotkey +‹ h2 ›/);
  await key(DOWN);
  await key(LEFT); // test → finney
  assert.match(await until(r.lastFrame, /‹ finney ›/), /network +‹ finney ›/);
  await key(DOWN);
  await key('7x'); // the subnet takes digits only
  assert.match(await until(r.lastFrame, /subnet +7/), /subnet +7▏/);
  await key('\r');
  assert.match(await until(r.lastFrame, /manifest:/), /manifest: the run manifest file/, 'mine needs a manifest');
  await key(DOWN); // role
  await key(DOWN); // manifest
  await key(join(dir, 'missing.json'));
  await key(DOWN);
  await key('/data/shards');
  await key(DOWN);
  await key('file:///tmp/store');
  await key('\r');
  assert.match(await until(r.lastFrame, /missing\.json/), /run manifest .*missing\.json/);
  const UP = '\u001b[A';
  await key(UP);
  await key(UP); // back on the manifest row
  for (let i = 0; i < 'missing.json'.length; i++) await key('\x7f');
  await key('run.json');
  await key('\r');
  f = await until(r.lastFrame, /enter: loco/);
  assert.equal(launched.length, 1, f);
  const c = launched[0];
  assert.deepEqual([c.wallet, c.hotkey, c.network, c.netuid, c.role, c.manifest, c.store], ['alice', 'h2', 'finney', '7', 'mine', manifest, 'file:///tmp/store']);
  assert.deepEqual(launchArgs(c), ['--network', 'finney', '--wallet-path', path, '--wallet-name', 'alice', '--hotkey', 'h2', 'mine', '--manifest', manifest, '--data', '/data/shards', '--store', 'file:///tmp/store']);
  assert.match(f.replace(/\s*│\n│\s*/g, ' '), /enter: loco --network finney --wallet-path \S+ --wallet-name alice --hotkey h2 mine --manifest/);
  assert.equal(launchProblem({ ...c, netuid: '3' }), 'the manifest is for subnet 7, not 3');
  assert.deepEqual(launchArgs({ ...c, role: 'demo' }), ['demo']);
  assert.equal(quit, 0);
  await key('\u001b');
  await until(() => String(quit), /1/);
  assert.equal(quit, 1, 'esc quits');
  r.unmount();
});

test('Home: w opens the Wallet screen with the wallets listed, esc comes back; q quits', async () => {
  const { path } = await fixture();
  let quit = 0;
  const r = render(<HomeScreen walletPath={path} onLaunch={() => {}} onQuit={() => quit++} balances={false} color={false} />);
  await until(r.lastFrame, /Home: choose/);
  r.stdin.write('w');
  let f = await until(r.lastFrame, /Wallets in/);
  assert.match(f, /loco wallet/);
  assert.match(f, /› alice[\s\S]*hotkey h1[\s\S]*hotkey h2[\s\S]* bob[\s\S]*hotkey m/);
  r.stdin.write('\u001b');
  f = await until(r.lastFrame, /Home: choose/);
  assert.match(f, /wallet +‹ alice ›/);
  r.stdin.write('?');
  assert.match(await until(r.lastFrame, /Keys/), /enter +launch the role/);
  r.stdin.write('q');
  await until(() => String(quit), /1/);
  assert.equal(quit, 1);
  r.unmount();
});

test('no terminal: `loco` and `loco wallet` print their help and exit 0 without prompting', () => {
  const home = tempDir('loco-tui-home-cli-');
  const t0 = Date.now();
  for (const args of [[], ['wallet'], ['--network', 'devnet'], ['wallet', '--yes']]) {
    const r = loco(args, { home });
    assert.equal(r.code, 0, `loco ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr + r.stdout, /Usage: loco/);
    assert.doesNotMatch(r.stderr + r.stdout, /Home: choose|Password to|New password/);
  }
  assert.ok(Date.now() - t0 < 30_000, 'no waiting');
  for (const args of [[], ['wallet'], ['--help']]) {
    const loaded = modulesLoadedBy(args);
    assert.match(loaded, /cli\/main\.js/);
    assert.doesNotMatch(loaded, /node_modules\/(ink|react)\/|@polkadot|tui\//, `loco ${args.join(' ')} without a terminal loaded a screen or the chain stack`);
  }
  const bad = loco(['wallet', 'frobnicate'], { home });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown command 'wallet frobnicate'/);
});
