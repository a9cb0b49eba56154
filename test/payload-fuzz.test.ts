// Hostile input: ≥ 10,000 mutated, truncated, spliced and random payloads. The decoder must answer
// each with a valid payload or a typed PayloadRejection: no other exception, no hang, and no
// modified payload may pass the signature check. `npm run fuzz` runs the same for longer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz } from '../src/codec/fuzz.js';

test('fuzz: 12,000 hostile payloads → typed rejections only', async () => {
  const t0 = performance.now();
  const s = await runFuzz(12_000, 20261126);
  const secs = (performance.now() - t0) / 1000;
  assert.deepEqual(s.failures, [], JSON.stringify(s.failures.slice(0, 3), null, 1));
  assert.equal(s.cases, 12_000);
  // many distinct reasons are reached, including the deep ones in the sections
  const reasons = Object.keys(s.rejected);
  for (const r of ['truncated', 'bad_magic', 'length_mismatch', 'bad_header', 'index_out_of_range', 'manifest_mismatch']) {
    assert.ok(reasons.includes(r), `reason ${r} never reached: ${JSON.stringify(s.rejected)}`);
  }
  assert.ok(s.maxMs < 1000, `slowest case took ${s.maxMs} ms`);
  console.log(`# fuzz: ${s.cases} cases in ${secs.toFixed(1)} s, accepted ${s.accepted}, slowest ${s.maxMs.toFixed(2)} ms, reasons ${JSON.stringify(s.rejected)}`);
});
