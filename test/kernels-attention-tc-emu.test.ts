// The CUDA backend's tensor-core attention kernels (kernels/src/cuda/attention_tc2_kernels.cuh) run
// on the CPU in an emulator (a fiber per CUDA thread, a software mma.m16n8k16, ldmatrix and wgmma in
// the PTX fragment layouts, cp.async done at the wait that covers it) and agree with the CPU engine's attention, forward and
// backward, for head sizes 16–128 and sequence lengths that end mid-tile, with and without the fused
// RoPE or with RoPE undone on dq, dk in the backward's epilogue (LOCO_CUDA_ROPE_BWD=fused), with the one-kernel backward whose blocks add their dQ shares in key-block order
// (LOCO_CUDA_ATTN_BWD=fused) or that store them as partials added by a reduce kernel in the same
// order (LOCO_CUDA_ATTN_BWD=partials, the same bits), with 32 rows per warp (LOCO_CUDA_ATTN_ROWS=32), whose outputs
// equal the 16-row kernels' bit for bit, with the forward on warpgroup MMA (LOCO_CUDA_ATTN_FWD=wgmma,
// the tc2 forward's bits), and with the backward on warpgroup MMA, its products
// overlapped with the softmax work (LOCO_CUDA_ATTN_BWD/FWD=wgmma) or waited for batch by batch
// (wgmma-sync), the same bits either way, and with two warpgroups per block sharing the tiles they
// read (LOCO_CUDA_ATTN_FWD/BWD=wgmma2, the same bits again; the emulator's wgmma follows the layouts build/wgmma-probe
// checks on a GPU, and runs each batch of products at the wait that covers it, as late as a GPU may);
// an injected error is caught, and so is a wait made one batch too weak (--inject-hazard). Needs the
// CUDA headers only (the development and CI machines have nvcc's; no GPU).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const KERNELS = join(ROOT, 'kernels');
const EMU = join(KERNELS, 'build', 'attention-tc-emu');
const HAVE_CUDA_HEADERS = existsSync('/usr/local/cuda/include/cuda_bf16.h');

interface Case { dkv_fnv1a: string; keys128: boolean; areg: boolean; pingpong: boolean; mbar_bwd: boolean; producer: boolean; tma: boolean; rope: boolean; rope_out: boolean; fused_bwd: boolean; dq_partials: boolean; dq_atomic: boolean; wgmma_bwd: boolean; wgmma_sync: boolean; wgmma_fwd: boolean; wgmma_groups: number; swizzle: boolean; rows_per_warp: number; head_dim: number; H: number; B: number; output_fnv1a: string; T: number; y_rel: number; dq_rel: number; dk_rel: number; dv_rel: number; lse_max_abs: number; ok: boolean }

test('tensor-core attention (emulated) matches the CPU attention; an injected error fails', { timeout: 900_000, skip: HAVE_CUDA_HEADERS ? false : 'no CUDA headers on this machine' }, () => {
  const mk = spawnSync('make', ['-s', '-C', KERNELS, 'build/attention-tc-emu'], { encoding: 'utf8', timeout: 180_000 });
  assert.equal(mk.status, 0, `make build/attention-tc-emu failed:\n${mk.stdout}\n${mk.stderr}`);
  const r = spawnSync(EMU, [], { encoding: 'utf8', timeout: 400_000 });
  assert.equal(r.status, 0, `attention-tc-emu failed:\n${r.stdout}\n${r.stderr}`);
  const j = JSON.parse(r.stdout) as { ok: boolean; cases: Case[] };
  assert.equal(j.ok, true);
  // then two with RoPE fused into the kernels, four with the one-kernel backward (ordered dQ),
  // four with 32 rows per warp, two with RoPE undone in the backward's epilogue only, and two with
  // the dQ shares stored as partials and added by a reduce kernel, two with them added by atomic
  // adds, three with the wgmma forward and
  // backward (overlapped), two with the wgmma forward and backward waiting for each batch,
  // three with both on two warpgroups per block, three with the tiles swizzled, three with the fused wgmma backward (dQ by atomic adds), and
  // five with the two-warpgroup forward on 128-key tiles, and six with the score products' A operands
  // held in registers (LOCO_CUDA_ATTN_FWD/BWD=wgmma2-areg, wgmma2-atomic-areg), and four with the
  // forward's stages handed over by mbarriers and its warpgroups' products in turns (wgmma2-pp), and
  // the backward's stages by mbarrier (wgmma2-mb), and nine with the forward's copies by TMA (wgmma2-tma, -tma-k128) and four with the backward's
  const name = (c: Case) => `${c.head_dim}${c.rope ? '+rope' : ''}${c.rope_out ? '+rope_out' : ''}${c.fused_bwd ? '+fused' : ''}${c.dq_partials ? '+partials' : ''}${c.dq_atomic ? '+atomic' : ''}${c.wgmma_bwd ? '+wgmma' : ''}${c.wgmma_sync ? '-sync' : ''}${c.wgmma_fwd ? '+wgmma_fwd' : ''}${c.wgmma_groups === 2 ? 'x2' : ''}${c.swizzle ? '+sw' : ''}${c.keys128 ? '+k128' : ''}${c.areg ? '+areg' : ''}${c.pingpong ? '+pp' : ''}${c.mbar_bwd ? '+mb' : ''}${c.producer ? '+ws' : ''}${c.tma ? '+tma' : ''}${c.rows_per_warp === 32 ? '+rows32' : ''}`;
  assert.deepEqual(j.cases.map(name), [
    '16', '32', '64', '128', '64', '64+rope', '128+rope', '16+fused', '32+fused', '64+fused', '128+fused',
    '16+rows32', '32+rows32', '64+rows32', '128+rows32', '64+rope_out', '128+rope_out+rows32',
    '64+fused+partials', '128+fused+partials', '64+fused+atomic', '128+fused+atomic', '64+wgmma+wgmma_fwd', '64+wgmma+wgmma_fwd', '128+wgmma+wgmma_fwd',
    '64+wgmma-sync+wgmma_fwd', '128+wgmma-sync+wgmma_fwd', '64+wgmma+wgmma_fwdx2', '64+wgmma+wgmma_fwdx2', '128+wgmma+wgmma_fwdx2',
    '64+wgmma+wgmma_fwd+sw', '64+wgmma+wgmma_fwdx2+sw', '128+wgmma+wgmma_fwdx2+sw',
    '64+atomic+wgmma+wgmma_fwdx2', '64+atomic+wgmma+wgmma_fwdx2', '128+atomic+wgmma+wgmma_fwdx2', '128+atomic+wgmma+wgmma_fwdx2+sw',
    '64+wgmma_fwdx2+k128', '64+wgmma_fwdx2+k128', '128+wgmma_fwdx2+k128', '64+wgmma_fwdx2+sw+k128', '128+wgmma_fwdx2+sw+k128',
    '64+wgmma+wgmma_fwdx2+areg', '64+wgmma+wgmma_fwdx2+areg', '128+wgmma_fwdx2+areg', '64+wgmma+wgmma_fwdx2+sw+areg', '128+wgmma_fwdx2+sw+areg',
    '64+atomic+wgmma+wgmma_fwdx2+areg',
    '64+wgmma_fwdx2+pp', '64+wgmma_fwdx2+pp', '128+wgmma_fwdx2+pp', '128+wgmma_fwdx2+sw+pp',
    '64+wgmma_fwdx2', '64+wgmma_fwdx2+pp', '128+wgmma_fwdx2', '128+wgmma_fwdx2+sw+pp',
    '64+wgmma_fwdx2+sw+areg+pp', '128+wgmma_fwdx2+sw+areg+pp',
    '64+wgmma_fwdx2+pp+ws', '64+wgmma_fwdx2+pp+ws', '128+wgmma_fwdx2+sw+pp+ws',
    '64+wgmma_fwdx2+sw+pp+ws+tma', '64+wgmma_fwdx2+sw+pp+ws+tma', '64+wgmma_fwdx2+sw+pp+ws+tma', '128+wgmma_fwdx2+sw+pp+ws+tma',
    '64+wgmma_fwdx2+sw+k128+pp+ws+tma', '64+wgmma_fwdx2+sw+k128+pp+ws+tma', '128+wgmma_fwdx2+sw+k128+pp+ws+tma',
    '64+wgmma_fwdx2+k128', '64+wgmma_fwdx2+sw+k128+pp+ws+tma', '128+wgmma_fwdx2+k128', '128+wgmma_fwdx2+sw+k128+pp+ws+tma',
    '64+wgmma+wgmma_fwdx2+mb', '64+wgmmax2', '64+wgmmax2+mb', '128+wgmmax2', '128+wgmmax2+mb', '128+wgmmax2+sw+mb',
    '64+wgmmax2+sw+mb+tma', '64+wgmmax2+sw+mb+tma', '64+wgmmax2+sw+mb+tma', '128+wgmmax2+sw+mb+tma',
  ]);
  // the 32-row kernels add in the same order as the 16-row ones: same bits
  const shape = (c: Case) => `${c.head_dim}/${c.B}/${c.T}/${c.H}`;
  // the swizzled kernels hold the same values in other places: the unswizzled case's bits (the
  // forward with one warpgroup; forward and backward with two; the fused backward; the 128-key forward)
  // (the swizzled mbarrier cases are held to the plain kernels' bits below)
  for (const w of j.cases.filter((c) => c.swizzle && !c.pingpong && !c.mbar_bwd)) {
    const plain = j.cases.find((c) => !c.swizzle && c.wgmma_fwd === w.wgmma_fwd && c.wgmma_bwd === w.wgmma_bwd && !c.wgmma_sync && c.dq_atomic === w.dq_atomic && c.keys128 === w.keys128 && c.areg === w.areg && c.wgmma_groups === w.wgmma_groups && shape(c) === shape(w));
    assert.ok(plain, `no unswizzled case for ${shape(w)}`);
    assert.equal(w.output_fnv1a, plain.output_fnv1a, `the 128-byte swizzle changed the outputs at ${shape(w)}`);
  }
  for (const w of j.cases.filter((c) => c.rows_per_warp === 32)) {
    if (w.rope_out) continue;
    const base = j.cases.find((c) => c.rows_per_warp === 16 && !c.rope && !c.rope_out && !c.fused_bwd && !c.keys128 && shape(c) === shape(w));
    assert.ok(base, `no 16-row case for ${shape(w)}`);
    assert.equal(w.output_fnv1a, base.output_fnv1a, `32 rows per warp changed the outputs at ${shape(w)}`);
  }
  // the partials hold the ordered accumulation's shares and the reduce adds them in the same
  // (key-block) order: the same bits as the ordered fused backward
  // ... and so do the atomic adds here, where the blocks run one after another in key-block order
  // (on a GPU their order, so the last bits of dQ, may change from run to run)
  for (const p of j.cases.filter((c) => (c.dq_partials || c.dq_atomic) && !c.wgmma_bwd)) {
    const ordered = j.cases.find((c) => c.fused_bwd && !c.dq_partials && !c.dq_atomic && shape(c) === shape(p));
    assert.ok(ordered, `no ordered fused case for ${shape(p)}`);
    assert.equal(p.output_fnv1a, ordered.output_fnv1a, `the dQ ${p.dq_partials ? 'partials' : 'atomics'} changed the outputs at ${shape(p)}`);
  }
  // the emulated wgmma adds the same products in the same order as the emulated mma.sync: where a
  // default case has the same shape, the wgmma forward and backward give its bits
  const wgSame = j.cases.filter((w) => w.wgmma_bwd && !w.wgmma_sync && w.wgmma_groups === 1 && !w.swizzle).map((w) => {
    const base = j.cases.find((c) => !c.wgmma_bwd && !c.wgmma_fwd && !c.rope && !c.rope_out && !c.fused_bwd && c.rows_per_warp === 16 && shape(c) === shape(w));
    if (base) assert.equal(w.output_fnv1a, base.output_fnv1a, `the wgmma backward changed the outputs at ${shape(w)}`);
    return Boolean(base);
  });
  assert.deepEqual(wgSame, [false, true, true]);
  // overlapping the products with the softmax work changes when they run, not what they add (forward
  // and backward)
  for (const w of j.cases.filter((c) => c.wgmma_sync)) {
    const pipe = j.cases.find((c) => c.wgmma_bwd && !c.wgmma_sync && shape(c) === shape(w));
    assert.ok(pipe, `no overlapped wgmma case for ${shape(w)}`);
    assert.equal(w.output_fnv1a, pipe.output_fnv1a, `the two wgmma schedules differ at ${shape(w)}`);
  }
  // two warpgroups per block add the same products in the same order as one (a skipped tile would
  // only have added zeros): the one-warpgroup case's bits at each shape
  const wg2 = j.cases.filter((c) => c.wgmma_groups === 2 && c.wgmma_bwd && c.wgmma_fwd && !c.swizzle && !c.dq_atomic && !c.keys128 && !c.areg && !c.pingpong && !c.mbar_bwd);
  assert.equal(wg2.length, 3);
  for (const w of wg2) {
    const one = j.cases.find((c) => c.wgmma_bwd && c.wgmma_fwd && c.wgmma_groups === 1 && shape(c) === shape(w));
    assert.ok(one, `no one-warpgroup wgmma case for ${shape(w)}`);
    assert.equal(w.output_fnv1a, one.output_fnv1a, `two warpgroups per block changed the outputs at ${shape(w)}`);
  }
  // the fused wgmma backward (LOCO_CUDA_ATTN_BWD=wgmma2-atomic) runs the two-warpgroup dK/dV kernel's
  // products in its order: its dK and dV bits. Its dQ adds per key block (8 products over 128 keys)
  // and then across blocks, so it differs from the dQ kernel's in the last bits where a query sees two
  // key blocks or more — except T = 100, one block, where the sums are the same
  const fusedWg = j.cases.filter((c) => c.wgmma_bwd && c.dq_atomic);
  assert.equal(fusedWg.length, 5);
  for (const f of fusedWg) {
    const two = j.cases.find((c) => c.wgmma_bwd && !c.dq_atomic && !c.swizzle && !c.areg && !c.mbar_bwd && c.wgmma_groups === 2 && shape(c) === shape(f));
    assert.ok(two, `no two-warpgroup wgmma case for ${shape(f)}`);
    assert.equal(f.dkv_fnv1a, two.dkv_fnv1a, `the fused wgmma backward changed dk, dv at ${shape(f)}`);
    if (f.T <= 128) assert.equal(f.output_fnv1a, two.output_fnv1a, `one key block: the fused dQ should be the dQ kernel's at ${shape(f)}`);
    else assert.notEqual(f.output_fnv1a, two.output_fnv1a);
  }
  // the 128-key forward rescales once per 128 keys, not per 64: other sums than the 64-key forward's
  // where a query sees more than 64 keys (its accuracy is checked below with every case's); its
  // backward is the default kernels'
  // (and five more with the TMA producer, and two plain ones beside them: held to the 128-key
  // forward's bits below)
  const k128 = j.cases.filter((c) => c.keys128);
  assert.equal(k128.length, 12);
  for (const k of k128) assert.ok(k.wgmma_fwd && !k.wgmma_bwd && k.wgmma_groups === 2, JSON.stringify(k));
  // the score products' A operands from registers instead of shared memory: the same products in the
  // same order, so the bits of the two-warpgroup case of the same shape (forward, backward, fused)
  const areg = j.cases.filter((c) => c.areg && !c.pingpong);
  assert.equal(areg.length, 6);
  for (const a of areg) {
    assert.ok(a.wgmma_fwd && a.wgmma_groups === 2 && !a.keys128, JSON.stringify(a));
    const plain = j.cases.find((c) => !c.areg && !c.keys128 && !c.pingpong && !c.mbar_bwd && c.wgmma_fwd && c.wgmma_groups === 2 && c.dq_atomic === a.dq_atomic && shape(c) === shape(a));
    assert.ok(plain, `no two-warpgroup case for ${shape(a)}`);
    assert.equal(a.output_fnv1a, plain.output_fnv1a, `A in registers changed the outputs at ${shape(a)}`);
  }
  // mbarrier stages and turns change when things happen, not what is added: the two-warpgroup
  // forward's bits at each shape (T = 260, 520 and 330: stages refilled after their empty phase)
  // (two with Q in registers too, swizzled: wgmma2-pp-areg-sw; three with a producer warpgroup
  // issuing every copy: wgmma2-ws, 384 threads, the consumers' bits the same; four with the
  // producer's copies TMA boxes, wgmma2-tma: the emulated TMA's swizzle and zero fill must put every
  // value where the cp.async copies did)
  // (five more on 128-key tiles, wgmma2-tma-k128: the 128-key forward's bits)
  const pp = j.cases.filter((c) => c.pingpong);
  assert.equal(pp.length, 20);
  assert.equal(pp.filter((c) => c.tma).length, 9);
  for (const c of j.cases.filter((c) => c.tma)) assert.ok((c.producer || c.mbar_bwd) && c.swizzle, JSON.stringify(c));
  for (const p of pp) {
    assert.ok(p.wgmma_fwd && p.wgmma_groups === 2 && (!p.keys128 || p.tma) && (!p.areg || p.swizzle), JSON.stringify(p));
    const plain = j.cases.find((c) => !c.pingpong && !c.areg && c.keys128 === p.keys128 && !c.dq_atomic && !c.mbar_bwd && c.wgmma_fwd && c.wgmma_groups === 2 && shape(c) === shape(p));
    assert.ok(plain, `no two-warpgroup case for ${shape(p)}`);
    assert.equal(p.output_fnv1a, plain.output_fnv1a, `mbarrier stages and turns changed the outputs at ${shape(p)}`);
  }
  // the backward's stages by mbarrier: the two-warpgroup backward's bits at each shape (T = 520 and 330:
  // stages refilled after their empty phase); four with their tiles by TMA (wgmma2-tma: T = 100, one
  // block whose second warpgroup's keys and queries all lie past the end, whose boxes TMA fills with
  // zeros as cp.async does)
  const mb = j.cases.filter((c) => c.mbar_bwd);
  assert.equal(mb.length, 8);
  assert.equal(mb.filter((c) => c.tma).length, 4);
  for (const m of mb) {
    assert.ok(m.wgmma_bwd && m.wgmma_groups === 2 && !m.dq_atomic && !m.areg, JSON.stringify(m));
    const plain = j.cases.find((c) => !c.mbar_bwd && !c.areg && !c.dq_atomic && c.wgmma_bwd && c.wgmma_groups === 2 && shape(c) === shape(m));
    assert.ok(plain, `no two-warpgroup backward case for ${shape(m)}`);
    assert.equal(m.output_fnv1a, plain.output_fnv1a, `mbarrier stages changed the backward's outputs at ${shape(m)}`);
  }
  for (const c of j.cases) {
    // bf16 inputs and outputs: a few 1e-3 relative; a wrong index or mask gives O(1)
    // (a non-finite error prints as null, which must not pass for a small number)
    for (const e of [c.y_rel, c.dq_rel, c.dk_rel, c.dv_rel]) assert.ok(typeof e === 'number' && e < 1e-2, JSON.stringify(c));
    assert.ok(typeof c.lse_max_abs === 'number' && c.lse_max_abs < 1e-4, JSON.stringify(c));
  }
  // each batch of wgmma products left running one wait longer than the overlapped kernels allow: they
  // read unfinished products and fail; the waiting kernels (wait_group 0 only) are unaffected
  const hz = spawnSync(EMU, ['--inject-hazard'], { encoding: 'utf8', timeout: 400_000 });
  assert.equal(hz.status, 1, hz.stdout + hz.stderr);
  const hzj = JSON.parse(hz.stdout) as { ok: boolean; cases: Case[] };
  assert.deepEqual(hzj.cases.map((c) => [name(c), c.ok]), [['64+wgmma+wgmma_fwd', false], ['128+wgmma+wgmma_fwd', false], ['64+wgmma-sync+wgmma_fwd', true], ['128+wgmma-sync+wgmma_fwd', true], ['64+wgmma+wgmma_fwdx2', false], ['128+atomic+wgmmax2', false], ['128+wgmma_fwdx2+k128', false], ['64+wgmma+wgmma_fwdx2+areg', false], ['64+atomic+wgmmax2+areg', false], ['64+wgmma_fwdx2+pp', false], ['64+wgmmax2+mb', false], ['64+wgmma_fwdx2+pp+ws', false], ['64+wgmma_fwdx2+sw+pp+ws+tma', false], ['64+wgmma_fwdx2+sw+k128+pp+ws+tma', false], ['64+wgmmax2+sw+mb+tma', false]]);
  const bad = spawnSync(EMU, ['--inject-bug'], { encoding: 'utf8', timeout: 400_000 });
  assert.equal(bad.status, 1, bad.stdout);
  const badj = JSON.parse(bad.stdout) as { ok: boolean; cases: Case[] };
  assert.equal(badj.ok, false);
  assert.deepEqual(badj.cases.map((c) => [c.head_dim, c.ok]), [[64, false]]);
});
