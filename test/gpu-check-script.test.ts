// kernels/gpu-check.sh only ever runs on a lent GPU machine, where a broken stage list or summary
// would waste scarce device time. Here it runs against stub tools (gpu-bench, gpu-parity,
// codec-cuda, the PyTorch scripts, ncu) that print fixed JSON or CSV, so its control flow and its summary —
// stage records, optional stages kept out of "ok", the baseline runs per attention, the same-run
// ratios, the attention kernel times per variant (tools/attn_times.py) — are checked on every CI run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from './helpers.js';

function script(path: string, body: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `#!/usr/bin/env bash\n${body}\n`);
  chmodSync(path, 0o755);
}

/** A copy of gpu-check.sh in a fake repository whose kernels/ tools are stubs; returns its root. */
/** slowFused: the fused backwards' stub kernel times are large, so the split backward wins. */
function fakeTree(opts: { parityOk: boolean; slowFused?: boolean }): { root: string; base: string; bin: string } {
  const root = tempDir('loco-gpucheck-');
  const k = join(root, 'kernels');
  mkdirSync(k, { recursive: true });
  copyFileSync(join(ROOT, 'kernels', 'gpu-check.sh'), join(k, 'gpu-check.sh'));
  // gpu-bench: tokens/s by config; the baseline tree's by --attn; it "tunes" into the cache it is given
  const bench = (tps124: number, tps1b: number) => `
tps=${tps124}; [[ "$*" == *"--config 1b"* ]] && tps=${tps1b}
[[ "$*" == *"--attn tc "* || "$*" == *"--attn tc" ]] && tps=$((tps + 1000))
[[ "\${LOCO_CUDA_ROPE_BWD:-}" == fused ]] && tps=$((tps + 5000))
[[ "\${LOCO_CUDA_CE:-}" == cpasync ]] && tps=$((tps + 2000))
g=false; [[ "\${LOCO_CUDA_GRAPH:-}" == 1 ]] && g=true && tps=$((tps + 3000))
[[ "\${LOCO_CUDA_PDL:-}" == 1 ]] && tps=$((tps + 1000))
[[ -z "\${LOCO_CUDA_ATTN_FWD:-}" ]] && echo "loco-engine: cuDNN 91400 attention forward for B 16, T 1024, 12 heads of 64: built in 1200 ms, 0-byte workspace, heuristics mode A 0 of 3 (engine 8)" >&2
[[ -n "\${LOCO_CUDA_GEMM_TUNE_CACHE:-}" ]] && printf 'loco-gemm-tune 1\\nkey 0 %s\\n' "$(printf '0%.0s' {1..16})" > "$LOCO_CUDA_GEMM_TUNE_CACHE"
echo "{\\"tool\\":\\"gpu-bench\\",\\"cudnn_lib\\":\\"\${LOCO_CUDNN_LIB:-}\\",\\"tokens_per_s\\":$tps,\\"mfu\\":0.3,\\"step_ms\\":40,\\"loss_first\\":10.5,\\"loss_last\\":9.25,\\"ok\\":true,\\"graphs\\":{\\"enabled\\":$g,\\"captured\\":1,\\"launched\\":9,\\"capture_failures\\":0},\\"args\\":\\"$*\\",\\"bin\\":\\"$0\\",\\"attn_env\\":\\"\${LOCO_CUDA_ATTN_ROWS:-}/\${LOCO_CUDA_ATTN_BWD:-}/\${LOCO_CUDA_ROPE_BWD:-}/\${LOCO_CUDA_ATTN_FWD:-}/\${LOCO_CUDA_CE:-}\\"}"`;
  script(join(k, 'build', 'gpu-bench'), bench(400_000, 80_000));
  // gpu-parity: the per-precision numbers differ only under LOCO_CUDA_LOGITS=fp32 (and under
  // LOCO_CUDA_ATTN_BWD=wgmma-sync or wgmma2 where STUB_SYNC_DIFFERS is set)
  script(join(k, 'build', 'gpu-parity'), `loss=10.5; [[ "\${LOCO_CUDA_LOGITS:-}" == fp32 ]] && loss=10.25
[[ "\${LOCO_CUDA_ATTN_BWD:-}" == wgmma-sync && -n "\${STUB_SYNC_DIFFERS:-}" ]] && loss=10.4
[[ "\${LOCO_CUDA_ATTN_BWD:-}" == wgmma2 && -n "\${STUB_SYNC_DIFFERS:-}" ]] && loss=10.3
echo "{\\"tool\\":\\"gpu-parity\\",\\"bin\\":\\"$0\\",\\"ok\\":${opts.parityOk},\\"failures\\":[],\\"attention_tc2_fnv1a\\":\\"00c0ffee00c0ffee\\",\\"graphs\\":{\\"captured\\":3,\\"launched\\":6,\\"capture_failures\\":0,\\"bit_identical\\":true,\\"ok\\":true},\\"pdl\\":{\\"supported\\":true,\\"bit_identical\\":true,\\"graphs_bit_identical\\":true,\\"ok\\":true},\\"precisions\\":{\\"bf16\\":{\\"loss\\":$loss}}}"`);
  // wgmma-probe: the MN-major strides run the other way than the kernels read them (kernel_layout_ok
  // false); built with the probe's readings (build-wgflip, the stub make below) it says they hold
  script(join(k, 'build', 'wgmma-probe'), `lok=false; [[ "$0" == *build-wgflip* ]] && lok=true
echo "{\\"tool\\":\\"wgmma-probe\\",\\"d_layout_ok\\":true,\\"a_regs_layout_ok\\":true,\\"kmajor_lbo\\":\\"k\\",\\"kmajor_lbo_b_only\\":\\"k\\",\\"mnmajor_b_lbo\\":\\"mn\\",\\"kernel_assumes\\":{\\"kmajor_lbo\\":\\"k\\",\\"mnmajor_b_lbo\\":\\"k\\"},\\"kernel_layout_ok\\":$lok,\\"sw128_kmajor_ok\\":true,\\"sw128_mnmajor_ok\\":false,\\"ok\\":true}"`);
  // wgmma-rate takes a quarter of a second: its stage's recorded seconds check the script's clock
  script(join(k, 'build', 'wgmma-rate'), `sleep 0.25; echo '{"tool":"wgmma-rate","rows":[{"mode":"ss64","layout":"none","wg_per_sm":2,"tflops":300.5}],"ok":true}'`);
  script(join(k, 'build', 'codec-cuda'), `echo '{"tool":"codec-cuda","device_name":"Stub GPU","parity":{"ok":true},"bench":{"encode_ms":0.9,"aggregate_ms":0.4,"parity_ok":true,"ratio":214}}'`);
  const py = (json: string) => `import json\nprint(json.dumps(${json}))\n`;
  mkdirSync(join(k, 'reference'), { recursive: true });
  mkdirSync(join(k, 'tools'), { recursive: true });
  writeFileSync(join(k, 'reference', 'model.py'), py(`{"tool": "reference", "ok": True}`));
  writeFileSync(join(k, 'tools', 'engine_session.py'), py(`{"tool": "engine-session", "ok": True}`));
  // the stages' own scripts run for real, on the stubs
  for (const f of ['tune_repeat.py', 'attn_ncu.sh', 'attn_times.py', 'ncu_summary.py', 'gaps.py']) copyFileSync(join(ROOT, 'kernels', 'tools', f), join(k, 'tools', f));
  writeFileSync(
    join(k, 'reference', 'bench.py'),
    py(`{"tool": "torch-bench", "runs": [{"config": "gpt2-124m", "mode": "compile", "tokens_per_s": 500000, "mfu": 0.43},
        {"config": "gpt2-124m", "mode": "eager", "tokens_per_s": 250000, "mfu": 0.2},
        {"config": "1b", "mode": "compile", "tokens_per_s": 100000, "mfu": 0.6}],
        "codec": {"compress_ms": 27.0, "aggregate_ms": 15.0},
        "attention": [{"config": "gpt2-124m", "default": {"fwd_ms_per_step": 1.5, "bwd_ms_per_step": 4.0, "total_ms_per_step": 5.5},
                       "cudnn": {"error": "RuntimeError: no cuDNN attention"}}]}`),
  );
  const base = join(root, 'base');
  script(join(base, 'build', 'gpu-bench'), bench(300_000, 60_000));
  // the machine's own tools: ncu fails (its stages are optional), except for attn_times' kernel-time
  // logs (-k regex:attn --log-file F), which it writes as Nsight Compute's CSV: each variant's
  // attention kernels with fixed times (µs; ×4 for 1b), two launches of the forward
  const bin = join(root, 'bin');
  // make: only gpu-check's build_wgflip and build_fat call it here (the build stage is skipped): a
  // copy of the stub tools in BUILD, and the flags it was given
  script(join(bin, 'make'), `b=""; f=""
for a in "$@"; do case "$a" in BUILD=*) b=\${a#BUILD=};; NVCCFLAGS_EXTRA=*) f=\${a#NVCCFLAGS_EXTRA=};; esac; done
[[ "$b" == build-wgflip || "$b" == build-fat ]] || exit 2
mkdir -p "${k}/$b" && for t in gpu-parity gpu-bench wgmma-probe; do cp "${k}/build/$t" "${k}/$b/$t"; done
echo "$f" > "${k}/$b/flags"`);
  // nsys: a report file for profile, and for stats its progress line and a GPU trace (ns): a copy,
  // then two kernels 1.5 µs and 1 µs apart
  script(join(bin, 'nsys'), `case "$1" in
  profile) [[ " $* " == *" --trace-timed "* && " $* " == *" --cuda-graph-trace=node "* ]] || exit 3
    for a in "$@"; do case "$a" in --output=*) : > "\${a#--output=}.nsys-rep";; esac; done;;
  stats) echo "Generating SQLite file timeline.sqlite from timeline.nsys-rep"
    echo 'Start (ns),Duration (ns),CorrId,Name'
    echo '1000,500,1,[CUDA memcpy Host-to-Device]'
    echo '3000,10000,2,"embed_forward_vec_kernel(float4 *, const int *)"'
    echo '14000,5000,3,rmsnorm_forward_vec_kernel';;
  *) exit 2;;
esac`);
  script(join(bin, 'ncu'), `
args=" $* "; log=""; prev=""
for a in "$@"; do [[ "$prev" == "--log-file" ]] && log=$a; prev=$a; done
f=1; [[ "$args" == *"--config 1b"* ]] && f=4
row() { printf '"%s","void attn_tc2::%s(bf16 *)","(128, 1, 1)","(16, 192, 1)","gpu__time_duration.sum","usecond","%s"\\n' "$1" "$2" $(( $3 * f )); }
# the kernels / kernels_base stages' one profiled step: the baseline tree's dK/dV and
# cross-entropy are slower, and it has a kernel this tree no longer runs
if [[ "$log" == */ncu.csv || "$log" == */ncu_base.csv || "$log" == */ncu_1b.csv || "$log" == */ncu_1b_base.csv ]]; then
  { echo '"ID","Kernel Name","Block Size","Grid Size","Metric Name","Metric Unit","Metric Value"'
    if [[ "$args" == *"/base/"* ]]; then
      row 0 'attn2_bwd_dkv_kernel<64, 0, 0, 1, 64>' 600; row 1 'crossentropy_bf16_kernel<bf16>' 250; row 2 'old_kernel' 10
    else
      row 0 'attn2_bwd_dkv_kernel<64, 0, 0, 1, 64>' 500; row 1 'crossentropy_bf16_kernel<bf16>' 200
    fi
  } > "$log"
  exit 0
fi
if [[ -z "$log" || "$args" != *" regex:attn "* ]]; then echo "ncu: no GPU" >&2; exit 1; fi
{ echo '==PROF== Disconnected'
  echo '"ID","Kernel Name","Block Size","Grid Size","Metric Name","Metric Unit","Metric Value"'
  if [[ "\${LOCO_CUDA_ATTN_FWD:-}" == wgmma2 ]]; then
    row 0 'attn3_fwd_kernel<64, 2>' ${opts.slowFused ? 55 : 90}; row 1 'attn3_fwd_kernel<64, 2>' ${opts.slowFused ? 55 : 90}
    row 2 'attn2_bwd_dkv_kernel<64, false, false, 1, 64>' 500; row 3 'attn2_bwd_dq_kernel<64, false, 1, 64>' 400
  elif [[ "\${LOCO_CUDA_ATTN_BWD:-}" == wgmma2 ]]; then
    row 0 'attn2_fwd_kernel<64, 0, 1, 64>' 100; row 1 'attn2_fwd_kernel<64, 0, 1, 64>' 100
    row 2 'attn3_bwd_dkv_kernel<64, true, 2>' ${opts.slowFused ? 4900 : 290}; row 3 'attn3_bwd_dq_kernel<64, true, 2>' 250
  elif [[ "\${LOCO_CUDA_ATTN_FWD:-}" == wgmma ]]; then
    row 0 'attn3_fwd_kernel<64>' ${opts.slowFused ? 60 : 80}; row 1 'attn3_fwd_kernel<64>' ${opts.slowFused ? 60 : 80}
    row 2 'attn2_bwd_dkv_kernel<64, false, false, 1, 64>' 500; row 3 'attn2_bwd_dq_kernel<64, false, 1, 64>' 400
  elif [[ "\${LOCO_CUDA_ATTN_ROWS:-}" == 32 ]]; then
    row 0 'attn2_fwd_kernel<64, false, 2, 64>' 75; row 1 'attn2_fwd_kernel<64, false, 2, 64>' 75
    row 2 'attn2_bwd_dkv_kernel<64, false, false, 2, 32>' 450; row 3 'attn2_bwd_dq_kernel<64, false, 2, 32>' 300
  elif [[ "\${LOCO_CUDA_ATTN_BWD:-}" == wgmma ]]; then
    row 0 'attn2_fwd_kernel<64, 0, 1, 64>' 100; row 1 'attn2_fwd_kernel<64, 0, 1, 64>' 100
    row 2 'attn3_bwd_dkv_kernel<64, true>' ${opts.slowFused ? 5000 : 300}; row 3 'attn3_bwd_dq_kernel<64, true>' 250
  elif [[ "\${LOCO_CUDA_ATTN_BWD:-}" == wgmma-sync ]]; then
    row 0 'attn2_fwd_kernel<64, 0, 1, 64>' 100; row 1 'attn2_fwd_kernel<64, 0, 1, 64>' 100
    row 2 'attn3_bwd_dkv_kernel<64, false>' ${opts.slowFused ? 5100 : 350}; row 3 'attn3_bwd_dq_kernel<64, false>' 280
  elif [[ "\${LOCO_CUDA_ATTN_BWD:-}" == wgmma2-atomic ]]; then
    row 0 'attn2_fwd_kernel<64, 0, 1, 64>' 100; row 1 'attn2_fwd_kernel<64, 0, 1, 64>' 100
    row 2 'attn3_bwd_dkv_kernel<64, true, 2, false, true>' ${opts.slowFused ? 4700 : 520}; row 3 'attn2_dq_finish_kernel<64>' 30
  elif [[ "\${LOCO_CUDA_ATTN_FWD:-}" == wgmma2-k128 ]]; then
    row 0 'attn3_fwd_kernel<64, 2, true, false, 128>' 95; row 1 'attn3_fwd_kernel<64, 2, true, false, 128>' 95
    row 2 'attn2_bwd_dkv_kernel<64, false, false, 1, 64>' 500; row 3 'attn2_bwd_dq_kernel<64, false, 1, 64>' 400
  elif [[ "\${LOCO_CUDA_ATTN_BWD:-}" == atomic ]]; then
    row 0 'attn2_fwd_kernel<64, 0, 1, 64>' 100; row 1 'attn2_fwd_kernel<64, 0, 1, 64>' 100
    row 2 'attn2_bwd_dkv_kernel<64, 0, 3, 1, 64>' ${opts.slowFused ? 5000 : 500}; row 3 'attn2_dq_finish_kernel<64>' 30
  elif [[ "\${LOCO_CUDA_ATTN_BWD:-}" == partials ]]; then
    row 0 'attn2_fwd_kernel<64, 0, 1, 64>' 100; row 1 'attn2_fwd_kernel<64, 0, 1, 64>' 100
    row 2 'attn2_bwd_dkv_kernel<64, 0, 2, 1, 64>' ${opts.slowFused ? 4800 : 480}; row 3 'attn2_dq_reduce_kernel<64>' 40
  elif [[ "\${LOCO_CUDA_ATTN_BWD:-}" == fused ]]; then
    row 0 'attn2_fwd_kernel<64, false, 1, 64>' 100; row 1 'attn2_fwd_kernel<64, false, 1, 64>' 100
    row 2 'attn2_bwd_dkv_kernel<64, false, true, 1, 64>' ${opts.slowFused ? 5500 : 550}; row 3 'attn2_dq_finish_kernel<64>' 50
  else
    row 0 'attn2_fwd_kernel<64, false, 1, 64>' 100; row 1 'attn2_fwd_kernel<64, false, 1, 64>' 100
    row 2 'attn2_bwd_dkv_kernel<64, false, false, 1, 64>' 500; row 3 'attn2_bwd_dq_kernel<64, false, 1, 64>' 400
  fi
} > "$log"`);
  return { root, base, bin };
}

function runCheck(t: { root: string; base: string; bin: string }, out: string, env: Record<string, string> = {}) {
  return spawnSync('bash', [join(t.root, 'kernels', 'gpu-check.sh')], {
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      ...process.env,
      PATH: `${t.bin}:${process.env.PATH}`,
      OUT: out,
      GPU_CHECK_SKIP: 'build build_base abi codec_variants',
      GPU_CHECK_BASELINE: t.base,
      GPU_CHECK_BASELINE_ATTN: 'tc2 tc',
      ...env,
    },
  });
}

test('gpu-check.sh: stage records, optional stages, baselines per attention and same-run ratios in its summary', () => {
  const t = fakeTree({ parityOk: true });
  const out = join(t.root, 'out');
  // PyTorch's own cuDNN, as its wheel lays it out (nvidia/cudnn/lib/libcudnn.so.9): the cudnntorch
  // variant names it in LOCO_CUDNN_LIB
  const py = join(t.root, 'site');
  mkdirSync(join(py, 'nvidia', 'cudnn', 'lib'), { recursive: true });
  writeFileSync(join(py, 'nvidia', 'cudnn', '__init__.py'), '');
  writeFileSync(join(py, 'nvidia', 'cudnn', 'lib', 'libcudnn.so.9'), '');
  const r = runCheck(t, out, { PYTHONPATH: py });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(j.ok, true);
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'gpu-check.json'), 'utf8')), j);
  assert.ok(existsSync(join(out, 'gpu-check.log')));
  const stages = Object.keys(j.stages);
  for (const s of ['parity', 'parity_124m', 'bench_124m', 'bench_124m_base_tc2', 'bench_124m_base_tc', 'bench_1b_base_tc', 'torch', 'bench_124m_heur', 'parity_fusedbwd', 'bench_1b_fusedbwd', 'parity_rows32', 'bench_124m_rows32', 'bench_1b_rows32', 'attn_profile_base', 'parity_logits32', 'bench_1b_logits32', 'parity_normreread', 'bench_1b_normreread', 'parity_ropebwd', 'bench_124m_ropebwd', 'parity_cecp', 'bench_124m_cecp', 'bench_1b_cecp', 'parity_own', 'bench_124m_own', 'bench_1b_own', 'parity_cudnn', 'bench_124m_cudnn', 'bench_1b_cudnn', 'parity_cudnntorch', 'bench_124m_cudnntorch', 'parity_partials', 'bench_1b_partials', 'parity_atomicbwd', 'bench_1b_atomicbwd', 'parity_wgmmabwd', 'bench_124m_wgmmabwd', 'parity_wgmmasync', 'bench_1b_wgmmasync', 'parity_wgmmafwd', 'bench_124m_wgmmafwd', 'parity_wgmma2bwd', 'bench_1b_wgmma2bwd', 'parity_wgmma2fwd', 'bench_124m_wgmma2fwd', 'parity_wgmmasyncfwd', 'bench_1b_wgmmasyncfwd', 'parity_wgmma2swfwd', 'bench_124m_wgmma2swfwd', 'parity_wgmma2swbwd', 'bench_1b_wgmma2swbwd', 'parity_tc2bwd', 'bench_1b_tc2bwd', 'parity_wgmma2atomicbwd', 'bench_1b_wgmma2atomicbwd', 'parity_wgmma2k128fwd', 'bench_124m_wgmma2k128fwd', 'parity_wgmma2atomicswbwd', 'bench_1b_wgmma2atomicswbwd', 'parity_wgmma2k128swfwd', 'bench_124m_wgmma2k128swfwd', 'parity_wgmma2aregfwd', 'bench_1b_wgmma2aregfwd', 'parity_wgmma2aregswfwd', 'bench_124m_wgmma2aregswfwd', 'parity_wgmma2aregbwd', 'bench_124m_wgmma2aregbwd', 'parity_wgmma2atomicaregbwd', 'bench_124m_wgmma2atomicaregbwd', 'parity_wgmma2ppfwd', 'bench_1b_wgmma2ppfwd', 'parity_wgmma2ppswfwd', 'bench_124m_wgmma2ppswfwd', 'parity_wgmma2mbbwd', 'bench_1b_wgmma2mbbwd', 'parity_wgmma2mbswbwd', 'bench_124m_wgmma2mbswbwd', 'parity_wgmma2pparegswfwd', 'bench_1b_wgmma2pparegswfwd', 'parity_wgmma2wsfwd', 'bench_1b_wgmma2wsfwd', 'parity_wgmma2wsswfwd', 'bench_124m_wgmma2wsswfwd', 'parity_wgmma2tmafwd', 'bench_1b_wgmma2tmafwd', 'parity_wgmma2tmak128fwd', 'bench_1b_wgmma2tmak128fwd', 'parity_wgmma2tmabwd', 'bench_1b_wgmma2tmabwd', 'parity_graph', 'bench_124m_graph', 'bench_1b_graph', 'timeline_graph', 'engine_graph', 'parity_head4k', 'bench_124m_head4k', 'bench_1b_head16k', 'parity_graphhead16k', 'bench_124m_graphhead16k', 'bench_1b_graphhead16k', 'parity_graphhead16kexp2', 'bench_124m_graphhead16kexp2', 'bench_1b_graphhead16kexp2', 'parity_adamwgrouped', 'bench_124m_adamwgrouped', 'bench_1b_adamwgrouped', 'parity_normdgeach', 'bench_124m_normdgeach', 'bench_1b_normdgeach', 'parity_ceexp2', 'bench_124m_ceexp2', 'bench_1b_ceexp2', 'parity_normdybf16', 'bench_124m_normdybf16', 'bench_1b_normdybf16', 'parity_tune32', 'bench_124m_tune32', 'bench_1b_tune32', 'parity_allopt', 'bench_124m_allopt', 'bench_1b_allopt', 'parity_pdl', 'bench_124m_pdl', 'bench_1b_pdl', 'parity_allpdl', 'bench_124m_allpdl', 'bench_1b_allpdl']) {
    assert.ok(stages.includes(s), `stage ${s} missing: ${stages.join(' ')}`);
  }
  assert.equal(j.stages.build.status, 'skipped');
  // the wgmma rate bench's rows reach the summary as its stage's result
  assert.equal(j.stages.wgmma_rate.result.rows[0].tflops, 300.5, JSON.stringify(j.stages.wgmma_rate));
  // each stage that ran took between zero and its time box, by the script's clock; wgmma_rate's stub
  // sleeps 0.25 s
  const wr = j.stages.wgmma_rate;
  assert.ok(wr.seconds >= 0.25 && wr.seconds < 5, JSON.stringify(wr));
  for (const [name, st] of Object.entries(j.stages) as [string, { rc?: number; seconds?: number; time_box_s?: number }][]) {
    if (typeof st.rc === 'number') assert.ok(st.seconds! >= 0 && st.seconds! <= st.time_box_s! + 5, `${name}: ${JSON.stringify(st)}`);
  }
  // two processes sharing a tuning cache: the stage compares their losses and sees the cache written
  assert.equal(j.stages.tune_repeat.result.ok, true, JSON.stringify(j.stages.tune_repeat));
  assert.equal(j.stages.tune_repeat.result.cache_entries, 1);
  // the stub ncu has no profiling sections: those stages fail, are named, and do not make the run
  // fail (attn_regs: the fake tree has no kernel_stats.py)
  assert.deepEqual([...j.optional_failed].sort(), ['attn_profile', 'attn_profile_1b', 'attn_profile_1b_wgfwd', 'attn_profile_base', 'attn_regs'], JSON.stringify(j.stages.attn_times));
  // one step's kernel times, this tree beside the baseline tree's, matched by kernel, largest first
  const kv = j.comparison.kernels_vs_base;
  assert.ok(near(kv.total_ms, 0.7) && near(kv.base_total_ms, 0.86), JSON.stringify(kv));
  assert.deepEqual(kv.kernels.map((k: { ms: number | null; base_ms: number | null }) => [k.ms, k.base_ms]), [[0.5, 0.6], [0.2, 0.25], [null, 0.01]]);
  assert.match(kv.kernels[0].name, /attn2_bwd_dkv_kernel/);
  const kv1b = j.comparison.kernels_vs_base_1b;
  assert.deepEqual(kv1b.kernels.map((k: { ms: number | null; base_ms: number | null }) => [k.ms, k.base_ms]), [[2, 2.4], [0.8, 1], [null, 0.04]]);
  // three files under $OUT (the device tool brings back eight at most): the rest in one archive
  assert.deepEqual(readdirSync(out).sort(), ['gpu-check-extras.tar.gz', 'gpu-check.json', 'gpu-check.log']);
  const extras = spawnSync('tar', ['tzf', join(out, 'gpu-check-extras.tar.gz')], { encoding: 'utf8' }).stdout.split('\n');
  for (const f of ['ncu', 'ncu_base', 'ncu_1b', 'ncu_1b_base']) assert.ok(extras.includes(`${f}.csv`), f);
  assert.ok(extras.includes('attn-times-1b-wgmma2fwd.csv'), extras.join(' '));
  // attention kernel times: every config × variant, summed per kernel from the CSV and per part
  const at = j.stages.attn_times.result;
  assert.equal(at.ok, true, JSON.stringify(j.stages.attn_times));
  // config by config, and within each the default, then the newest variants first (a cut takes the last)
  const order = ['default', 'wgmma2tmabwd', 'wgmma2tmak128fwd', 'wgmma2tmafwd', 'wgmma2wsfwd', 'wgmma2wsswfwd', 'wgmma2ppfwd', 'wgmma2ppswfwd', 'wgmma2pparegswfwd', 'wgmma2mbbwd', 'wgmma2mbswbwd', 'wgmma2aregfwd', 'wgmma2aregbwd', 'wgmma2atomicaregbwd', 'wgmma2aregswfwd', 'wgmma2atomicbwd', 'wgmma2atomicswbwd', 'wgmma2k128fwd', 'wgmma2k128swfwd', 'atomicbwd', 'tc2bwd', 'wgmma2fwd',
    'wgmma2swfwd', 'wgmma2swbwd', 'wgmma2bwd', 'wgmmafwd', 'wgmmasyncfwd', 'wgmmabwd', 'wgmmasync', 'rows32', 'fusedbwd', 'partials'];
  assert.deepEqual(at.runs.map((r: { config: string; variant: string }) => `${r.config}/${r.variant}`),
    [...order.map((v) => `gpt2-124m/${v}`), ...order.map((v) => `1b/${v}`)]);
  // its time box: 10 s per run (64 here: 640 s) or what is left of the budget, either more than the
  // 150 s it had
  const box = j.stages.attn_times.time_box_s;
  assert.ok(box > 150 && box <= 640, JSON.stringify(j.stages.attn_times));
  const run = (config: string, variant: string) => at.runs.find((r: { config: string; variant: string }) => r.config === config && r.variant === variant);
  const r32 = run('gpt2-124m', 'rows32');
  assert.equal(r32.kernels.length, 3);
  assert.match(r32.kernels[2].name, /attn2_fwd_kernel<64, false, 2, 64>/);
  assert.equal(r32.kernels[2].count, 2);
  assert.ok(near(r32.total_ms, 0.9) && near(r32.parts.forward, 0.15) && near(r32.parts.backward, 0.75), JSON.stringify(r32));
  assert.ok(near(run('1b', 'fusedbwd').parts.backward, 2.4), JSON.stringify(run('1b', 'fusedbwd')));
  const g = (v: string) => run('gpt2-124m', v);
  // the wgmma forward's kernel counts as the forward (slower than the 32-row one here: 160 µs against 150)
  assert.ok(near(g('wgmmafwd').parts.forward, 0.16), JSON.stringify(g('wgmmafwd')));
  // the wgmma kernels are counted as the dK/dV and dQ parts of a backward of their own
  assert.ok(near(g('wgmmabwd').parts.dkv, 0.3) && near(g('wgmmabwd').parts.dq, 0.25) && near(g('wgmmabwd').parts.backward, 0.55), JSON.stringify(g('wgmmabwd')));
  assert.ok(near(g('partials').parts.backward, 0.52), JSON.stringify(g('partials')));
  // the atomic adds' backward: the dK/dV kernel and the finish kernel (0.53 ms: not the best here)
  assert.ok(near(g('atomicbwd').parts.dq_finish, 0.03) && near(g('atomicbwd').parts.backward, 0.53), JSON.stringify(g('atomicbwd')));
  assert.ok(near(g('wgmmasync').parts.dkv, 0.35) && near(g('wgmmasync').parts.backward, 0.63), JSON.stringify(g('wgmmasync')));
  // ... and so are the two-warpgroup kernels (a backward of 0.54 ms, a forward of 0.18: neither the best here)
  assert.ok(near(g('wgmma2bwd').parts.dkv, 0.29) && near(g('wgmma2bwd').parts.backward, 0.54), JSON.stringify(g('wgmma2bwd')));
  assert.ok(near(g('wgmma2fwd').parts.forward, 0.18), JSON.stringify(g('wgmma2fwd')));
  // the fused wgmma backward is one dK/dV-part kernel plus the finish (0.55 ms), the 128-key forward a
  // forward (0.19 ms): neither the best here
  const fw = g('wgmma2atomicbwd');
  assert.ok(near(fw.parts.dkv, 0.52) && near(fw.parts.dq_finish, 0.03) && near(fw.parts.backward, 0.55), JSON.stringify(fw));
  assert.ok(near(g('wgmma2k128fwd').parts.forward, 0.19), JSON.stringify(g('wgmma2k128fwd')));
  // both wgmma schedules gave the same gpu-parity numbers (the same sums in the same order)
  assert.equal(j.comparison.wgmma_sync_same_as_overlapped, true);
  // ... and so did one and two warpgroups per block, backward and forward
  assert.deepEqual(j.comparison.wgmma2_same_as_one, { bwd: true, fwd: true });
  assert.equal(j.comparison.wgmma_sync_fwd_same_as_overlapped, true);
  // ... and so did the swizzled forward (the same values in other places)
  assert.deepEqual(j.comparison.wgmma_sw_same_as_plain, { fwd: true, bwd: true, k128_fwd: true, areg_fwd: true });
  // ... and so did the kernels holding the score products' A operand in registers
  assert.deepEqual(j.comparison.wgmma_areg_same_as_smem, { fwd: true, bwd: true });
  // ... and the forward with mbarrier stages and its warpgroups' products in turns
  assert.deepEqual(j.comparison.wgmma_pp_same_as_plain, { fwd: true, sw_fwd: true, areg_sw_fwd: true, ws_fwd: true, ws_sw_fwd: true, tma_fwd: true, tma_k128_fwd: true });
  // ... and the backward with mbarrier stages
  assert.deepEqual(j.comparison.wgmma_mb_same_as_plain, { bwd: true, sw_bwd: true, tma_bwd: true });
  assert.ok('engine_dq_atomic_tokens_per_s' in j.comparison['1b'] && 'engine_tc2_bwd_tokens_per_s' in j.comparison['1b'] && 'engine_wgmma2_atomic_bwd_tokens_per_s' in j.comparison['1b'] && 'engine_wgmma2_k128_fwd_tokens_per_s' in j.comparison['1b'] && 'engine_wgmma2_atomic_sw_bwd_tokens_per_s' in j.comparison['1b'] && 'engine_wgmma2_areg_fwd_tokens_per_s' in j.comparison['1b'] && 'engine_wgmma2_atomic_areg_bwd_tokens_per_s' in j.comparison['1b'] && 'engine_wgmma2_pp_fwd_tokens_per_s' in j.comparison['1b'] && 'engine_wgmma2_mb_bwd_tokens_per_s' in j.comparison['1b'], JSON.stringify(j.comparison['1b']));
  // the several-GPU build ran gpu-parity with the wgmma forward, as the one-target build did
  assert.deepEqual(j.comparison.fat_build, { env: 'LOCO_CUDA_ATTN_FWD=wgmma', ok: true, same_as_one_target: true });
  assert.match(j.stages.parity_fat.result.bin ?? '', /build-fat\/gpu-parity$/);
  // the best of each part: the 32-row forward, the partials backward (0.52 ms against the ordered
  // fused 0.6 and the split 0.75 and 0.9)
  // the 32-row kernels' attention checksum equals the default run's
  assert.equal(j.comparison.rows32_bit_identical, true);
  // the probe contradicts the kernels' MN-major reading: the wgmma variants run from a build with the
  // probe's readings, whose probe then agrees; the other variants from the default build
  assert.deepEqual(j.comparison.wgmma_layout, {
    d_layout_ok: true, a_regs_layout_ok: true, kmajor_lbo: 'k', kmajor_lbo_b_only: 'k', mnmajor_b_lbo: 'mn',
    kernel_assumes: { kmajor_lbo: 'k', mnmajor_b_lbo: 'k' }, kernel_layout_ok: false, sw128_kmajor_ok: true, sw128_mnmajor_ok: false, ok: true,
    variants_built_with: '-DLOCO_WG_KMAJOR_LBO_IS_K=1 -DLOCO_WG_MNMAJOR_LBO_IS_K=0', flipped_probe_kernel_layout_ok: true,
  });
  assert.equal(readFileSync(join(t.root, 'kernels', 'build-wgflip', 'flags'), 'utf8').trim(), '-DLOCO_WG_KMAJOR_LBO_IS_K=1 -DLOCO_WG_MNMAJOR_LBO_IS_K=0');
  for (const st of ['bench_124m_wgmmabwd', 'bench_1b_wgmmasync', 'bench_124m_wgmmafwd', 'bench_1b_wgmma2bwd', 'bench_124m_wgmma2fwd']) assert.match(j.stages[st].result.bin, /build-wgflip\/gpu-bench$/, st);
  for (const st of ['bench_124m', 'bench_124m_ropebwd']) assert.match(j.stages[st].result.bin, /kernels\/build\/gpu-bench$/, st);
  // a variant of two settings gets both (rows/bwd/rope/fwd/ce as the stub prints them)
  assert.equal(j.stages.bench_124m_own.result.attn_env, '/own//own/');
  assert.equal(j.stages.bench_124m_cudnn.result.attn_env, '/cudnn///');
  assert.equal(j.comparison['gpt2-124m'].engine_own_attention_tokens_per_s, 400_000);
  assert.equal(j.comparison['gpt2-124m'].engine_cudnn_atomic_bwd_tokens_per_s, 400_000);
  // (the default's settings: only the library differs)
  assert.equal(j.stages.bench_1b_cudnntorch.result.cudnn_lib, join(py, 'nvidia', 'cudnn', 'lib', 'libcudnn.so.9'));
  assert.equal(j.stages.bench_1b_cudnntorch.result.attn_env, '////');
  assert.equal(j.stages.bench_1b_cudnn.result.cudnn_lib, '');
  assert.equal(j.comparison['1b'].engine_cudnn_torch_lib_tokens_per_s, 80_000);
  // the cuDNN variants' gpu-parity gets a longer time box (a plan per shape, each maybe compiled)
  for (const v of ['cudnn', 'cudnntorch']) assert.ok(j.stages[`parity_${v}`].time_box_s > 60, v);
  for (const v of ['cecp', 'own']) assert.equal(j.stages[`parity_${v}`].time_box_s, 60, v);
  // variants whose parity numbers equal the default's to the last digit (fp32 logits round differently)
  assert.equal(j.comparison.parity_same_results_as_default.normreread, true);
  assert.equal(j.comparison.parity_same_results_as_default.logits32, false);
  assert.equal(j.comparison.parity_same_results_as_default.rows32, true);
  const b124 = at.best['gpt2-124m'];
  assert.equal(b124.forward.variant, 'rows32');
  assert.equal(b124.backward.variant, 'partials');
  assert.ok(near(b124.default_ms, 1.1) && near(b124.best_ms, 0.67) && near(at.best['1b'].best_ms, 2.68), JSON.stringify(at.best));
  // each kernel's own best: the 32-row forward, dK/dV and dQ (450 and 300 µs against 500 and 400),
  // but the partials backward (520 µs) beats their sum and the wgmma backward (550); that mix is
  // benchmarked end to end with its settings
  assert.equal(b124.dkv.variant, 'rows32');
  assert.equal(b124.dq.variant, 'rows32');
  assert.deepEqual(b124.env, { LOCO_CUDA_ATTN_ROWS: 'fwd', LOCO_CUDA_ATTN_BWD: 'partials' });
  // (the backward is a fused one, which cannot take LOCO_CUDA_ROPE_BWD: not added though it was
  // faster; the stub is 2k tokens/s faster with LOCO_CUDA_CE=cpasync, which is added)
  // (on our own kernels, as attn_times timed them: LOCO_CUDA_ATTN_FWD=own, not cuDNN's default forward)
  assert.equal(j.stages.bench_124m_best.result.attn_env, 'fwd/partials//own/cpasync');
  assert.equal(j.stages.bench_1b_best.result.attn_env, 'fwd/partials//own/cpasync');
  assert.equal(j.comparison['gpt2-124m'].engine_attn_best_env, 'LOCO_CUDA_ATTN_FWD=own LOCO_CUDA_ATTN_BWD=partials LOCO_CUDA_ATTN_ROWS=fwd LOCO_CUDA_CE=cpasync');
  assert.equal(j.comparison['gpt2-124m'].engine_dq_partials_tokens_per_s, 400_000);
  const c = j.comparison['gpt2-124m'];
  assert.equal(c.engine_default_tokens_per_s, 400_000);
  assert.equal(c.engine_fused_bwd_tokens_per_s, 400_000);
  assert.equal(c.engine_rows32_tokens_per_s, 400_000);
  assert.equal(c.engine_logits_fp32_tokens_per_s, 400_000);
  assert.equal(c.engine_norm_bwd_reread_tokens_per_s, 400_000);
  assert.equal(c.engine_wgmma_bwd_tokens_per_s, 400_000);
  assert.equal(c.engine_wgmma_sync_bwd_tokens_per_s, 400_000);
  assert.equal(c.engine_wgmma_fwd_tokens_per_s, 400_000);
  assert.equal(c.engine_wgmma2_bwd_tokens_per_s, 400_000);
  assert.equal(c.engine_wgmma2_fwd_tokens_per_s, 400_000);
  assert.equal(c.engine_wgmma_sync_fwd_tokens_per_s, 400_000);
  assert.equal(c.engine_rope_bwd_fused_tokens_per_s, 405_000);
  assert.equal(c.baseline_tc2_tokens_per_s, 300_000);
  assert.equal(c.baseline_tc_tokens_per_s, 301_000);
  assert.equal(c.baseline_best, 'tc');
  assert.equal(c.engine_best, 'rope_bwd_fused');
  assert.ok(Math.abs(c.speedup_vs_baseline - 405 / 301) < 1e-9);
  assert.ok(Math.abs(c.speedup_vs_torch_compile - 0.81) < 1e-9);
  // the attention alone per step: PyTorch's SDPA (a backend it lacks keeps its error) beside the engine's kernels
  assert.deepEqual(c.torch_attention_ms_per_step, { default: { fwd_ms_per_step: 1.5, bwd_ms_per_step: 4.0, total_ms_per_step: 5.5 }, cudnn: { error: 'RuntimeError: no cuDNN attention' } });
  assert.ok(near(c.engine_attention_ms_per_step.default, 1.1) && near(c.engine_attention_ms_per_step.best_combination, 0.67), JSON.stringify(c.engine_attention_ms_per_step));
  assert.ok(Math.abs(j.comparison['1b'].speedup_vs_torch_compile - 0.85) < 1e-9);
  assert.ok(Math.abs(j.comparison.sparseloco_124m.compress_speedup_vs_torch - 30) < 1e-9);
  assert.equal(j.device_name, 'Stub GPU');
  // the next GPU run's commands (docs/benchmarks.md, "The next GPU run") name only stages that exist:
  // a misspelt name in GPU_CHECK_SKIP or GPU_CHECK_ONLY would silently run or skip the wrong ones
  const doc = readFileSync(join(ROOT, 'docs', 'benchmarks.md'), 'utf8');
  const plan = doc.slice(doc.lastIndexOf('**The next GPU run.**'));
  const named = [...plan.matchAll(/GPU_CHECK_(SKIP|ONLY)="([^"]*)"/g)];
  assert.ok(named.length >= 2, 'the next run names its stages');
  for (const m of named) for (const st of m[2].split(/\s+/).filter(Boolean)) assert.ok(stages.includes(st), `GPU_CHECK_${m[1]} names ${st}, not a stage of gpu-check.sh`);
  // tools/gpu_report.py turns the summary into docs/benchmarks.md's tables: every engine setting with
  // its ratio to torch.compile, every attn_times run, wgmma_rate's rows, the checks
  const rep = spawnSync('python3', [join(ROOT, 'kernels', 'tools', 'gpu_report.py'), join(out, 'gpu-check.json')], { encoding: 'utf8' });
  assert.equal(rep.status, 0, rep.stderr);
  const lines = rep.stdout.split('\n');
  assert.ok(lines.includes(`| 1 | gpt2-124m | default | 400.0k | ${c.engine_default_step_ms.toFixed(2)} | ${(100 * c.engine_default_mfu).toFixed(1)} % | ${(400_000 / c.torch_compile_tokens_per_s).toFixed(3)} |`), rep.stdout);
  assert.equal(lines.filter((l) => /^\| 1 \| (gpt2-124m|1b) \| [a-z0-9]+ \| [0-9.—]+ \|/.test(l)).length, at.runs.length, rep.stdout);
  assert.ok(lines.includes('| 1 | ss64 | none | 2 | 300.5 |'), rep.stdout);
  // the goal's line: the stub benches' 30 % reach nothing
  assert.ok(lines.some((l) => /^- summary 1: default 30\.0 %, best \S+ 30\.0 %; at least 50 %: none$/.test(l)), rep.stdout);
  // a decision row per timed variant and config, and per config for each of the seventeen variants
  // attn_times does not time (gpu_report.py's PROFILED_VARIANTS, judged by their benches' part
  // times); the stub benches are all equal: keep the default
  const decided = lines.filter((l) => /^\| 1 \| (gpt2-124m|1b) \| [a-z0-9]+ \| (passed|failed|not run) \|/.test(l) && !l.includes('| best |'));
  assert.equal(decided.length, at.runs.filter((r: { variant: string }) => r.variant !== 'default').length + 34, rep.stdout);
  // CUDA graphs are judged by the whole step (the stub's step_ms is the same: keep the default)
  assert.equal(decided.filter((l) => l.includes('| graph | passed | step | 40.00 | 40.00 | 1.008 |')).length, 1, rep.stdout);
  // ... and so are graphs with the head in one chunk, the two together
  assert.equal(decided.filter((l) => l.includes('| graphhead16k | passed | step |')).length, 2, rep.stdout);
  assert.equal(decided.filter((l) => l.includes('| graphhead16kexp2 | passed | step |')).length, 2, rep.stdout);
  assert.equal(decided.filter((l) => l.includes('| adamwgrouped | passed | step |')).length, 2, rep.stdout);
  assert.equal(decided.filter((l) => l.includes('| normdgeach | passed | norm |')).length, 2, rep.stdout);
  assert.equal(decided.filter((l) => l.includes('| ceexp2 | passed | crossentropy |')).length, 2, rep.stdout);
  assert.equal(decided.filter((l) => l.includes('| normdybf16 | passed | step |')).length, 2, rep.stdout);
  assert.equal(decided.filter((l) => l.includes('| allopt | passed | step |')).length, 2, rep.stdout);
  assert.equal(decided.filter((l) => l.includes('| tune32 | passed | step |')).length, 2, rep.stdout);
  // programmatic dependent launch alone against the default (the stub adds 1,000 tokens/s: 1.0025), and with
  // every other opt-in against allopt's bench (BASELINES): what it adds to them, not their sum
  assert.equal(decided.filter((l) => l.includes('| gpt2-124m | pdl | passed | step | 40.00 | 40.00 | 1.002 |')).length, 1, rep.stdout);
  assert.equal(decided.filter((l) => l.includes('| gpt2-124m | allpdl | passed | step | 40.00 | 40.00 | 1.002 (against allopt) |')).length, 1, rep.stdout);
  assert.equal(j.comparison['gpt2-124m'].engine_all_opt_ins_pdl_tokens_per_s, 404_000);
  assert.deepEqual(j.comparison.pdl.parity_124m, { supported: true, bit_identical: true, graphs_bit_identical: true, ok: true });
  assert.equal(j.comparison.pdl.parity_allpdl_ok, true);
  assert.equal(j.comparison['gpt2-124m'].engine_gemm_tune_32_tokens_per_s, j.stages.bench_124m_tune32.result.tokens_per_s);
  assert.equal(j.comparison['1b'].engine_norm_dy_bf16_tokens_per_s, j.stages.bench_1b_normdybf16.result.tokens_per_s);
  assert.equal(j.stages.bench_124m_graphhead16k.result.graphs.enabled, true);
  assert.equal(j.comparison['gpt2-124m'].engine_graphs_head_rows_16384_tokens_per_s, j.stages.bench_124m_graphhead16k.result.tokens_per_s);
  assert.equal(decided.filter((l) => l.includes('| cecp | passed | crossentropy |')).length, 2, rep.stdout);
  assert.equal(decided.filter((l) => l.includes('| own | passed | attention |')).length, 2, rep.stdout);
  assert.equal(decided.filter((l) => l.includes('| cudnn | passed | attention_bwd |')).length, 2, rep.stdout);
  assert.equal(decided.filter((l) => l.includes('| cudnntorch | passed | attention |')).length, 2, rep.stdout);
  assert.ok(decided.every((l) => l.includes('keep the default')), decided.join('\n'));
  // the cuDNN attention's plan line (its engine; the stub prints it for the default's forward) reaches
  // the summary's stage record and the report, once
  assert.deepEqual(j.stages.bench_124m.cudnn, ['loco-engine: cuDNN 91400 attention forward for B 16, T 1024, 12 heads of 64: built in 1200 ms, 0-byte workspace, heuristics mode A 0 of 3 (engine 8)']);
  assert.equal(j.stages.bench_124m_own.cudnn, undefined);
  assert.equal(lines.filter((l) => l.includes('attention forward for B 16, T 1024')).length, 1, rep.stdout);
  assert.ok(lines.includes('- summary 1, `bench_124m`: loco-engine: cuDNN 91400 attention forward for B 16, T 1024, 12 heads of 64: built in 1200 ms, 0-byte workspace, heuristics mode A 0 of 3 (engine 8)'), rep.stdout);
  // the step's timeline: the GPU's idle time between its activities (tools/gaps.py on nsys's trace),
  // in the summary, the report and the extras archive
  const tl = j.stages.timeline.result;
  assert.equal(tl.activities, 3);
  assert.equal(tl.kernels, 2);
  assert.ok(near(tl.span_ms, 0.018) && near(tl.busy_ms, 0.0155) && near(tl.gaps_ms, 0.0025) && near(tl.kernel_sum_ms, 0.015), JSON.stringify(tl));
  assert.deepEqual(tl.largest.map((g: { us: number }) => g.us), [1.5, 1]);
  // ... and by kind: the copy, then the embedding 1.5 µs after it, the norm 1 µs after that
  assert.deepEqual(Object.keys(tl.by_kind).sort(), ['copy', 'embed', 'norm']);
  assert.ok(near(tl.by_kind.embed.ms, 0.01) && near(tl.by_kind.embed.gap_before_ms, 0.0015) && near(tl.by_kind.norm.gap_before_ms, 0.001) && tl.by_kind.copy.gap_before_ms === 0, JSON.stringify(tl.by_kind));
  assert.ok(lines.includes('- summary 1, `timeline` by kind (count, ms, idle ms before): embed 1 0.010 0.002, norm 1 0.005 0.001, copy 1 0.001 0.000'), rep.stdout);
  assert.ok(lines.some((l) => l.startsWith('- summary 1, `timeline`: 0.003 ms of 0.018 between activities')), rep.stdout);
  assert.ok(spawnSync('tar', ['tzf', join(out, 'gpu-check-extras.tar.gz')], { encoding: 'utf8' }).stdout.split('\n').includes('timeline.csv'));
  // ... and the same step as CUDA graphs
  assert.equal(j.stages.timeline_graph.result.activities, 3);
  assert.ok(lines.some((l) => l.startsWith('- summary 1, `timeline_graph`: 0.003 ms of 0.018 between activities')), rep.stdout);
  assert.ok(extras.includes('timeline_graph.csv'), extras.join(' '));
  // CUDA graphs: gpu-parity's bit-for-bit check and the benches' counts reach the summary and the report
  assert.equal(j.stages.bench_124m_graph.result.graphs.enabled, true);
  assert.equal(j.stages.bench_124m.result.graphs.enabled, false);
  assert.equal(j.comparison.graphs.parity_124m.bit_identical, true);
  assert.equal(j.comparison.graphs.parity_graph_ok, true);
  assert.equal(j.comparison.graphs.engine_session_ok, true);
  assert.deepEqual(j.comparison.graphs.bench_1b, { enabled: true, captured: 1, launched: 9, capture_failures: 0 });
  assert.equal(j.comparison['gpt2-124m'].engine_graphs_tokens_per_s, 403_000);
  assert.equal(j.comparison['1b'].engine_head_rows_16384_tokens_per_s, 80_000);
  assert.equal(decided.filter((l) => /\| head(4|16)k \| passed \| head_matmul \|/.test(l)).length, 4, rep.stdout);
  assert.ok(lines.some((l) => l.startsWith('- summary 1, `graphs`: {"parity_tiny": {"captured": 3')), rep.stdout);
  assert.ok(lines.includes('- summary 1, `wgmma_pp_same_as_plain`: {"fwd": true, "sw_fwd": true, "areg_sw_fwd": true, "ws_fwd": true, "ws_sw_fwd": true, "tma_fwd": true, "tma_k128_fwd": true}'), rep.stdout);
});

test('gpu-check.sh: a failing required stage fails the run (exit 1, "ok": false) and the later stages still run', () => {
  const t = fakeTree({ parityOk: false });
  rmSync(join(t.bin, 'nsys'));  // (and a machine without Nsight Systems: its stage is skipped)
  const r = runCheck(t, join(t.root, 'out'));
  assert.equal(r.status, 1, r.stderr.slice(-2000));
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(j.ok, false);
  assert.equal(j.comparison.engine_parity.ok, false);
  assert.equal(j.stages.bench_1b.result.tokens_per_s, 80_000);
  // a variant whose parity failed is not benchmarked nor profiled: no device time on it
  for (const s of ['bench_124m_rows32', 'bench_1b_rows32', 'bench_124m_fusedbwd', 'bench_1b_fusedbwd', 'bench_124m_logits32', 'bench_1b_ropebwd', 'bench_124m_partials']) assert.equal(j.stages[s].status, 'skipped', s);
  assert.equal(j.stages.timeline.status, 'skipped');
  // no PyTorch cuDNN package on this path: its variant is recorded as skipped
  for (const s of ['parity_cudnntorch', 'bench_124m_cudnntorch', 'bench_1b_cudnntorch']) assert.equal(j.stages[s].status, 'skipped', s);
  assert.deepEqual(j.stages.attn_times.result.runs.map((r: { variant: string }) => r.variant), ['default', 'default']);
  // only the default ran: no combination to benchmark
  assert.equal(j.stages.bench_124m_best.status, 'skipped');
});

test('gpu-check.sh: bench_*_best adds LOCO_CUDA_ROPE_BWD=fused to the fastest split attention when bench_*_ropebwd beat the default, and LOCO_CUDA_CE=cpasync when bench_*_cecp did', () => {
  const t = fakeTree({ parityOk: true, slowFused: true });
  const r = runCheck(t, join(t.root, 'out'), { STUB_SYNC_DIFFERS: '1' });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
  const b124 = j.stages.attn_times.result.best['gpt2-124m'];
  assert.equal(b124.backward.variant, 'split');
  // the two-warpgroup wgmma forward is the fastest forward here (110 µs against 120 for one
  // warpgroup and 150 for 32 rows per warp): it replaces the 32-row one
  assert.equal(b124.forward.variant, 'wgmma2fwd');
  assert.deepEqual(b124.env, { LOCO_CUDA_ATTN_ROWS: 'dkv,dq', LOCO_CUDA_ATTN_FWD: 'wgmma2' });
  // the stub gpu-bench is 5k tokens/s faster with LOCO_CUDA_ROPE_BWD=fused: the mix is benchmarked
  // (our own backward, `own`, takes it)
  assert.equal(j.stages.bench_124m_best.result.attn_env, 'dkv,dq/own/fused/wgmma2/cpasync');
  assert.equal(j.comparison['gpt2-124m'].engine_attn_best_env, 'LOCO_CUDA_ATTN_FWD=wgmma2 LOCO_CUDA_ATTN_BWD=own LOCO_CUDA_ATTN_ROWS=dkv,dq LOCO_CUDA_ROPE_BWD=fused LOCO_CUDA_CE=cpasync');
  // the two wgmma schedules' gpu-parity numbers differ here, and so do one and two warpgroups' backward:
  // the comparisons say so
  assert.equal(j.comparison.wgmma_sync_same_as_overlapped, false);
  assert.deepEqual(j.comparison.wgmma2_same_as_one, { bwd: false, fwd: true });
});

test('gpu-check.sh: GPU_CHECK_ONLY runs the stages it names and records every other one as skipped (a second call on a warm machine)', () => {
  const t = fakeTree({ parityOk: true });
  const only = 'parity_wgmma2aregfwd bench_124m_wgmma2aregfwd parity_wgmma2aregbwd bench_124m_wgmma2aregbwd attn_times';
  const r = runCheck(t, join(t.root, 'out'), { GPU_CHECK_ONLY: only, GPU_CHECK_SKIP: '', GPU_CHECK_ATTN_CONFIGS: '1b' });
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
  const ran = Object.entries(j.stages as Record<string, { status: string }>).filter(([, v]) => v.status !== 'skipped').map(([k]) => k);
  assert.deepEqual(ran.sort(), only.split(' ').sort(), r.stderr.slice(-2000));
  assert.equal(j.stages.build.status, 'skipped');
  assert.equal(j.stages.bench_1b_wgmma2aregfwd.status, 'skipped');
  // attn_times measures the default and the variants whose parity passed in this call, for the
  // configs GPU_CHECK_ATTN_CONFIGS names (the first test: both by default)
  assert.deepEqual(j.stages.attn_times.result.runs.map((x: { config: string; variant: string }) => `${x.config}/${x.variant}`),
    ['1b/default', '1b/wgmma2aregfwd', '1b/wgmma2aregbwd']);
  // a call without attn_times (h200-8's second call): bench_*_best is skipped without a shell error
  const r2 = runCheck(t, join(t.root, 'out2'), { GPU_CHECK_ONLY: 'bench_124m', GPU_CHECK_SKIP: '' });
  assert.equal(r2.status, 0, r2.stderr.slice(-2000));
  assert.doesNotMatch(r2.stderr, /No such file/);
  assert.equal(JSON.parse(r2.stdout.trim().split('\n').pop()!).stages.bench_124m_best.status, 'skipped');
});

/** The `VAR=value` and `VAR="value"` words of a command in docs/benchmarks.md's plan. */
function planEnv(cmd: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of cmd.matchAll(/\b(GPU_CHECK_[A-Z0-9_]+)=(?:"([^"]*)"|(\S+))/g)) env[m[1]] = m[2] ?? m[3];
  return env;
}

test('the next GPU run (docs/benchmarks.md): both calls run on stub tools, and every setting the second call benches was benched by the first too', () => {
  // the 50 % MFU counts only for a setting that reaches it in both calls: a setting only the second
  // call benches could never count (the first plan after h200-8 had allopt so)
  const doc = readFileSync(join(ROOT, 'docs', 'benchmarks.md'), 'utf8');
  const plan = doc.slice(doc.lastIndexOf('**The next GPU run.**'));
  const cmds = [...plan.matchAll(/```\n(cd \.snap && [\s\S]*?)```/g)].map((m) => m[1]);
  assert.equal(cmds.length, 2, 'the plan has two gpu-check.sh calls');
  const t = fakeTree({ parityOk: true });
  const benched = cmds.map((cmd, i) => {
    const env = planEnv(cmd);
    assert.ok(env.GPU_CHECK_SKIP !== undefined || env.GPU_CHECK_ONLY !== undefined, cmd);
    // the stub tree has its tools in place already: the build and the ABI checks are skipped
    const r = runCheck(t, join(t.root, `plan${i + 1}`), { ...env, GPU_CHECK_SKIP: `${env.GPU_CHECK_SKIP ?? ''} build build_base abi codec_variants`, GPU_CHECK_BASELINE: '' });
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
    return Object.entries(j.stages as Record<string, { status: string; rc?: number }>)
      .filter(([k, v]) => k.startsWith('bench_124m') && v.rc === 0).map(([k]) => k);
  });
  assert.ok(benched[1].length >= 2 && benched[1].includes('bench_124m'), benched[1].join(' '));
  for (const b of benched[1]) assert.ok(benched[0].includes(b), `${b}: benched by the second call only`);
  // the settings the goal may rest on are in both
  for (const v of ['', '_graph', '_graphhead16k', '_allopt', '_pdl', '_allpdl']) assert.ok(benched[1].includes(`bench_124m${v}`), v);
});

test('gpu_report.py applies the decision rules written before the run: parity, a faster part, a bench more than 1 % faster', () => {
  const dir = tempDir('loco-gpureport-');
  const tps = (t: number) => ({ rc: 0, result: { tokens_per_s: t } });
  const run = (variant: string, forward: number, backward: number) => ({ config: '1b', variant, parts: { forward, backward }, total_ms: forward + backward });
  const first = {
    stages: {
      bench_1b: tps(80_000), bench_1b_best: tps(86_000), bench_124m_best: tps(470_000),
      // a variant outside the attention: judged by its part of gpu-bench's step profile
      bench_124m: { rc: 0, result: { tokens_per_s: 450_000, profile_ms: { crossentropy: 1.55 }, attention_fwd_ms_per_step: 2.3, attention_bwd_ms_per_step: 7.1 } },
      parity_cecp: { rc: 0 },
      bench_124m_cecp: { rc: 0, result: { tokens_per_s: 456_000, profile_ms: { crossentropy: 0.9 } } },
      bench_1b_cecp: { rc: 0, result: { tokens_per_s: 80_100, profile_ms: { crossentropy: 1.2 } } },
      // attention settings attn_times does not time, judged by gpu-bench's attention times: our own
      // kernels (forward and backward) ...
      parity_own: { rc: 0 },
      bench_124m_own: { rc: 0, result: { tokens_per_s: 470_000, attention_fwd_ms_per_step: 1.4, attention_bwd_ms_per_step: 3.6 } },
      // ... cuDNN's backward with dQ by atomic adds (flagged; the default's deterministic one is not),
      // by the backward alone ...
      parity_cudnn: { rc: 0 },
      bench_124m_cudnn: { rc: 0, result: { tokens_per_s: 505_000, attention_fwd_ms_per_step: 1.4, attention_bwd_ms_per_step: 3.6 } },
      // ... and the default's settings from PyTorch's cuDNN
      parity_cudnntorch: { rc: 0 },
      bench_124m_cudnntorch: { rc: 0, result: { tokens_per_s: 500_000, attention_fwd_ms_per_step: 1.4, attention_bwd_ms_per_step: 3.7 } },
      parity_wgmma2tmafwd: { rc: 0 }, bench_1b_wgmma2tmafwd: tps(84_000),
      parity_wgmma2tmabwd: { rc: 0 }, bench_1b_wgmma2tmabwd: tps(80_400),
      parity_wgmma2mbswbwd: { rc: 1 }, bench_1b_wgmma2mbswbwd: tps(90_000),
      parity_wgmma2atomicbwd: { rc: 0 }, bench_1b_wgmma2atomicbwd: tps(88_000),
      attn_times: { rc: 0, result: { runs: [run('default', 10, 40), run('wgmma2tmafwd', 8, 40), run('wgmma2tmabwd', 10, 38),
        run('wgmma2mbswbwd', 10, 37), run('wgmma2atomicbwd', 10, 30), run('wgmma2aregfwd', 11, 40)] } },
    },
    comparison: { '1b': { engine_attn_best_env: 'LOCO_CUDA_ATTN_FWD=wgmma2-tma', engine_default_tokens_per_s: 80_000, torch_compile_tokens_per_s: 100_000 },
      // a best mix with cuDNN's deterministic backward is not taken for the atomic one
      'gpt2-124m': { engine_attn_best_env: 'LOCO_CUDA_ATTN_FWD=cudnn LOCO_CUDA_ATTN_BWD=cudnn-det',
        // the 50 % MFU goal: which settings reached it
        engine_default_mfu: 0.458, engine_graphs_mfu: 0.4999, engine_graphs_head_rows_16384_mfu: 0.503, engine_own_mfu: null } },
  };
  // a second call without a default bench of its own: the first summary's stands in, marked
  // (its speed table: its own torch.compile where it has one; a third without one takes the first's, marked)
  const second = { comparison: { '1b': { engine_default_tokens_per_s: 81_000, torch_compile_tokens_per_s: 90_000 } },
    stages: { parity_wgmma2tmafwd: { rc: 0 }, bench_1b_wgmma2tmafwd: tps(84_000),
    attn_times: { rc: 0, result: { runs: [run('default', 10, 40), run('wgmma2tmafwd', 8, 40)] } } } };
  writeFileSync(join(dir, 's1.json'), JSON.stringify(first));
  writeFileSync(join(dir, 's2.json'), JSON.stringify(second));
  writeFileSync(join(dir, 's3.json'), JSON.stringify({ comparison: { '1b': { engine_default_tokens_per_s: 82_000 } }, stages: {} }));
  const rep = spawnSync('python3', [join(ROOT, 'kernels', 'tools', 'gpu_report.py'), join(dir, 's1.json'), join(dir, 's2.json'), join(dir, 's3.json')], { encoding: 'utf8' });
  assert.equal(rep.status, 0, rep.stderr);
  const speed = rep.stdout.split('\n').filter((l) => /^\| [123] \| 1b \| default \| [0-9.]+k \| /.test(l));
  assert.deepEqual(speed, [
    '| 1 | 1b | default | 80.0k | — | — % | 0.800 |',
    '| 2 | 1b | default | 81.0k | — | — % | 0.900 |',
    '| 3 | 1b | default | 82.0k | — | — % | 0.820 (torch.compile of summary 1) |',
  ], rep.stdout);
  const rows = rep.stdout.split('\n').filter((l) => /^\| [12] \| 1b \| /.test(l) && l.split('|').length === 11);
  assert.deepEqual(rows, [
    '| 1 | 1b | wgmma2tmafwd | passed | forward | 8.00 | 10.00 | 1.050 | adopt |',
    '| 1 | 1b | wgmma2tmabwd | passed | backward | 38.00 | 40.00 | 1.005 | keep the default: bench +0.5 %, within the 1 % noise |',
    '| 1 | 1b | wgmma2mbswbwd | failed | backward | 37.00 | 40.00 | 1.125 | keep the default: parity failed |',
    "| 1 | 1b | wgmma2atomicbwd | passed | backward | 30.00 | 40.00 | 1.100 | adopt only if no deterministic setting comes within 1 % (dQ's last bits vary run to run) |",
    '| 1 | 1b | wgmma2aregfwd | not run | forward | 11.00 | 10.00 | — | keep the default: parity not run; forward +1.00 ms; no bench |',
    '| 1 | 1b | best | not run | total | — | — | 1.075 | adopt (LOCO_CUDA_ATTN_FWD=wgmma2-tma) |',
    '| 1 | 1b | cecp | passed | crossentropy | 1.20 | — | 1.001 | keep the default: no part time; bench +0.1 %, within the 1 % noise |',
    '| 1 | 1b | own | passed | attention | — | — | — | keep the default: no part time; no bench |',
    '| 1 | 1b | cudnn | passed | attention_bwd | — | — | — | keep the default: no part time; no bench |',
    '| 1 | 1b | cudnntorch | passed | attention | — | — | — | keep the default: no part time; no bench |',
    '| 2 | 1b | wgmma2tmafwd | passed | forward | 8.00 | 10.00 | 1.050 (default from another summary) | adopt |',
  ], rep.stdout);
  assert.ok(rep.stdout.includes('| 1 | gpt2-124m | cecp | passed | crossentropy | 0.90 | 1.55 | 1.013 | adopt |'), rep.stdout);
  assert.ok(rep.stdout.includes('| 1 | gpt2-124m | own | passed | attention | 5.00 | 9.40 | 1.044 | adopt |'), rep.stdout);
  assert.ok(rep.stdout.includes("| 1 | gpt2-124m | cudnn | passed | attention_bwd | 3.60 | 7.10 | 1.122 | adopt only if no deterministic setting comes within 1 % (dQ's last bits vary run to run) |"), rep.stdout);
  assert.ok(rep.stdout.includes('| 1 | gpt2-124m | cudnntorch | passed | attention | 5.10 | 9.40 | 1.111 | adopt |'), rep.stdout);
  assert.ok(rep.stdout.includes('| 1 | gpt2-124m | best | not run | total | — | — | 1.044 | adopt (LOCO_CUDA_ATTN_FWD=cudnn LOCO_CUDA_ATTN_BWD=cudnn-det) |'), rep.stdout);
  const goal = rep.stdout.split('\n').filter((l) => l.startsWith('- summary ') && l.includes('at least 50 %'));
  assert.deepEqual(goal, ['- summary 1: default 45.8 %, best graphs_head_rows_16384 50.3 %; at least 50 %: graphs_head_rows_16384 (50.3 %)'], rep.stdout);
});

test('gaps.py sorts a step trace into kinds by kernel name: the time of each kind and the idle time before it', () => {
  const dir = tempDir('loco-gaps-');
  const names = [
    '[CUDA memcpy Host-to-Device]', 'nvjet_sm90_tss_128x128_64x6_2x1_v_bx_TNT',
    '"void cublasLt::splitKreduce_kernel<32, 16, int, float, float>(cublasLt::cublasSplitKParams<float>, const float *)"',
    'cudnn_generated_fort_native_sdpa_sm90_flash_fprop_wgmma_f16_knob_3_64x64x64_4x1x1_kernel0_0',
    '"void attn_tc2::attn2_bwd_dq_kernel<64, 0, 1, 64>(__nv_bfloat16 *, const __nv_bfloat16 *)"',
    '"void <unnamed>::rmsnorm_backward_dg_kernel<__nv_bfloat16, 6>(float *, T1 *)"', '"void <unnamed>::rope_vec_kernel<__nv_bfloat16>(T1 *)"',
    '"void <unnamed>::swiglu_forward_vec_kernel<__nv_bfloat16>(T1 *, const T1 *, int, int)"',
    '"void <unnamed>::crossentropy_bf16_kernel<__nv_bfloat16, <unnamed>::CeExp2>(const __nv_bfloat16 *)"',
    '"<unnamed>::adamw_vec_kernel(float4 *, const float4 *)"', '"<unnamed>::sum_squares_kernel(double *, const float *, unsigned long)"',
    '"<unnamed>::embed_backward_kernel(float *, const float *, const int *)"', 'some_other_kernel',
  ];
  // each 1000 ns long, 500 ns apart, except the second matmul: it starts before the first ends
  const rows = names.map((n, i) => `${i * 1500 - (i === 2 ? 800 : 0)},1000,${i},${n}`);
  writeFileSync(join(dir, 't.csv'), ['Generating SQLite file', 'Start (ns),Duration (ns),CorrId,Name', ...rows].join('\n') + '\n');
  const r = spawnSync('python3', [join(ROOT, 'kernels', 'tools', 'gaps.py'), join(dir, 't.csv')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const k = JSON.parse(r.stdout).by_kind as Record<string, { count: number; ms: number; gap_before_ms: number }>;
  assert.deepEqual(Object.fromEntries(Object.entries(k).map(([n, v]) => [n, v.count])),
    { copy: 1, matmul: 2, attention: 2, norm: 1, rope: 1, swiglu: 1, crossentropy: 1, optimizer: 2, embed: 1, other: 1 });
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;
  assert.ok(near(k.attention.ms, 0.002) && near(k.optimizer.gap_before_ms, 0.001), JSON.stringify(k));
  // the overlapping matmul adds no idle time; the first one's 500 ns do
  assert.ok(near(k.matmul.gap_before_ms, 0.0005) && k.copy.gap_before_ms === 0, JSON.stringify(k));
});
