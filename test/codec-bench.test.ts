// `loco bench codec` end to end on the tiny config (TypeScript half only, to stay quick).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loco, tempDir } from './helpers.js';

test('loco bench codec --config tiny --no-native --json: ratio, times and the bandwidth floor', () => {
  const r = loco(['bench', 'codec', '--config', 'tiny', '--peers', '3', '--no-native', '--json'], { home: tempDir() });
  assert.equal(r.code, 0, r.stderr);
  const d = r.json.data;
  assert.equal(d.config, 'tiny');
  assert.equal(d.peers, 3);
  assert.equal(d.values, 3_320_128);
  assert.ok(d.wire.ratio > 200, `ratio ${d.wire.ratio}`);
  assert.ok(d.wire.plainRatio > 140 && d.wire.plainRatio < d.wire.ratio);
  assert.ok(d.wire.bitsPerIndex > 7 && d.wire.bitsPerIndex < 8, `bits/index ${d.wire.bitsPerIndex}`);
  assert.ok(d.bandwidth.tsCopyGBs > 0 && d.floor.encodeS > 0 && d.floor.aggregateS > 0);
  for (const k of ['encodeS', 'decodeS', 'verifyS', 'aggregateS']) assert.ok(d.ts[k] > 0, k);
  assert.equal(d.native, null);
  assert.equal(d.nativeSkipped, '--no-native');
  const bad = loco(['bench', 'codec', '--config', 'huge', '--json'], { home: tempDir() });
  assert.equal(bad.code, 2);
});
