// The interactive flow as a person sees it: the real binary in a tmux terminal, typed into with
// send-keys, read back with capture-pane. Passwords are masked; the mnemonic is shown once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCO, tempDir } from './helpers.js';
import { keypairFromMnemonic } from '../src/wallet/keypair.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const skip = hasTmux || process.env.CI === 'true' ? false : 'tmux not installed';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function waitFor(session: string, re: RegExp, timeoutMs = 30_000): Promise<string> {
  const t0 = Date.now();
  let screen = '';
  while (Date.now() - t0 < timeoutMs) {
    screen = tmux('capture-pane', '-p', '-J', '-t', session, '-S', '-200');
    if (re.test(screen)) return screen;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${re}; screen:\n${screen}`);
}

test('interactive create: masked password with confirmation, mnemonic shown on the terminal', { skip }, async () => {
  const home = tempDir();
  const session = `loco-tty-${process.pid}`;
  const cmd = `env CI=false NO_COLOR=1 HOME=${home} LOCO_CONFIG_DIR=${join(home, 'cfg')} ${process.execPath} ${LOCO} --wallet.name tty wallet create; echo EXIT=$?; sleep 30`;
  tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '50', cmd);
  try {
    await waitFor(session, /New password for .*coldkey: $/m);
    tmux('send-keys', '-t', session, '-l', 'weak');
    tmux('send-keys', '-t', session, 'Enter');
    await waitFor(session, /too short/); // the strength rule is applied to typed passwords too
    await waitFor(session, /New password for .*coldkey: $/m);
    tmux('send-keys', '-t', session, '-l', 'Tty-Secret-Pass-8');
    let screen = await waitFor(session, /\*{17}/);
    assert.equal(screen.includes('Tty-Secret-Pass-8'), false, 'typed password must not be echoed');
    tmux('send-keys', '-t', session, 'Enter');
    await waitFor(session, /Retype the password: $/m);
    tmux('send-keys', '-t', session, '-l', 'Tty-Secret-Pass-8');
    tmux('send-keys', '-t', session, 'Enter');
    screen = await waitFor(session, /EXIT=\d+/, 60_000);
    assert.match(screen, /EXIT=0/);
    assert.match(screen, /The mnemonic of the new coldkey/);
    assert.match(screen, /The mnemonic of the new hotkey "default"/);
    assert.equal(screen.includes('Tty-Secret-Pass-8'), false);
    const coldkey = join(home, '.bittensor', 'wallets', 'tty', 'coldkey');
    assert.ok(existsSync(coldkey));
    assert.equal(readFileSync(coldkey).subarray(0, 5).toString(), '$NACL');
    // the words on screen are the coldkey's real mnemonic: 12 BIP39 words on their own line
    const lines = screen.split('\n').map((l) => l.trim());
    const i = lines.findIndex((l) => l.startsWith('The mnemonic of the new coldkey'));
    const words = lines.slice(i + 1).find((l) => l.length > 0)!;
    assert.equal(words.split(' ').length, 12);
    const pub = JSON.parse(readFileSync(join(home, '.bittensor', 'wallets', 'tty', 'coldkeypub.txt'), 'utf8'));
    assert.equal((await keypairFromMnemonic(words)).ss58Address, pub.ss58Address);
  } finally {
    spawnSync('tmux', ['kill-session', '-t', session]);
  }
});
