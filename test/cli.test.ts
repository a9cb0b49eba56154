import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loco, tempDir } from './helpers.js';

test('--help lists the command groups and exits 0', () => {
  const r = loco(['--help'], { home: tempDir() });
  assert.equal(r.code, 0);
  assert.match(r.stdout, /wallet/);
  assert.match(r.stdout, /config/);
});

test('unknown command is a usage error (exit 2); with --json it is one JSON envelope', () => {
  const home = tempDir();
  const r = loco(['frobnicate'], { home });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command/);
  const j = loco(['frobnicate', '--json'], { home });
  assert.equal(j.code, 2);
  assert.equal(j.json.success, false);
  assert.equal(j.json.error.kind, 'usage');
  assert.equal(j.stdout.trim().split('\n').length, 1);
});

test('config set/get/unset round-trips through conf, with btcli-style dotted aliases accepted', () => {
  const home = tempDir();
  assert.equal(loco(['config', 'set', 'network', 'test'], { home }).code, 0);
  assert.equal(loco(['config', 'set', 'wallet_name', 'alice'], { home }).code, 0);
  const g = loco(['config', 'get', '--json'], { home });
  assert.equal(g.code, 0);
  assert.deepEqual(g.json.data.values, { network: 'test', wallet_name: 'alice' });
  const one = loco(['config', 'get', 'network', '--json'], { home });
  assert.equal(one.json.data.value, 'test');
  assert.equal(loco(['config', 'unset', 'network'], { home }).code, 0);
  assert.equal(loco(['config', 'get', 'network', '--json'], { home }).json.data.value, null);
  const bad = loco(['config', 'set', 'colour', 'red', '--json'], { home });
  assert.equal(bad.code, 2);
  assert.match(bad.json.error.message, /unknown config key/);
});

test('the fast config reader looks exactly where conf writes', async () => {
  const { configPath, storePath } = await import('../src/cli/config.js');
  const saved = { ...process.env };
  try {
    delete process.env.LOCO_CONFIG_DIR;
    process.env.XDG_CONFIG_HOME = tempDir();
    assert.equal(configPath(), await storePath());
    delete process.env.XDG_CONFIG_HOME;
    assert.equal(configPath(), await storePath());
    process.env.LOCO_CONFIG_DIR = tempDir();
    assert.equal(configPath(), await storePath());
  } finally {
    process.env = saved;
  }
});
