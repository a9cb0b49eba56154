import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers.js';
import { LocoError } from '../src/errors.js';
import { getConfig, paramCount, paramSpecs, flopsPerToken, CONFIGS } from '../src/trainer/configs.js';
import { decodeCheckpoint, encodeCheckpoint, randomCheckpoint, readCheckpoint, readCheckpointHeader, writeCheckpoint, type Checkpoint } from '../src/trainer/checkpoint.js';

const tiny = getConfig('tiny');

test('named configs match docs/model.md and the counts add up', () => {
  assert.deepEqual(
    Object.values(CONFIGS).map((c) => [c.name, c.d_model, c.n_layers, c.n_heads, c.d_ff, c.seq_len, c.padded_vocab_size]),
    [
      ['tiny', 64, 2, 4, 176, 64, 50304],
      ['small', 256, 4, 8, 688, 128, 50304],
      ['gpt2-124m', 768, 12, 12, 2048, 1024, 50304],
      ['1b', 2048, 16, 16, 5504, 2048, 50304],
    ],
  );
  for (const c of Object.values(CONFIGS)) {
    assert.equal(paramSpecs(c).reduce((a, s) => a + s.numel, 0), paramCount(c));
    assert.ok(flopsPerToken(c, { training: true }) === 3 * flopsPerToken(c));
  }
  assert.equal(paramSpecs(tiny).length, 2 + 9 * 2);
  assert.deepEqual(paramSpecs(tiny)[1], { name: 'layers.0.attn_norm', shape: [64], numel: 64, matrix: false });
});

function withOpt(ck: Checkpoint): Checkpoint {
  const mk = (k: number) => ck.params.map((p) => p.map((v, i) => v * k + i * 1e-7));
  return { ...ck, step: 120, window: 7, optimizer: { type: 'adamw', step: 120 }, adam: { m: mk(0.5), v: mk(0.25) } };
}

test('checkpoint round trip is bit-exact (with and without optimiser state)', () => {
  const dir = tempDir();
  for (const ck of [randomCheckpoint(tiny, 1), withOpt(randomCheckpoint(tiny, 2))]) {
    const p = join(dir, 'a.ckpt');
    writeCheckpoint(p, ck);
    const bytes = readFileSync(p);
    assert.deepEqual(new Uint8Array(bytes), encodeCheckpoint(ck));
    assert.equal(bytes.subarray(0, 8).toString('latin1'), 'LOCOCKPT');
    const headerLen = bytes.readUInt32LE(12);
    const start = Math.ceil((16 + headerLen) / 64) * 64;
    const nT = ck.optimizer ? 3 : 1;
    assert.equal(bytes.length, start + nT * 4 * paramCount(tiny));
    const back = readCheckpoint(p);
    assert.equal(back.step, ck.step);
    assert.equal(back.window, ck.window);
    assert.deepEqual(back.optimizer, ck.optimizer);
    assert.deepEqual(back.config, ck.config);
    back.params.forEach((t, i) => assert.deepEqual(Buffer.from(t.buffer), Buffer.from(ck.params[i]!.buffer)));
    if (ck.adam) {
      back.adam!.m.forEach((t, i) => assert.deepEqual(t, ck.adam!.m[i]));
      back.adam!.v.forEach((t, i) => assert.deepEqual(t, ck.adam!.v[i]));
      assert.equal(readCheckpoint(p, { withOptimizer: false }).adam, undefined);
    }
    assert.equal(readCheckpointHeader(p).tensors[0]!.name, 'embed');
  }
});

test('each kind of corruption has its own error', () => {
  const good = Buffer.from(encodeCheckpoint(randomCheckpoint(tiny, 3)));
  const headerLen = good.readUInt32LE(12);
  const header = JSON.parse(good.subarray(16, 16 + headerLen).toString('utf8'));
  const withHeader = (h: unknown) => {
    const json = Buffer.from(JSON.stringify(h));
    const start = Math.ceil((16 + json.length) / 64) * 64;
    const body = good.subarray(Math.ceil((16 + headerLen) / 64) * 64);
    const b = Buffer.alloc(start + body.length);
    b.write('LOCOCKPT', 0, 'latin1');
    b.writeUInt32LE(1, 8);
    b.writeUInt32LE(json.length, 12);
    json.copy(b, 16);
    body.copy(b, start);
    return b;
  };
  const cases: [string, Buffer, string, RegExp][] = [
    ['bad magic', Buffer.concat([Buffer.from('LOCOCKPX'), good.subarray(8)]), 'invalidInput', /bad magic/],
    ['version', (() => { const b = Buffer.from(good); b.writeUInt32LE(2, 8); return b; })(), 'unsupported', /unsupported checkpoint version 2/],
    ['not json', (() => { const b = Buffer.from(good); b.write('}', 16); return b; })(), 'invalidInput', /not valid UTF-8 JSON/],
    ['truncated', good.subarray(0, good.length - 4), 'invalidInput', /truncated checkpoint/],
    ['tiny file', good.subarray(0, 10), 'invalidInput', /truncated checkpoint/],
    ['header past end', (() => { const b = Buffer.from(good.subarray(0, 100)); return b; })(), 'invalidInput', /truncated checkpoint/],
    ['trailing', Buffer.concat([good, Buffer.alloc(4)]), 'invalidInput', /trailing bytes: 4/],
    ['shape', withHeader({ ...header, tensors: header.tensors.map((t: any, i: number) => (i === 2 ? { ...t, shape: [64, 63] } : t)) }), 'invalidInput', /shape mismatch: layers\.0\.wq/],
    ['config mismatch', withHeader({ ...header, config: { ...header.config, d_model: 128, name: 'x' } }), 'invalidInput', /shape mismatch: embed/],
    ['order', withHeader({ ...header, tensors: [header.tensors[1], header.tensors[0], ...header.tensors.slice(2)] }), 'invalidInput', /expected "embed"/],
    ['count', withHeader({ ...header, tensors: header.tensors.slice(1) }), 'invalidInput', /lists 19 tensors/],
    ['offset', withHeader({ ...header, tensors: header.tensors.map((t: any, i: number) => (i === 3 ? { ...t, offset: t.offset + 4 } : t)) }), 'invalidInput', /offset/],
    ['bad config', withHeader({ ...header, config: { ...header.config, n_heads: 3 } }), 'invalidInput', /not divisible by n_heads/],
    ['format', withHeader({ ...header, format: 'other' }), 'invalidInput', /header format/],
  ];
  const dir = tempDir();
  for (const [name, bytes, kind, re] of cases) {
    const check = (e: unknown) => {
      assert.ok(e instanceof LocoError, `${name}: ${e}`);
      assert.equal(e.kind, kind, `${name}: ${e.message}`);
      assert.match(e.message, re, name);
      return true;
    };
    assert.throws(() => decodeCheckpoint(bytes), check);
    const p = join(dir, `${name.replace(/ /g, '_')}.ckpt`);
    writeFileSync(p, bytes);
    assert.throws(() => readCheckpoint(p), check);
  }
  // The untouched re-encoding is accepted by the same path.
  assert.equal(decodeCheckpoint(withHeader(header)).params.length, 20);
});
