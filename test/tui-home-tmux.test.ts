// A real terminal: `loco` with no arguments in tmux (CI=false so Ink draws live) shows Home; the
// role row goes to "wallet", enter opens the Wallet screen listing the test wallet (balances
// "offline": no chain runs); esc comes back; role "mine" with its paths launches `loco mine …` in
// the same terminal, whose failure (no such data folder) becomes loco's exit status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCO, ROOT, tempDir } from './helpers.js';
import { defaultManifest, serializeManifest } from '../src/protocol/manifest.js';
import { keypairFromSeed } from '../src/wallet/keypair.js';
import { writeColdkey, writeHotkey } from '../src/wallet/wallet.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('loco on a terminal: Home → Wallet lists the test wallet → back → launch mine', { skip: !hasTmux && 'tmux not installed', timeout: 120_000 }, async () => {
  const home = tempDir('loco-home-tmux-');
  // the default wallets folder under a temporary HOME: the real ~/.bittensor is never touched
  const wallets = join(home, '.bittensor', 'wallets');
  const kp = await keypairFromSeed(new Uint8Array(createHash('sha256').update('loco-home-tmux').digest()));
  await writeColdkey({ path: wallets, name: 'fixturewallet' }, kp, {});
  await writeHotkey({ path: wallets, name: 'fixturewallet' }, 'hk', kp, {});
  const manifest = join(home, 'run.json');
  writeFileSync(manifest, serializeManifest(defaultManifest({ name: 'home-tmux', dataset: { name: 'synthetic', shards: ['x.bin'], sha256: '0'.repeat(64) } })));

  const sock = `loco-home-${process.pid}`;
  const tmux = (...args: string[]) => spawnSync('tmux', ['-L', sock, ...args], { encoding: 'utf8' });
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = `cd ${q(ROOT)} && env CI=false HOME=${q(home)} LOCO_CONFIG_DIR=${q(join(home, '.config-loco'))} NO_COLOR=1 ${q(process.execPath)} ${q(LOCO)} --network devnet; echo LOCO_EXIT=$?; sleep 60`;
  assert.equal(tmux('new-session', '-d', '-s', 'home', '-x', '120', '-y', '40', cmd).status, 0);
  const screen = () => tmux('capture-pane', '-p', '-t', 'home').stdout ?? '';
  const keys = (...k: string[]) => tmux('send-keys', '-t', 'home', ...k);
  const waitFor = async (re: RegExp, ms: number) => {
    const end = Date.now() + ms;
    let s = screen();
    while (!re.test(s) && Date.now() < end) {
      await sleep(250);
      s = screen();
    }
    return s;
  };
  try {
    let s = await waitFor(/Home: choose/, 30_000);
    assert.match(s, /wallet +‹ fixturewallet ›/, s);
    assert.match(s, /network +‹ devnet ›/, s);
    keys('Down', 'Down', 'Down', 'Down'); // to the role row
    await sleep(300);
    keys('Left'); // mine → wallet (wraps back)
    s = await waitFor(/role +‹ wallet ›/, 10_000);
    assert.match(s, /enter: open the Wallet screen/, s);
    keys('Enter');
    s = await waitFor(/Wallets in/, 10_000);
    assert.match(s, new RegExp(`Wallets in ${wallets.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), s);
    assert.match(s, /› fixturewallet/, s);
    assert.match(s, new RegExp(`coldkey +${kp.ss58Address}`), s);
    assert.match(s, new RegExp(`hotkey hk +${kp.ss58Address}`), s);
    s = await waitFor(/balances: offline/, 30_000);
    assert.match(s, /balances: offline/, 'no chain runs: the balances say so');
    keys('Escape');
    s = await waitFor(/Home: choose/, 10_000);
    keys('Right'); // wallet → mine
    s = await waitFor(/role +‹ mine ›/, 10_000);
    keys('Down');
    await sleep(200);
    tmux('send-keys', '-t', 'home', '-l', manifest);
    keys('Down');
    await sleep(200);
    tmux('send-keys', '-t', 'home', '-l', join(home, 'no-such-data'));
    keys('Down');
    await sleep(200);
    tmux('send-keys', '-t', 'home', '-l', `file://${join(home, 'store')}`);
    await sleep(300);
    keys('Enter');
    s = await waitFor(/LOCO_EXIT=\d+/, 60_000);
    const flat = s.replace(/\n/g, ''); // the command line wraps at the terminal's width
    assert.match(flat, /\$ loco --network devnet --wallet-path \S+ --wallet-name fixturewallet --hotkey hk mine --manifest/, s);
    assert.match(s, /no-such-data/, s);
    assert.match(s, /LOCO_EXIT=4/, `the launched command's status (notFound) comes back:\n${s}`);
  } finally {
    tmux('kill-server');
  }
});
