// NO_COLOR on the Home and Wallet screens: with colour off no escape codes at all (with colour on
// there are some), and the layout follows a terminal resize. FORCE_COLOR is set before Ink (chalk)
// loads so that the colour-on case really emits escapes.
process.env.FORCE_COLOR = '1';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';

const { render } = await import('ink-testing-library');
const { HomeScreen } = await import('../src/tui/HomeScreen.js');
const { WalletScreen } = await import('../src/tui/WalletScreen.js');
const { keypairFromSeed } = await import('../src/wallet/keypair.js');
const { writeColdkey } = await import('../src/wallet/wallet.js');
const { tempDir } = await import('./helpers.js');
const { colorFromEnv } = await import('../src/tui/theme.js');

// eslint-disable-next-line no-control-regex
const ESC = /\u001b\[/;
const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

test('Home and Wallet: no escape codes with colour off (NO_COLOR), some with it on; resize re-lays the screen', async () => {
  const path = join(tempDir('loco-tui-color-'), 'wallets');
  await writeColdkey({ path, name: 'w1' }, await keypairFromSeed(new Uint8Array(32).fill(3)), {});
  assert.equal(colorFromEnv({ NO_COLOR: '1' }), false);
  assert.equal(colorFromEnv({}), true);
  for (const color of [true, false]) {
    const h = render(<HomeScreen walletPath={path} onLaunch={() => {}} onQuit={() => {}} balances={false} color={color} />);
    await tick();
    const w = render(<WalletScreen walletPath={path} network="devnet" balances={false} color={color} />);
    await tick();
    for (const f of [h.lastFrame() ?? '', w.lastFrame() ?? '']) {
      assert.match(f, /w1/);
      if (color) assert.match(f, ESC);
      else assert.doesNotMatch(f, ESC);
    }
    h.unmount();
    w.unmount();
  }
  // resize: the Home box follows the terminal's columns
  const h = render(<HomeScreen walletPath={path} onLaunch={() => {}} onQuit={() => {}} balances={false} color={false} />);
  await tick();
  const width = () => Math.max(...(h.lastFrame() ?? '').split('\n').map((l) => [...l].length));
  const before = width();
  Object.defineProperty(h.stdout, 'columns', { get: () => 70, configurable: true });
  h.stdout.emit('resize');
  const end = Date.now() + 3000;
  while (width() > 70 && Date.now() < end) await tick(20);
  assert.ok(width() <= 70 && width() < before, `width ${before} → ${width()}`);
  h.unmount();
});
