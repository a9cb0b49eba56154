#!/usr/bin/env bash
# kernels/gpu-check.sh — everything that needs a GPU, in one run of under 5 minutes (issue #8;
# docs/cuda.md "SparseLoCo on the GPU" and "gpu-check.sh"). Needs bash, make, nvcc, g++ and python3
# with PyTorch (the GPU machines have no Node.js). `npm run gpu:check` calls it.
#
#   bash kernels/gpu-check.sh            # prints ONE JSON summary on stdout, progress on stderr
#   OUT=/some/dir bash kernels/gpu-check.sh   # also writes OUT/gpu-check.json, OUT/gpu-check.log and
#                                             # OUT/gpu-check-extras.tar.gz (profiles, kernel times): three
#                                             # files, since the device tool brings back at most eight
#
# Stages (each time-boxed; a failing stage is recorded and the next one runs):
#   info        nvidia-smi, nvcc, torch versions
#   build       make -k -C kernels -j16 cuda gpu-tools  (engine, gpu-parity, gpu-bench, codec-cuda)
#   abi         optional: make cublaslt-abi-check (our cuBLASLt declarations vs cublasLt.h)
#   wgmma_probe optional: build/wgmma-probe, the wgmma fragment and descriptor layouts (one warpgroup
#               MMA per reading; test/wgmma_probe.cu)
#   wgmma_rate  optional: build/wgmma-rate, wgmma's TFLOP/s per operand layout alone (test/wgmma_rate.cu)
#   build_wgflip, wgmma_probe_flip  optional, only where wgmma_probe found the descriptor strides other
#               than the kernels read them: a build in build-wgflip with the probe's readings
#               (NVCCFLAGS_EXTRA=-DLOCO_WG_*_LBO_IS_K=…), whose gpu-parity and gpu-bench the wgmma
#               variants then use, and its probe
#   build_base  only with GPU_CHECK_BASELINE=DIR (an earlier kernels/ tree): its build/gpu-bench
#   parity      build/gpu-parity --config tiny --seed 1 --B 4 --dump DIR  (CUDA vs CPU engine, default
#               attention; also the tensor-core attention kernels against the CUDA-core ones);
#               parity_124m at gpt2-124m shapes (B 1, T 192)
#   reference   reference/model.py DIR  (both engines' gradients vs a float64 PyTorch reference)
#   engine      tools/engine_session.py: a miner's window over the line protocol (train, eval, save,
#               delta, apply dense and sparse, load, resume, save-load-save), cuda vs cpu
#   codec       build/codec-cuda parity bench  (GPU codec bytes vs the CPU codec; compress/aggregate)
#   bench_124m  build/gpu-bench --config gpt2-124m --tokens 16384
#               (bench_124m_base_ATTN: the baseline tree's gpu-bench --attn ATTN, for each ATTN in
#               GPU_CHECK_BASELINE_ATTN, default "tc2"; a tree up to 76335e0 also has "tc")
#   bench_1b    build/gpu-bench --config 1b --tokens 16384          (bench_1b_base_ATTN likewise)
#   bench_*_heur, bench_124m_ce  optional: LOCO_CUDA_GEMM_TUNE=0 (the heuristic's first matmul
#               algorithm instead of the timed one), LOCO_CUDA_CE=cluster
#   tune_repeat optional: two gpu-bench processes sharing one tuning cache give the same losses
#   parity_fusedbwd, bench_*_fusedbwd  optional: LOCO_CUDA_ATTN_BWD=fused (one backward kernel, ordered
#               dQ accumulation): gpu-parity at gpt2-124m shapes (and its attention check, head dims
#               16-128), then gpt2-124m and 1b speed
#   parity_logits32, bench_*_logits32  optional: LOCO_CUDA_LOGITS=fp32 (fp32 logits into the cross-entropy
#               instead of the default bf16), the same checks
#   parity_normreread, bench_*_normreread  optional: LOCO_CUDA_NORM_BWD=reread (the RMSNorm backward
#               kernel before the row-in-registers one; the same bits), the same checks
#   parity_ropebwd, bench_*_ropebwd  optional: LOCO_CUDA_ROPE_BWD=fused (the backward kernels rotate dq, dk
#               back before their store; no inverse RoPE pass), the same checks
#   parity_cecp, bench_*_cecp  optional: LOCO_CUDA_CE=cpasync (the bf16-logits cross-entropy with the
#               whole row copied to shared memory by cp.async before the first wait; the same bits),
#               the same checks
#   parity_graph, bench_*_graph  optional: LOCO_CUDA_GRAPH=1 (each micro-batch step captured as a CUDA
#               graph at its second call and replayed from then on; step_graph.h), the same checks.
#               Every gpu-parity also runs the same steps with and without graphs: comparison.graphs.
#               engine_graph: the engine stage's line-protocol session with LOCO_CUDA_GRAPH=1
#   parity_head4k, parity_head16k, bench_*_head4k, bench_*_head16k  optional: LOCO_CUDA_HEAD_ROWS=4096
#               and 16384 (the head's matmuls and cross-entropy in four chunks and in one, instead of
#               the default's nine of 1778 rows), the same checks
#   parity_graphhead16k, bench_*_graphhead16k  optional: both at once (LOCO_CUDA_GRAPH=1
#               LOCO_CUDA_HEAD_ROWS=16384), the same checks
#   parity_graphhead16kexp2, bench_*_graphhead16kexp2  optional: the same and LOCO_CUDA_CE=exp2, the
#               same checks
#   parity_adamwgrouped, bench_*_adamwgrouped  optional: LOCO_CUDA_ADAMW=grouped (AdamW in a launch per
#               run of tensors with the same weight decay, the default before 2026-11-28, instead of
#               one launch over all parameters), the same checks
#   parity_ceexp2, bench_*_ceexp2  optional: LOCO_CUDA_CE=exp2 (the bf16-logits cross-entropy in base 2,
#               2^(l·log2e − m·log2e) by the SFU's ex2, instead of expf), the same checks
#   parity_normdgeach, bench_*_normdgeach  optional: LOCO_CUDA_NORM_DG=each (each RMSNorm backward adds
#               its norm-scale gradient with a launch of its own, the default before 2026-11-28,
#               instead of one launch for all at the end of the backward), the same checks
#   parity_normdybf16, bench_*_normdybf16  optional: LOCO_CUDA_NORM_DY=bf16 (the matmuls that give each
#               RMSNorm backward its incoming gradient write it in bf16, not fp32), the same checks
#   parity_tune32, bench_*_tune32  optional: LOCO_CUDA_GEMM_TUNE_ALGOS=32 (each matmul shape times 32 of
#               cuBLASLt's heuristic candidates at its first call instead of 8), the same checks
#   parity_allopt, bench_*_allopt  optional: every opt-in the 50 % MFU may need at once
#               (graphhead16kexp2, LOCO_CUDA_NORM_DY=bf16, LOCO_CUDA_GEMM_TUNE_ALGOS=32), the same checks
#   parity_pdl, bench_*_pdl  optional: LOCO_CUDA_PDL=1 (the element-wise kernels as programmatic
#               dependent launches: each may be scheduled while the kernel ahead of it finishes), the
#               same checks. Every gpu-parity also runs the same steps with and without it, one by one
#               and as CUDA graphs, on an H100/H200: comparison.pdl
#   parity_allpdl, bench_*_allpdl  optional: allopt's settings and LOCO_CUDA_PDL=1, the same checks
#   parity_own, bench_*_own  optional: LOCO_CUDA_ATTN_FWD=own LOCO_CUDA_ATTN_BWD=own (this engine's own
#               attention kernels, the default before h200-8; where cuDNN's attention is the default:
#               an H100/H200 with libcudnn.so.9), the same checks
#   parity_cudnn, bench_*_cudnn  optional: LOCO_CUDA_ATTN_BWD=cudnn (cuDNN's backward with dQ by atomic
#               adds, not the default's deterministic one), the same checks
#   parity_cudnntorch, bench_*_cudnntorch  optional: the default's settings from PyTorch's own cuDNN
#               (LOCO_CUDNN_LIB=its wheel's libcudnn.so.9; skipped where it has none)
#   parity_partials, bench_*_partials  optional: LOCO_CUDA_ATTN_BWD=partials (the fused backward's dQ
#               shares stored as partials, added in order by a reduce kernel), the same checks
#   parity_wgmmabwd, bench_*_wgmmabwd  optional: LOCO_CUDA_ATTN_BWD=wgmma (the backward's kernels on
#               warpgroup MMA, head_dim 64 and 128, products overlapped with the softmax work; wgmma_probe
#               checks the layouts they assume), the same checks
#   parity_wgmmasync, bench_*_wgmmasync  optional: LOCO_CUDA_ATTN_BWD=wgmma-sync (the same kernels, a
#               wait after each batch of products; the same bits: comparison.wgmma_sync_same_as_overlapped)
#   parity_wgmmafwd, bench_*_wgmmafwd  optional: LOCO_CUDA_ATTN_FWD=wgmma (the forward on warpgroup MMA,
#               head_dim 64 and 128, the softmax overlapped with the products), the same checks
#   parity_wgmmasyncfwd, bench_*_wgmmasyncfwd  optional: LOCO_CUDA_ATTN_FWD=wgmma-sync (the same forward,
#               the softmax after the products; the same bits: comparison.wgmma_sync_same_as_overlapped)
#   parity_wgmma2bwd, bench_*_wgmma2bwd, parity_wgmma2fwd, bench_*_wgmma2fwd  optional:
#               LOCO_CUDA_ATTN_BWD=wgmma2 and LOCO_CUDA_ATTN_FWD=wgmma2 (the same kernels with two
#               warpgroups per block sharing the tiles they read; the same bits), the same checks
#   parity_wgmma2swfwd, bench_*_wgmma2swfwd  optional: LOCO_CUDA_ATTN_FWD=wgmma2-sw (the two-warpgroup
#               forward with its tiles in the 128-byte swizzle; the same bits: comparison.wgmma_sw_same_as_plain)
#   parity_wgmma2swbwd, bench_*_wgmma2swbwd  optional: LOCO_CUDA_ATTN_BWD=wgmma2-sw, the same for the
#               two-warpgroup backward (comparison.wgmma_sw_same_as_plain.bwd)
#   parity_atomicbwd, bench_*_atomicbwd  optional: LOCO_CUDA_ATTN_BWD=atomic (the fused backward's dQ
#               shares added by atomic adds, as FlashAttention-2 does), the same checks
#   parity_wgmma2atomicbwd, bench_*_wgmma2atomicbwd  optional: LOCO_CUDA_ATTN_BWD=wgmma2-atomic (one
#               two-warpgroup wgmma kernel for dK, dV and dQ, dQ by atomic adds: 5 products per tile
#               pair instead of 7), the same checks
#   parity_wgmma2k128fwd, bench_*_wgmma2k128fwd  optional: LOCO_CUDA_ATTN_FWD=wgmma2-k128 (the
#               two-warpgroup wgmma forward with 128-key tiles), the same checks
#   parity_wgmma2atomicswbwd, parity_wgmma2k128swfwd, their benches  optional: LOCO_CUDA_ATTN_BWD=
#               wgmma2-atomic-sw and LOCO_CUDA_ATTN_FWD=wgmma2-k128-sw, the same two in the 128-byte
#               swizzle (the fused backward at head_dim 128; comparison.wgmma_sw_same_as_plain)
#   parity_wgmma2aregfwd, parity_wgmma2aregswfwd, parity_wgmma2aregbwd, parity_wgmma2atomicaregbwd,
#               their benches  optional: LOCO_CUDA_ATTN_FWD=wgmma2-areg, wgmma2-areg-sw and
#               LOCO_CUDA_ATTN_BWD=wgmma2-areg, wgmma2-atomic-areg (the score products' A operand held in
#               registers: Q in the forward, K, V and Q, dO in the backward at head_dim 64; only B read
#               from shared memory), the same checks, and comparison.wgmma_areg_same_as_smem
#   parity_wgmma2ppfwd, parity_wgmma2ppswfwd, their benches  optional: LOCO_CUDA_ATTN_FWD=wgmma2-pp and
#               wgmma2-pp-sw (the two-warpgroup forward with its K/V stages handed over by mbarriers
#               instead of a block barrier per tile, and the warpgroups' products in turns), the same
#               checks, and comparison.wgmma_pp_same_as_plain; parity_wgmma2pparegswfwd and its benches:
#               LOCO_CUDA_ATTN_FWD=wgmma2-pp-areg-sw, the same with Q in registers; parity_wgmma2wsfwd,
#               parity_wgmma2wsswfwd and their benches: wgmma2-ws, wgmma2-ws-sw (a producer warpgroup
#               issues every copy); parity_wgmma2tmafwd and its benches: wgmma2-tma (wgmma2-ws-sw with
#               the copies TMA boxes issued by one thread); parity_wgmma2tmak128fwd and its benches:
#               wgmma2-tma-k128 (that on 128-key tiles)
#   parity_wgmma2mbbwd, parity_wgmma2mbswbwd, their benches  optional: LOCO_CUDA_ATTN_BWD=wgmma2-mb and
#               wgmma2-mb-sw (the two-warpgroup backward with its stages handed over by mbarriers
#               instead of block barriers), the same checks, and comparison.wgmma_mb_same_as_plain;
#               parity_wgmma2tmabwd and its benches: LOCO_CUDA_ATTN_BWD=wgmma2-tma (wgmma2-mb-sw with
#               its tiles TMA boxes issued by one thread)
#   parity_tc2bwd, bench_*_tc2bwd  optional: LOCO_CUDA_ATTN_BWD=tc2 (the mma.sync backward where the
#               default is wgmma2: head_dim 128 on an H100/H200), the same checks
#   parity_rows32, bench_*_rows32  optional: LOCO_CUDA_ATTN_ROWS=32 (32 rows per warp), the same checks
#   attn_times  optional: ncu time of each attention kernel in one step, default / rows32 / fusedbwd / partials /
#               wgmmabwd / wgmmasync / wgmmafwd / wgmma2bwd / wgmma2fwd / wgmmasyncfwd / wgmma2swfwd /
#               wgmma2swbwd / tc2bwd / atomicbwd / wgmma2atomicbwd / wgmma2k128fwd / wgmma2atomicswbwd /
#               wgmma2k128swfwd / wgmma2aregfwd / wgmma2aregswfwd / wgmma2aregbwd / wgmma2atomicaregbwd /
#               wgmma2ppfwd / wgmma2ppswfwd / wgmma2pparegswfwd / wgmma2mbbwd / wgmma2mbswbwd /
#               wgmma2wsfwd / wgmma2wsswfwd / wgmma2tmafwd / wgmma2tmak128fwd / wgmma2tmabwd
#               (those whose parity stage passed; the benches of a variant also need it), gpt2-124m
#               and 1b (tools/attn_times.py)
#   bench_*_best  optional: gpu-bench with the fastest combination of the opt-ins measured above: the
#               attention kernels attn_times found fastest (LOCO_CUDA_ATTN_ROWS=fwd,dq, ...) and
#               LOCO_CUDA_ROPE_BWD=fused where bench_*_ropebwd beat the default; where it is a mix
#               not benchmarked above
#   attn_regs   optional: registers, spills, instructions per attention kernel (tools/kernel_stats.py)
#   attn_profile  optional: ncu sections of the default attention kernels (attn_ncu.txt in $OUT/gpu-check-extras.tar.gz)
#   attn_profile_base  optional, with GPU_CHECK_BASELINE: the same for the baseline tree's (attn_ncu_base.txt)
#   kernels     optional: per-kernel GPU time of one gpt2-124m step under ncu (ncu.csv in $OUT/gpu-check-extras.tar.gz)
#   kernels_base  optional, with GPU_CHECK_BASELINE: the same for the baseline tree (ncu_base.csv.gz;
#               comparison.kernels_vs_base puts each kernel's two times side by side)
#   kernels_1b, kernels_1b_base  optional: the same two for a 1b step (comparison.kernels_vs_base_1b)
#   timeline    optional: Nsight Systems' trace of one whole gpt2-124m training step, and the GPU's idle
#               time between its kernels (tools/gaps.py; timeline.csv in $OUT/gpu-check-extras.tar.gz);
#               timeline_graph the same with LOCO_CUDA_GRAPH=1 (timeline_graph.csv); skipped where
#               nsys is not installed
#   attn_profile_1b  optional: attn_profile for 1b's kernels (head_dim 128; attn_ncu_1b.txt)
#   attn_profile_1b_wgfwd  optional: the same for LOCO_CUDA_ATTN_FWD=wgmma2's forward (attn_ncu_1b_wgfwd.txt)
#   torch       reference/bench.py  (PyTorch eager/compile baselines and PyTorch SparseLoCo)
#   codec_variants  optional: build/codec-cuda --variants 0,2  (the other select kernels: parity, timings)
#   build_fat, parity_fat  optional: the default several-GPU build (CUDA_ARCH "80 90a", build-fat/) and
#               gpu-parity from it (with the wgmma forward where parity_wgmmafwd passed):
#               comparison.fat_build.same_as_one_target
# Environment: GPU_CHECK_BUDGET_S (default 265: the whole script's wall-clock budget; later stages
# get what is left), LOCO_CUDA_ARCH (default 90a), GPU_CHECK_SKIP (space-separated stage names),
# GPU_CHECK_ONLY (space-separated stage names: every other stage is skipped; for a second call on a
# warm machine, e.g. "build parity_wgmma2aregfwd bench_124m_wgmma2aregfwd ... attn_times"),
# GPU_CHECK_BASELINE, GPU_CHECK_BASELINE_ATTN, GPU_CHECK_TORCH_ARGS (extra bench.py arguments), GPU_CHECK_1B_STEPS (default 3),
# GPU_CHECK_NCU_ARGS (extra gpu-bench arguments for the ncu stage), GPU_CHECK_ATTN_CONFIGS (attn_times'
# configs, default "gpt2-124m,1b").
set -u
# the clock without a process per reading (bash 5's EPOCHSECONDS, EPOCHREALTIME; date elsewhere): a
# stage's bookkeeping forks little, so gpu-check.sh itself costs seconds of no device time
if [[ -n "${EPOCHSECONDS:-}" && -n "${EPOCHREALTIME:-}" ]]; then
  now() { NOW=$EPOCHSECONDS; }
  now_us() { NOW_US=${EPOCHREALTIME//[^0-9]/}; }
else
  now() { NOW=$(date +%s); }
  now_us() { NOW_US=$(date +%s%6N); }
fi
now
START=$NOW
BUDGET=${GPU_CHECK_BUDGET_S:-265}
ARCH=${LOCO_CUDA_ARCH:-90a}
SKIP=" ${GPU_CHECK_SKIP:-} "
ONLY=" ${GPU_CHECK_ONLY:-} "
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
K="$ROOT/kernels"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")
LOGDIR="$WORK/logs"
mkdir -p "$LOGDIR"
[[ -n "${OUT:-}" ]] && mkdir -p "$OUT"
# the matmul tuning cache of this run's processes (src/cuda/gemm_tune_cache.h): fresh, and nothing
# written outside $WORK
export LOCO_CUDA_GEMM_TUNE_CACHE="$WORK/gemm-tune.txt"
STAGES=()

log() { now; echo "gpu-check [$(( NOW - START ))s] $*" >&2; }
left() { now; LEFT=$(( BUDGET - (NOW - START) )); }  # seconds of the budget left, in LEFT

# stage_ok NAME — the stage ran, exited 0 and its JSON line reports no failed check
stage_ok() {
  local rc=""
  { read -r rc _ < "$LOGDIR/$1.status"; } 2>/dev/null
  [[ "$rc" == 0 ]] && ! tail -n 1 "$LOGDIR/$1.out" | grep -q '"ok": *false'
}
# optional NAME... — these stages are reported but not part of "ok" (opt-in kernels, profilers, tools
# the GPU machine may lack); the summary reads the marker files
optional() {
  local s
  for s in "$@"; do : > "$LOGDIR/$s.optional"; done
}
# skip_stage NAME WHY — recorded as skipped (a stage that would only waste device time)
skip_stage() {
  echo "skipped" > "$LOGDIR/$1.status"
  STAGES+=("$1")
  log "$1: skipped ($2)"
}

# run_stage NAME MAX_SECONDS CMD... — stdout to logs/NAME.out, stderr to logs/NAME.err; the time
# box is the smaller of MAX_SECONDS and what is left of the budget (at least 5 s).
run_stage() {
  local name=$1 max=$2
  shift 2
  if [[ "$SKIP" == *" $name "* ]]; then
    skip_stage "$name" GPU_CHECK_SKIP
    return 0
  fi
  if [[ -n "${GPU_CHECK_ONLY:-}" && "$ONLY" != *" $name "* ]]; then
    skip_stage "$name" "not in GPU_CHECK_ONLY"
    return 0
  fi
  local lim
  left
  lim=$LEFT
  (( lim > max )) && lim=$max
  if (( lim < 5 )); then
    echo "no_time" > "$LOGDIR/$name.status"
    STAGES+=("$name")
    log "$name: not run, the budget is spent"
    return 0
  fi
  log "$name: start (time box ${lim}s)"
  local t0 rc
  now_us
  t0=$NOW_US
  timeout -k 5 "$lim" "$@" > "$LOGDIR/$name.out" 2> "$LOGDIR/$name.err"
  rc=$?
  local ms dt
  now_us
  ms=$(( (NOW_US - t0) / 1000 ))
  dt=$(printf '%d.%03d' $(( ms / 1000 )) $(( ms % 1000 )))
  echo "$rc $dt $lim" > "$LOGDIR/$name.status"
  STAGES+=("$name")
  if [[ -n "${OUT:-}" ]]; then  # as we go, so a run cut off early still leaves what it measured
    { echo "===== $name: status $rc $dt $lim ====="; echo "----- stdout -----"; cat "$LOGDIR/$name.out"
      echo "----- stderr -----"; tail -c 20000 "$LOGDIR/$name.err"; } >> "$OUT/gpu-check.partial.log"
  fi
  if (( rc == 124 || rc == 137 )); then log "$name: TIMED OUT after ${lim}s"
  elif (( rc != 0 )); then log "$name: failed (exit $rc, ${dt}s): $(tail -c 300 "$LOGDIR/$name.err" | tr '\n' ' ')"
  else log "$name: ok (${dt}s)"; fi
  return 0
}

# ---- info ----------------------------------------------------------------------------------------
run_stage info 20 bash -c '
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv,noheader || echo "nvidia-smi failed"
  nvcc --version | tail -1 || echo "no nvcc"
  python3 -c "import torch; print(\"torch\", torch.__version__, \"cuda\", torch.version.cuda, torch.cuda.is_available(), \"cudnn\", torch.backends.cudnn.version())" || echo "no torch"
  nproc'

# ---- build ---------------------------------------------------------------------------------------
JOBS=$(nproc 2>/dev/null || echo 8)
(( JOBS > 16 )) && JOBS=16
# -k: a target that fails to build does not stop the others (each later stage reports what is missing)
run_stage build 150 make -k -C "$K" -j"$JOBS" CUDA_ARCH="$ARCH" cuda gpu-tools
# optional: an earlier kernels/ tree (GPU_CHECK_BASELINE=DIR, e.g. from `git archive`) benchmarked in
# the same run, so speed-ups are measured against a named baseline on the same GPU
BASE=${GPU_CHECK_BASELINE:-}
if [[ -n "$BASE" ]]; then
  run_stage build_base 120 make -k -C "$BASE" -j"$JOBS" CUDA_ARCH="$ARCH" build/gpu-bench
fi

# our cuBLASLt declarations (src/cuda/cublaslt_shim.h) against the real cublasLt.h (optional: needs
# the cuBLAS headers, which the GPU machines have)
optional abi
run_stage abi 60 make -C "$K" cublaslt-abi-check
# the layout facts a wgmma attention kernel would rest on (test/wgmma_probe.cu: accumulator and
# A-register fragments, what LBO and SBO mean for K-major and MN-major shared-memory operands); a
# second, optional
optional wgmma_probe build_wgflip wgmma_probe_flip wgmma_rate
run_stage wgmma_probe 30 "$K/build/wgmma-probe"
# the products alone (test/wgmma_rate.cu): TFLOP/s of wgmma per operand layout (no swizzle as the
# kernels, or the 128-byte swizzle), A from shared memory or registers, 64 or 128 columns, 1, 2 or 4
# warpgroups per SM: whether the wgmma attention's slowness (h200-7) is in the products; optional
run_stage wgmma_rate 30 "$K/build/wgmma-rate"
# where the probe settled the descriptor's strides other than the kernels read them (and the fragment
# layouts as they assume), a second build with the probe's readings (-DLOCO_WG_*_LBO_IS_K=0) for the
# wgmma variants below, and the probe again from it (its kernel_layout_ok should then hold)
WG_BUILD=build
WG_FLAGS=$(python3 - "$LOGDIR/wgmma_probe.out" <<'PY' 2>/dev/null
import json, sys
try:
    with open(sys.argv[1]) as f:
        j = json.loads(f.read().strip().splitlines()[-1])
except (OSError, ValueError, IndexError):
    sys.exit(0)
ks, mn = j.get("kmajor_lbo"), j.get("mnmajor_b_lbo")
if j.get("ok") and j.get("d_layout_ok") and j.get("a_regs_layout_ok") and not j.get("kernel_layout_ok") \
        and ks in ("k", "mn", "both") and mn in ("k", "mn", "both") and j.get("kmajor_lbo_b_only") in (ks, "both"):
    print(f"-DLOCO_WG_KMAJOR_LBO_IS_K={int(ks != 'mn')} -DLOCO_WG_MNMAJOR_LBO_IS_K={int(mn != 'mn')}")
PY
)
if [[ -n "$WG_FLAGS" ]]; then
  echo "$WG_FLAGS" > "$LOGDIR/build_wgflip.flags"
  run_stage build_wgflip 150 make -k -C "$K" -j"$JOBS" CUDA_ARCH="$ARCH" BUILD=build-wgflip NVCCFLAGS_EXTRA="$WG_FLAGS" cuda gpu-tools
  if stage_ok build_wgflip; then
    WG_BUILD=build-wgflip
    run_stage wgmma_probe_flip 30 "$K/build-wgflip/wgmma-probe"
  else
    skip_stage wgmma_probe_flip "build_wgflip did not pass"
  fi
else
  skip_stage build_wgflip "no probe result that contradicts the kernels' readings"
  skip_stage wgmma_probe_flip "no build_wgflip"
fi

# ---- correctness ---------------------------------------------------------------------------------
DUMP="$WORK/dump"
run_stage parity 60 "$K/build/gpu-parity" --config tiny --seed 1 --B 4 --dump "$DUMP"
P124=(--config gpt2-124m --seed 1 --B 1 --T 192 --steps 1)  # gpu-parity at gpt2-124m shapes
run_stage parity_124m 60 "$K/build/gpu-parity" "${P124[@]}"
run_stage reference 60 python3 "$K/reference/model.py" "$DUMP"
# a miner's window through the line protocol with --device cuda next to --device cpu (exact checks on
# each device, losses to bf16 accuracy across them, the CPU loading the GPU's checkpoint)
run_stage engine 60 python3 "$K/tools/engine_session.py" "$K/build/loco-engine"
run_stage codec 60 "$K/build/codec-cuda" parity bench --reps 10

# ---- speed: our engine, then PyTorch on the same GPU --------------------------------------------
# the default (tensor-core attention), then the baseline tree's gpu-bench (if any) with each attention
# named in GPU_CHECK_BASELINE_ATTN
BASE_ATTNS=${GPU_CHECK_BASELINE_ATTN:-tc2}
# gpu-bench's arguments for the two configs, the same in every speed stage
B124=(--config gpt2-124m --tokens 16384 --steps 8)
# (two warmup steps: with LOCO_CUDA_GRAPH=1 the second captures the step's graph, outside the timing)
B1B=(--config 1b --tokens 16384 --steps "${GPU_CHECK_1B_STEPS:-3}" --warmup 2)
run_stage bench_124m 45 "$K/build/gpu-bench" "${B124[@]}"
if [[ -n "$BASE" ]]; then
  for a in $BASE_ATTNS; do
    run_stage "bench_124m_base_$a" 45 "$BASE/build/gpu-bench" "${B124[@]}" --attn "$a"
  done
fi
run_stage bench_1b 45 "$K/build/gpu-bench" "${B1B[@]}"
if [[ -n "$BASE" ]]; then
  for a in $BASE_ATTNS; do
    run_stage "bench_1b_base_$a" 45 "$BASE/build/gpu-bench" "${B1B[@]}" --attn "$a"
  done
fi
# PyTorch on the same GPU, before the optional stages below
left
TORCH_BUDGET=$(( LEFT - 70 ))
(( TORCH_BUDGET < 10 )) && TORCH_BUDGET=10
TORCH_BOX=$(( LEFT - 40 ))
(( TORCH_BOX > 200 )) && TORCH_BOX=200
run_stage torch "$TORCH_BOX" python3 "$K/reference/bench.py" --budget-s "$TORCH_BUDGET" --out "$LOGDIR/torch.partial.json" ${GPU_CHECK_TORCH_ARGS:-}
# the opt-in engine variants: correctness first, then speed only where it passed; optional, so a
# fault there cannot cost the results above. Plain kernels first (nothing that can hang), the
# one-kernel backward (LOCO_CUDA_ATTN_BWD=fused, whose blocks wait on each other through
# global-memory counters) last but one
# engine_variant NAME "VAR=VALUE ..." [BUILD] [PARITY_BOX]: parity_NAME (gpu-parity at gpt2-124m shapes,
# with its attention check at head dims 16-128; time box PARITY_BOX, default 60 s), then bench_124m_NAME
# and bench_1b_NAME only if it passed
declare -A VARIANT_SETTING  # variant name → its VAR=VALUE words (attn_best: what a bench above already measured)
engine_variant() {
  local v=$1 setting=$2 build=${3:-build} parity_box=${4:-60}
  local -a words
  read -ra words <<< "$setting"
  VARIANT_SETTING[$v]=$setting
  optional "parity_$v" "bench_124m_$v" "bench_1b_$v"
  run_stage "parity_$v" "$parity_box" env "${words[@]}" "$K/$build/gpu-parity" "${P124[@]}"
  if stage_ok "parity_$v"; then
    run_stage "bench_124m_$v" 45 env "${words[@]}" "$K/$build/gpu-bench" "${B124[@]}"
    run_stage "bench_1b_$v" 45 env "${words[@]}" "$K/$build/gpu-bench" "${B1B[@]}"
  else
    skip_stage "bench_124m_$v" "parity_$v did not pass"
    skip_stage "bench_1b_$v" "parity_$v did not pass"
  fi
}
# first the attention: this engine's own kernels (the default before h200-8; on an H100/H200 with
# libcudnn.so.9 the default is cuDNN's forward and deterministic backward since then), cuDNN's backward
# with dQ by atomic adds, and the default from PyTorch's own cuDNN (its wheel's library, 9.19 beside the
# system's 9.14 on the GPU machines in h200-8), where it has one: LOCO_CUDNN_LIB names it. The cuDNN
# variants' gpu-parity gets 150 s: a plan per shape (eight), and a plan may compile its kernels first
CUDNN_PARITY_BOX=150
# the step as CUDA graphs (step_graph.h; every gpu-parity also checks that graphs change no bit)
engine_variant graph LOCO_CUDA_GRAPH=1
# ... and a miner's window through the line protocol with graphs (the engine stage's session)
optional engine_graph
run_stage engine_graph 60 env LOCO_CUDA_GRAPH=1 python3 "$K/tools/engine_session.py" "$K/build/loco-engine"
# the head in fewer, larger row chunks: 4096 rows (four chunks of a 16k-token step) and the whole step
# at once, against the default's 1778 (nine): fewer passes over the fp32 dE, larger matmuls
engine_variant head4k LOCO_CUDA_HEAD_ROWS=4096
engine_variant head16k LOCO_CUDA_HEAD_ROWS=16384
# both at once: the two changes the 50 % MFU on gpt2-124m was left to (h200-8: 31.2 ms per step, 28.3
# needed), so one bench answers whether together they reach it
engine_variant graphhead16k "LOCO_CUDA_GRAPH=1 LOCO_CUDA_HEAD_ROWS=16384"
# ... and with the base-2 cross-entropy too (ceexp2 below): every opt-in the goal may need at once
engine_variant graphhead16kexp2 "LOCO_CUDA_GRAPH=1 LOCO_CUDA_HEAD_ROWS=16384 LOCO_CUDA_CE=exp2"
# AdamW as before 2026-11-28, a launch per run of tensors with the same weight decay (about 50 per
# gpt2-124m step), against the default's one launch over all parameters (the same bits)
engine_variant adamwgrouped LOCO_CUDA_ADAMW=grouped
# the norm-scale gradients added by a launch per RMSNorm backward (25 per gpt2-124m step, as before
# 2026-11-28) against the default's one launch at the end of the backward (the same sums)
engine_variant normdgeach LOCO_CUDA_NORM_DG=each
# the bf16 cross-entropy in base 2 (one fused multiply-add and the SFU's ex2 per logit instead of expf:
# 1,224 machine instructions against 2,376, kernel_stats.py), against the default's expf
engine_variant ceexp2 LOCO_CUDA_CE=exp2
# each norm's incoming gradient in bf16 (half the bytes of the matmul's write and the norm's read,
# about 50 MB per norm at gpt2-124m's 16k tokens), against the default's fp32
engine_variant normdybf16 LOCO_CUDA_NORM_DY=bf16
# the matmuls: 32 of cuBLASLt's candidates timed per shape instead of 8 (timing 8 instead of taking
# the first took 1.9 ms off a gpt2-124m step in h200-3; the matmuls are 18.6 of h200-8's 31.2 ms). Its
# choices are cached under keys of their own, so the default's choices among 8 are not reused
engine_variant tune32 LOCO_CUDA_GEMM_TUNE_ALGOS=32
# every opt-in the 50 % MFU on gpt2-124m may need, at once: graphhead16kexp2, normdybf16 and tune32
ALLOPT="LOCO_CUDA_GRAPH=1 LOCO_CUDA_HEAD_ROWS=16384 LOCO_CUDA_CE=exp2 LOCO_CUDA_NORM_DY=bf16 LOCO_CUDA_GEMM_TUNE_ALGOS=32"
engine_variant allopt "$ALLOPT"
# the element-wise kernels as programmatic dependent launches (about 110 launches per gpt2-124m step,
# of nearly 380 in h200-8's profile): each one's blocks may be scheduled while the kernel ahead of it finishes, and wait on the GPU
# for its results (kernels.cu, pdl_begin), instead of being launched after it has finished
engine_variant pdl LOCO_CUDA_PDL=1
# ... and with every other opt-in the 50 % MFU may need (allopt)
engine_variant allpdl "$ALLOPT LOCO_CUDA_PDL=1"
engine_variant own "LOCO_CUDA_ATTN_FWD=own LOCO_CUDA_ATTN_BWD=own"
engine_variant cudnn LOCO_CUDA_ATTN_BWD=cudnn build "$CUDNN_PARITY_BOX"
TORCH_CUDNN=$(python3 - <<'PY' 2>/dev/null
import os
try:
    import nvidia.cudnn as m
except ImportError:
    raise SystemExit(0)
for d in m.__path__:
    f = os.path.join(d, "lib", "libcudnn.so.9")
    if os.path.exists(f):
        print(f)
        break
PY
)
if [[ -n "$TORCH_CUDNN" && "$TORCH_CUDNN" != *[[:space:]]* ]]; then
  engine_variant cudnntorch "LOCO_CUDNN_LIB=$TORCH_CUDNN" build "$CUDNN_PARITY_BOX"
else
  optional parity_cudnntorch bench_124m_cudnntorch bench_1b_cudnntorch
  for st in parity_cudnntorch bench_124m_cudnntorch bench_1b_cudnntorch; do
    skip_stage "$st" "no libcudnn.so.9 in PyTorch's nvidia.cudnn package"
  done
fi
# fp32 logits (LOCO_CUDA_LOGITS=fp32; the default is bf16 since h100-6), then the attention shapes
engine_variant logits32 LOCO_CUDA_LOGITS=fp32
# the RMSNorm backward that re-reads dy, x (the default until the row-in-registers kernel)
engine_variant normreread LOCO_CUDA_NORM_BWD=reread
# RoPE undone on dq, dk in the backward kernels instead of the inverse k_rope pass
engine_variant ropebwd LOCO_CUDA_ROPE_BWD=fused
# the bf16-logits cross-entropy with each row by cp.async, all of it in flight at once (the same bits)
engine_variant cecp LOCO_CUDA_CE=cpasync
engine_variant rows32 LOCO_CUDA_ATTN_ROWS=32
engine_variant fusedbwd LOCO_CUDA_ATTN_BWD=fused
# the same shares stored as partials and added by a reduce kernel (no waiting; the same bits)
engine_variant partials LOCO_CUDA_ATTN_BWD=partials
# the same shares added by atomic adds (FlashAttention-2's dQ: no waiting, no partials, no fixed order)
engine_variant atomicbwd LOCO_CUDA_ATTN_BWD=atomic
# the backward's dK/dV and dQ kernels on warpgroup MMA (attention_wg_kernels.cuh; head_dim 64 and 128)
# (from build-wgflip where the probe said the strides run the other way: WG_BUILD above)
engine_variant wgmmabwd LOCO_CUDA_ATTN_BWD=wgmma "$WG_BUILD"
# ... waiting for each batch of products (where the overlapped schedule fails or loses, this says why)
engine_variant wgmmasync LOCO_CUDA_ATTN_BWD=wgmma-sync "$WG_BUILD"
# the forward on warpgroup MMA (attn3_fwd_kernel; head_dim 64 and 128)
engine_variant wgmmafwd LOCO_CUDA_ATTN_FWD=wgmma "$WG_BUILD"
# both with two warpgroups (128 rows) per block, sharing the tiles they read (the same bits)
engine_variant wgmma2bwd LOCO_CUDA_ATTN_BWD=wgmma2 "$WG_BUILD"
engine_variant wgmma2fwd LOCO_CUDA_ATTN_FWD=wgmma2 "$WG_BUILD"
# the forward's waiting schedule (the softmax after the products; the same bits)
engine_variant wgmmasyncfwd LOCO_CUDA_ATTN_FWD=wgmma-sync "$WG_BUILD"
# the two-warpgroup forward with its tiles in the 128-byte swizzle (the same bits)
engine_variant wgmma2swfwd LOCO_CUDA_ATTN_FWD=wgmma2-sw "$WG_BUILD"
# ... and the two-warpgroup backward (the default at head_dim 128 on an H100/H200) the same way
engine_variant wgmma2swbwd LOCO_CUDA_ATTN_BWD=wgmma2-sw "$WG_BUILD"
# one two-warpgroup kernel for dK, dV and dQ (dS through shared memory, dQ by atomic adds)
engine_variant wgmma2atomicbwd LOCO_CUDA_ATTN_BWD=wgmma2-atomic "$WG_BUILD"
# the two-warpgroup forward with 128-key tiles (FlashAttention-3's tile at head_dim 128, causal)
engine_variant wgmma2k128fwd LOCO_CUDA_ATTN_FWD=wgmma2-k128 "$WG_BUILD"
# ... both with the tiles in the 128-byte swizzle (the same bits as unswizzled)
engine_variant wgmma2atomicswbwd LOCO_CUDA_ATTN_BWD=wgmma2-atomic-sw "$WG_BUILD"
engine_variant wgmma2k128swfwd LOCO_CUDA_ATTN_FWD=wgmma2-k128-sw "$WG_BUILD"
# the score products' A operand held in registers, only B read from shared memory (Q in the forward;
# K, V in the dK/dV kernel and Q, dO in the dQ kernel at head_dim 64; the same bits as from shared
# memory); the forward also swizzled, and the fused backward with K, V in registers
engine_variant wgmma2aregfwd LOCO_CUDA_ATTN_FWD=wgmma2-areg "$WG_BUILD"
engine_variant wgmma2aregswfwd LOCO_CUDA_ATTN_FWD=wgmma2-areg-sw "$WG_BUILD"
engine_variant wgmma2aregbwd LOCO_CUDA_ATTN_BWD=wgmma2-areg "$WG_BUILD"
engine_variant wgmma2atomicaregbwd LOCO_CUDA_ATTN_BWD=wgmma2-atomic-areg "$WG_BUILD"
# the two-warpgroup forward without a block barrier per tile: K/V stages handed over by mbarriers,
# the warpgroups' products in turns (FlashAttention-3's ping-pong); unswizzled and swizzled
engine_variant wgmma2ppfwd LOCO_CUDA_ATTN_FWD=wgmma2-pp "$WG_BUILD"
engine_variant wgmma2ppswfwd LOCO_CUDA_ATTN_FWD=wgmma2-pp-sw "$WG_BUILD"
# ... and with Q in registers too (all three: mbarrier stages and turns, A in registers, the swizzle)
engine_variant wgmma2pparegswfwd LOCO_CUDA_ATTN_FWD=wgmma2-pp-areg-sw "$WG_BUILD"
# ... and with a producer warpgroup issuing every copy (FlashAttention-3's warp specialization, with
# cp.async instead of TMA), unswizzled and swizzled
engine_variant wgmma2wsfwd LOCO_CUDA_ATTN_FWD=wgmma2-ws "$WG_BUILD"
engine_variant wgmma2wsswfwd LOCO_CUDA_ATTN_FWD=wgmma2-ws-sw "$WG_BUILD"
# ... its copies by the Tensor Memory Accelerator: one thread issues 64 × 64 boxes of a tensor map
engine_variant wgmma2tmafwd LOCO_CUDA_ATTN_FWD=wgmma2-tma "$WG_BUILD"
# ... on 128-key tiles (FlashAttention-3's tile at head_dim 128)
engine_variant wgmma2tmak128fwd LOCO_CUDA_ATTN_FWD=wgmma2-tma-k128 "$WG_BUILD"
# the two-warpgroup backward (dK/dV and dQ kernels) without block barriers: stages by mbarrier
engine_variant wgmma2mbbwd LOCO_CUDA_ATTN_BWD=wgmma2-mb "$WG_BUILD"
engine_variant wgmma2mbswbwd LOCO_CUDA_ATTN_BWD=wgmma2-mb-sw "$WG_BUILD"
# ... its tiles by the Tensor Memory Accelerator, issued by one thread
engine_variant wgmma2tmabwd LOCO_CUDA_ATTN_BWD=wgmma2-tma "$WG_BUILD"
# the mma.sync backward where the default is wgmma2 (head_dim 128 on an H100/H200 since h200-7): the
# previous default, measured in the same run as the new one
engine_variant tc2bwd LOCO_CUDA_ATTN_BWD=tc2
# the tuning cache makes a second process repeat the first one's steps bit for bit
optional tune_repeat
run_stage tune_repeat 60 python3 "$K/tools/tune_repeat.py" "$K/build/gpu-bench" "$WORK"
# GPU time of each attention kernel in one step, default and each opt-in variant, gpt2-124m and 1b
# (Nsight Compute, attn_times under the stage's result): which variant wins for which kernel; optional
# (newest first: the runs go config by config, gpt2-124m then 1b, and a cut takes the last)
ATTN_VARIANTS=default
for v in wgmma2tmabwd wgmma2tmak128fwd wgmma2tmafwd wgmma2wsfwd wgmma2wsswfwd wgmma2ppfwd wgmma2ppswfwd wgmma2pparegswfwd wgmma2mbbwd wgmma2mbswbwd wgmma2aregfwd wgmma2aregbwd wgmma2atomicaregbwd wgmma2aregswfwd wgmma2atomicbwd wgmma2atomicswbwd wgmma2k128fwd wgmma2k128swfwd atomicbwd tc2bwd wgmma2fwd wgmma2swfwd \
  wgmma2swbwd wgmma2bwd wgmmafwd wgmmasyncfwd wgmmabwd wgmmasync rows32 fusedbwd partials; do
  stage_ok "parity_$v" && ATTN_VARIANTS+=",$v"
done
# about 10 s per (config, variant) run (h200-7 ran 14 within 150 s)
# GPU_CHECK_ATTN_CONFIGS (a comma list, gpt2-124m and/or 1b; default both): the configs it times
ATTN_CONFIGS=${GPU_CHECK_ATTN_CONFIGS:-gpt2-124m,1b}
ATTN_RUNS=$(( $(tr ',' '\n' <<< "$ATTN_CONFIGS" | wc -l) * $(tr ',' '\n' <<< "$ATTN_VARIANTS" | wc -l) ))
ATTN_BOX=$(( ATTN_RUNS * 10 ))
(( ATTN_BOX < 150 )) && ATTN_BOX=150
optional attn_times
run_stage attn_times "$ATTN_BOX" python3 "$K/tools/attn_times.py" "$K/build/gpu-bench" "$LOGDIR" --variants "$ATTN_VARIANTS" --configs "$ATTN_CONFIGS"
# faster A B: stages A and B both measured tokens/s, and A more
faster() {
  python3 - "$LOGDIR/$1.out" "$LOGDIR/$2.out" <<'PY' 2>/dev/null
import json, sys
def tps(path):
    try:
        with open(path) as f:
            return json.loads(f.read().strip().splitlines()[-1]).get("tokens_per_s") or 0
    except (OSError, ValueError, IndexError):
        return 0
a, b = tps(sys.argv[1]), tps(sys.argv[2])
sys.exit(0 if a > b > 0 else 1)
PY
}
# attn_best STAGE CONFIG PREFIX GPU_BENCH_ARGS...: the fastest combination of the opt-ins measured above
# for CONFIG, end to end, where it is a mix that no stage above ran: each attention kernel's best shape
# and backward (attn_times: LOCO_CUDA_ATTN_ROWS=fwd,dq and the like, on our own kernels: `own` for a
# direction it leaves; nothing where our default kernels were the best), plus LOCO_CUDA_ROPE_BWD=fused
# where PREFIX_ropebwd beat PREFIX (the default) and the backward is not a fused one (which cannot
# take it), and LOCO_CUDA_CE=cpasync where PREFIX_cecp beat PREFIX; optional. The candidate for the next default, measured in the same run as the rest.
attn_best() {
  local stage=$1 config=$2 prefix=$3 words
  shift 3
  optional "$stage"
  words=
  [[ -f "$LOGDIR/attn_times.out" ]] && words=$(python3 "$K/tools/attn_times.py" --env "$config" < "$LOGDIR/attn_times.out" 2>/dev/null)
  if [[ " $words " != *" LOCO_CUDA_ATTN_BWD="* || " $words " == *" LOCO_CUDA_ATTN_BWD=own "* ]] && stage_ok "${prefix}_ropebwd" &&
    faster "${prefix}_ropebwd" "$prefix"; then
    words="${words:+$words }LOCO_CUDA_ROPE_BWD=fused"
  fi
  # ... and the cross-entropy by cp.async where PREFIX_cecp beat PREFIX
  if stage_ok "${prefix}_cecp" && faster "${prefix}_cecp" "$prefix"; then
    words="${words:+$words }LOCO_CUDA_CE=cpasync"
  fi
  # the default, or one variant whose bench above ran: nothing new to measure
  local v measured=
  [[ -z "$words" ]] && measured=default
  for v in "${!VARIANT_SETTING[@]}"; do
    [[ "${VARIANT_SETTING[$v]}" == "$words" ]] && stage_ok "${prefix}_$v" && measured=$v
  done
  if [[ -n "$measured" ]]; then
    skip_stage "$stage" "no combination for $config beyond the variants benchmarked above"
  else
    echo "$words" > "$LOGDIR/$stage.env"
    # shellcheck disable=SC2086  # the words are VAR=VALUE settings for env
    run_stage "$stage" 45 env $words "$K/build/gpu-bench" "$@"
  fi
}
attn_best bench_124m_best gpt2-124m bench_124m "${B124[@]}"
attn_best bench_1b_best 1b bench_1b "${B1B[@]}"
# variants (optional stages): the heuristic's first matmul algorithm instead of the timed one
# (LOCO_CUDA_GEMM_TUNE=0, the default until 2026-11-26), and the cluster-of-2 cross-entropy
# (LOCO_CUDA_CE=cluster)
optional bench_124m_heur bench_124m_ce bench_1b_heur kernels kernels_base kernels_1b kernels_1b_base attn_profile attn_profile_base \
  attn_profile_1b attn_profile_1b_wgfwd codec_variants attn_regs
run_stage bench_124m_heur 45 env LOCO_CUDA_GEMM_TUNE=0 "$K/build/gpu-bench" "${B124[@]}"
run_stage bench_124m_ce 45 env LOCO_CUDA_CE=cluster "$K/build/gpu-bench" "${B124[@]}"
run_stage bench_1b_heur 45 env LOCO_CUDA_GEMM_TUNE=0 "$K/build/gpu-bench" "${B1B[@]}"
# the default attention kernels (forward, dK/dV, dQ; one launch each of a gpt2-124m step) under
# Nsight Compute's occupancy, warp-state, memory and compute sections (attn_ncu.txt in $OUT/gpu-check-extras.tar.gz);
# optional, for the next round of attention tuning
run_stage attn_profile 60 bash "$K/tools/attn_ncu.sh" "$K/build/gpu-bench" "$LOGDIR/attn_ncu.txt"
# the same for 1b's (head_dim 128) kernels, where the attention backward is furthest from FA2 (attn_ncu_1b.txt)
run_stage attn_profile_1b 90 bash "$K/tools/attn_ncu.sh" "$K/build/gpu-bench" "$LOGDIR/attn_ncu_1b.txt" --config 1b
# the wgmma forward with two warpgroups at head_dim 128 (attn_ncu_1b_wgfwd.txt): 1.4x the tc2
# forward's time in h200-7, which the profile should explain; after its parity passed
if stage_ok parity_wgmma2fwd; then
  run_stage attn_profile_1b_wgfwd 45 env ATTN_NCU_PARTS=fwd LOCO_CUDA_ATTN_FWD=wgmma2 bash "$K/tools/attn_ncu.sh" \
    "$K/build/gpu-bench" "$LOGDIR/attn_ncu_1b_wgfwd.txt" --config 1b
else
  skip_stage attn_profile_1b_wgfwd "parity_wgmma2fwd did not pass"
fi
# per-kernel GPU time of one gpt2-124m step under Nsight Compute (ncu.csv in $OUT/gpu-check-extras.tar.gz); optional.
# kernels_base: the same for the baseline tree's gpu-bench (ncu_base.csv), so each kernel's time
# before and after a change is compared within one run (comparison.kernels_vs_base); kernels_1b and
# kernels_1b_base the same for a 1b step (ncu_1b.csv, ncu_1b_base.csv; kernels_vs_base_1b)
ncu_step() {  # ncu_step STAGE GPU_BENCH CONFIG CSV
  run_stage "$1" 60 bash -c "ncu --clock-control none --profile-from-start off --metrics gpu__time_duration.sum --csv \
    --log-file '$4' '$2' --config $3 --tokens 16384 --steps 1 --warmup 1 ${GPU_CHECK_NCU_ARGS:-} >/dev/null \
    && python3 '$K/tools/ncu_summary.py' '$4'"
}
ncu_step kernels "$K/build/gpu-bench" gpt2-124m "$LOGDIR/ncu.csv"
[[ -n "$BASE" ]] && ncu_step kernels_base "$BASE/build/gpu-bench" gpt2-124m "$LOGDIR/ncu_base.csv"
ncu_step kernels_1b "$K/build/gpu-bench" 1b "$LOGDIR/ncu_1b.csv"
[[ -n "$BASE" ]] && ncu_step kernels_1b_base "$BASE/build/gpu-bench" 1b "$LOGDIR/ncu_1b_base.csv"
# the time between kernels: Nsight Systems' trace of one whole gpt2-124m training step (gpu-bench
# --trace-timed: cudaProfilerStart to Stop around the last timed step, after two warmup steps), every
# kernel and copy at the clocks of a real run, where ncu times one kernel at a time (h200-8: ncu's
# kernel sum was 2.4 ms under the events around the same work). tools/gaps.py: the span, the GPU's
# busy time, the gaps and the longest ones, and per kind of kernel its time and the idle time before
# it (timeline.csv in $OUT/gpu-check-extras.tar.gz).
# timeline_graph: the same step as CUDA graphs (LOCO_CUDA_GRAPH=1; each graph's kernels traced one by
# one). Optional, and skipped where nsys is not installed
timeline_stage() {  # timeline_stage STAGE NAME [VAR=VALUE]
  run_stage "$1" 90 bash -c "env ${3:-} nsys profile --capture-range=cudaProfilerApi --capture-range-end=stop --trace=cuda \
    --cuda-graph-trace=node --force-overwrite=true --output='$LOGDIR/$2' '$K/build/gpu-bench' --config gpt2-124m \
    --tokens 16384 --steps 1 --warmup 2 --trace-timed > /dev/null \
    && nsys stats --report cuda_gpu_trace --format csv '$LOGDIR/$2.nsys-rep' > '$LOGDIR/$2.csv' \
    && python3 '$K/tools/gaps.py' '$LOGDIR/$2.csv'"
}
optional timeline timeline_graph
if command -v nsys > /dev/null 2>&1; then
  timeline_stage timeline timeline
  timeline_stage timeline_graph timeline_graph LOCO_CUDA_GRAPH=1
else
  skip_stage timeline "no nsys (Nsight Systems) on this machine"
  skip_stage timeline_graph "no nsys (Nsight Systems) on this machine"
fi
# the same for the baseline tree's attention kernels (attn_ncu_base.txt), so registers, occupancy
# and time per kernel are compared in one run; optional
[[ -n "$BASE" ]] && run_stage attn_profile_base 60 bash "$K/tools/attn_ncu.sh" "$BASE/build/gpu-bench" "$LOGDIR/attn_ncu_base.txt" --attn tc2
# opt-in select variants of the GPU codec (parity with the CPU on every case, bit-equal to variant 0
# on the full model, timings); last and separate, so a problem there cannot cost the results above
run_stage codec_variants 40 "$K/build/codec-cuda" parity bench --variants 0,2 --no-full-parity --reps 10
# registers, spills and instruction counts of every attention kernel with this machine's nvcc
# (several 32-row kernels sit at the 255-register limit; another nvcc could spill); optional
run_stage attn_regs 40 python3 "$K/tools/kernel_stats.py" "$K" src/cuda/attention_tc2.cu --summary
# the build users get (make cuda's default CUDA_ARCH list: sm_80 and sm_90a code, compute_80 PTX):
# this GPU must run its sm_90a code (the wgmma forward, as wgmmafwd, where that passed), with the
# same gpu-parity results as the one-target build; last, optional
optional build_fat parity_fat
run_stage build_fat 150 make -k -C "$K" -j"$JOBS" BUILD=build-fat cuda gpu-tools
FAT_ENV=LOCO_CUDA_ATTN=tc2
stage_ok parity_wgmmafwd && FAT_ENV=LOCO_CUDA_ATTN_FWD=wgmma
echo "$FAT_ENV" > "$LOGDIR/parity_fat.env"
if stage_ok build_fat; then
  run_stage parity_fat 60 env "$FAT_ENV" "$K/build-fat/gpu-parity" "${P124[@]}"
else
  skip_stage parity_fat "build_fat did not pass"
fi

# ---- summary -------------------------------------------------------------------------------------
SUMMARY="$WORK/gpu-check.json"
now
ELAPSED=$(( NOW - START ))
python3 - "$LOGDIR" "$ELAPSED" "$BUDGET" "${STAGES[@]}" > "$SUMMARY" <<'PY' || echo "{\"tool\":\"gpu-check\",\"ok\":false,\"error\":\"summary failed\"}" > "$SUMMARY"
import json, os, sys
logdir, elapsed, budget, stages = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]

def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""

def last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                pass
    return None

out = {"tool": "gpu-check", "elapsed_s": elapsed, "budget_s": budget, "stages": {}, "optional_failed": []}
# the stages marked `optional` above (opt-in kernels, profilers): reported, not part of "ok"
OPTIONAL = {s for s in stages if os.path.exists(os.path.join(logdir, s + ".optional"))}
ok = True
for s in stages:
    ok_before = ok
    st = read(os.path.join(logdir, s + ".status")).split()
    o, e = read(os.path.join(logdir, s + ".out")), read(os.path.join(logdir, s + ".err"))
    rec = {}
    if st and st[0] in ("skipped", "no_time"):
        rec["status"] = st[0]
        if st[0] == "no_time":
            ok = False
    else:
        rc = int(st[0]) if st else -1
        rec.update({"rc": rc, "seconds": float(st[1]) if len(st) > 1 else None, "time_box_s": int(st[2]) if len(st) > 2 else None,
                    "timed_out": rc in (124, 137)})
        j = last_json(o)
        if s == "torch" and j is None:
            j = last_json(read(os.path.join(logdir, "torch.partial.json")))
            if j is not None:
                j["partial"] = True
        if j is not None:
            rec["result"] = j
        if s == "info":
            rec["text"] = o.strip().splitlines()
        # the cuDNN attention's plan choices (engine, workspace, what failed before it) or its error
        cudnn = [l for l in e.splitlines() if l.startswith("loco-engine: cuDNN") or "cuDNN attention:" in l]
        if cudnn:
            rec["cudnn"] = [l[:2000] for l in cudnn[:8]]
        if rc != 0:
            ok = False
            rec["stderr_tail"] = e[-1500:]
        elif isinstance(j, dict) and j.get("ok") is False:
            ok = False
    out["stages"][s] = rec
    if s in OPTIONAL and not ok:
        if ok_before:
            out["optional_failed"].append(s)
        ok = ok_before

def res(name):
    return out["stages"].get(name, {}).get("result") or {}

# each engine run of a config: its name in the comparison and its stage, the config's bench stage
# (bench_124m, bench_1b) plus this suffix
RUN_SUFFIXES = {"default": "", "heuristic_gemm": "_heur", "ce_cluster": "_ce", "fused_bwd": "_fusedbwd",
                "rows32": "_rows32", "attn_best": "_best", "logits_fp32": "_logits32",
                "norm_bwd_reread": "_normreread", "rope_bwd_fused": "_ropebwd", "ce_cpasync": "_cecp",
                "own_attention": "_own", "graphs": "_graph", "head_rows_4096": "_head4k",
                "head_rows_16384": "_head16k", "graphs_head_rows_16384": "_graphhead16k",
                "graphs_head_rows_16384_ce_exp2": "_graphhead16kexp2", "adamw_grouped": "_adamwgrouped",
                "norm_dg_each": "_normdgeach", "ce_exp2": "_ceexp2", "norm_dy_bf16": "_normdybf16", "gemm_tune_32": "_tune32",
                "all_opt_ins": "_allopt", "pdl": "_pdl", "all_opt_ins_pdl": "_allpdl", "cudnn_atomic_bwd": "_cudnn",
                "cudnn_torch_lib": "_cudnntorch", "dq_partials": "_partials", "wgmma_bwd": "_wgmmabwd",
                "wgmma_sync_bwd": "_wgmmasync", "wgmma_fwd": "_wgmmafwd", "wgmma2_bwd": "_wgmma2bwd",
                "wgmma2_fwd": "_wgmma2fwd", "wgmma_sync_fwd": "_wgmmasyncfwd",
                "wgmma2_sw_fwd": "_wgmma2swfwd", "wgmma2_sw_bwd": "_wgmma2swbwd", "tc2_bwd": "_tc2bwd",
                "dq_atomic": "_atomicbwd", "wgmma2_atomic_bwd": "_wgmma2atomicbwd",
                "wgmma2_k128_fwd": "_wgmma2k128fwd", "wgmma2_atomic_sw_bwd": "_wgmma2atomicswbwd",
                "wgmma2_k128_sw_fwd": "_wgmma2k128swfwd", "wgmma2_areg_fwd": "_wgmma2aregfwd",
                "wgmma2_areg_sw_fwd": "_wgmma2aregswfwd", "wgmma2_areg_bwd": "_wgmma2aregbwd",
                "wgmma2_atomic_areg_bwd": "_wgmma2atomicaregbwd", "wgmma2_pp_fwd": "_wgmma2ppfwd",
                "wgmma2_pp_sw_fwd": "_wgmma2ppswfwd", "wgmma2_pp_areg_sw_fwd": "_wgmma2pparegswfwd",
                "wgmma2_ws_fwd": "_wgmma2wsfwd", "wgmma2_ws_sw_fwd": "_wgmma2wsswfwd",
                "wgmma2_tma_fwd": "_wgmma2tmafwd", "wgmma2_tma_k128_fwd": "_wgmma2tmak128fwd",
                "wgmma2_tma_bwd": "_wgmma2tmabwd", "wgmma2_mb_bwd": "_wgmma2mbbwd",
                "wgmma2_mb_sw_bwd": "_wgmma2mbswbwd"}
# the comparisons the issue asks for, side by side
cmp = {}
torch_runs = {(r["config"], r["mode"]): r for r in res("torch").get("runs", [])}
for cfg, stage in (("gpt2-124m", "bench_124m"), ("1b", "bench_1b")):
    runs = {name: res(stage + sfx) for name, sfx in RUN_SUFFIXES.items()}
    row = {"engine_attn_best_env": read(os.path.join(logdir, stage + "_best.env")).strip() or None}
    for name, r in runs.items():
        row[f"engine_{name}_tokens_per_s"] = r.get("tokens_per_s")
        row[f"engine_{name}_mfu"] = r.get("mfu")
        row[f"engine_{name}_step_ms"] = r.get("step_ms")
        row[f"engine_{name}_peak_mem_bytes"] = r.get("peak_mem_bytes")
        row[f"engine_{name}_attention_fwd_ms"] = r.get("attention_fwd_ms_per_step")
        row[f"engine_{name}_attention_bwd_ms"] = r.get("attention_bwd_ms_per_step")
    # baselines: the earlier tree, one run per attention (stage NAME_base_ATTN); the fastest is "the" baseline
    base = {}
    for sname in out["stages"]:
        if sname.startswith(stage + "_base_"):
            r, attn = res(sname), sname[len(stage + "_base_"):]
            row[f"baseline_{attn}_tokens_per_s"] = r.get("tokens_per_s")
            row[f"baseline_{attn}_mfu"] = r.get("mfu")
            if r.get("ok") and (r.get("tokens_per_s") or 0) > (base.get("tokens_per_s") or 0):
                base = r
                row["baseline_best"] = attn
    ok_runs = [(n, r) for n, r in runs.items() if r.get("ok") and r.get("tokens_per_s")]
    best_name, best = max(ok_runs, key=lambda nr: nr[1]["tokens_per_s"], default=(None, {}))
    row["engine_best"] = best_name
    if best and base.get("tokens_per_s"):
        row["speedup_vs_baseline"] = best["tokens_per_s"] / base["tokens_per_s"]
    for mode in ("eager", "compile"):
        r = torch_runs.get((cfg, mode))
        if r:
            row[f"torch_{mode}_tokens_per_s"] = r["tokens_per_s"]
            row[f"torch_{mode}_mfu"] = r["mfu"]
            if best:
                row[f"speedup_vs_torch_{mode}"] = best["tokens_per_s"] / r["tokens_per_s"]
    # the attention alone, per training step: the engine's kernels (attn_times, Nsight Compute) beside
    # PyTorch's SDPA (bench.py, CUDA events) at the same shape
    ta = next((r for r in res("torch").get("attention") or [] if r.get("config") == cfg), None)
    if ta:
        row["torch_attention_ms_per_step"] = {b: ta[b] for b in ("default", "flash", "cudnn") if b in ta}
    at = res("attn_times")
    ad = next((r for r in at.get("runs") or [] if r.get("config") == cfg and r.get("variant") == "default" and "parts" in r), None)
    if ad:
        row["engine_attention_ms_per_step"] = {"default": ad.get("total_ms"),
                                               "best_combination": (at.get("best") or {}).get(cfg, {}).get("best_ms")}
    cmp[cfg] = row
cb, tc = res("codec").get("bench") or {}, res("torch").get("codec") or {}
cmp["sparseloco_124m"] = {
    "gpu_compress_ms": cb.get("encode_ms"),
    "select_variants": {"parity_ok": (res("codec_variants").get("parity") or {}).get("ok"),
                        "runs": (res("codec_variants").get("bench") or {}).get("variants"),
                        "default_variant_ms_same_run": (res("codec_variants").get("bench") or {}).get("encode_ms")},
    "gpu_compress_steps_ms": cb.get("encode_steps_ms"), "gpu_aggregate_ms": cb.get("aggregate_ms"),
    "gpu_aggregate_outer_ms": cb.get("aggregate_outer_ms"), "gpu_memcpy_ms": cb.get("memcpy_ms"),
    "bytes_bit_exact_vs_cpu": (res("codec").get("parity") or {}).get("ok"), "full_model_parity": cb.get("parity_ok"),
    "ratio": cb.get("ratio"),
    "torch_compress_ms": tc.get("compress_ms"), "torch_aggregate_ms": tc.get("aggregate_ms"),
}
if cb.get("encode_ms") and tc.get("compress_ms"):
    cmp["sparseloco_124m"]["compress_speedup_vs_torch"] = tc["compress_ms"] / cb["encode_ms"]
if cb.get("aggregate_ms") and tc.get("aggregate_ms"):
    cmp["sparseloco_124m"]["aggregate_speedup_vs_torch"] = tc["aggregate_ms"] / cb["aggregate_ms"]
ref = res("reference")
cmp["reference"] = {"ok": ref.get("ok"), "grads_cpu_max_rel": (ref.get("grads") or {}).get("cpu", {}).get("max_rel"),
                    "grads_cuda_fp32_max_rel": (ref.get("grads") or {}).get("cuda_fp32", {}).get("max_rel"),
                    "losses": ref.get("losses")}
par = res("parity")
cmp["engine_parity"] = {"ok": par.get("ok"), "failures": par.get("failures")}
# CUDA graphs: gpu-parity's check that replayed steps give the eager steps' bits (tiny and gpt2-124m
# shapes), and what the benches with LOCO_CUDA_GRAPH=1 captured, launched and why a capture failed
cmp["graphs"] = {"parity_tiny": par.get("graphs"), "parity_124m": res("parity_124m").get("graphs"),
                 "parity_graph_ok": res("parity_graph").get("ok"), "engine_session_ok": res("engine_graph").get("ok"),
                 "bench_124m": res("bench_124m_graph").get("graphs"), "bench_1b": res("bench_1b_graph").get("graphs")}
# programmatic dependent launch: gpu-parity's check that the steps give the usual launches' bits, one
# by one and as graphs (tiny and gpt2-124m shapes; "supported": false below compute capability 9.0)
cmp["pdl"] = {"parity_tiny": par.get("pdl"), "parity_124m": res("parity_124m").get("pdl"),
              "parity_pdl_ok": res("parity_pdl").get("ok"), "parity_allpdl_ok": res("parity_allpdl").get("ok")}
# 32 rows per warp must give the 16-row kernels' bits (the same sums in the same order): the
# checksums of gpu-parity's attention cases, default run against the LOCO_CUDA_ATTN_ROWS=32 run
f16, f32 = res("parity_124m").get("attention_tc2_fnv1a"), res("parity_rows32").get("attention_tc2_fnv1a")
cmp["rows32_bit_identical"] = (f16 == f32) if f16 and f32 else None
# per variant: did its gpu-parity (gpt2-124m shapes) give the default's losses, gradient norms and
# per-tensor errors to the last digit? (true for a variant whose kernels give the same bits, such as
# normreread; the others round differently and say false)
def parity_numbers(r):
    p = r.get("precisions")
    return json.dumps(p, sort_keys=True) if isinstance(p, dict) and p else None
# two gpu-parity results with the same numbers to the last digit (None where either is missing)
def same_parity(a, b):
    x, y = parity_numbers(a), parity_numbers(b)
    return (x == y) if x and y else None
base_numbers = parity_numbers(res("parity_124m"))
same = {}
for sname in out["stages"]:
    if sname.startswith("parity_") and sname != "parity_124m":
        n = parity_numbers(res(sname))
        if n and base_numbers:
            same[sname[len("parity_"):]] = n == base_numbers
cmp["parity_same_results_as_default"] = same
# the overlapped and the waiting wgmma schedules add the same products in the same order: equal
# gpu-parity numbers, or the overlap reads something before its products completed
cmp["wgmma_sync_same_as_overlapped"] = same_parity(res("parity_wgmmabwd"), res("parity_wgmmasync"))
cmp["wgmma_sync_fwd_same_as_overlapped"] = same_parity(res("parity_wgmmafwd"), res("parity_wgmmasyncfwd"))
# the several-GPU build on this GPU: the same gpu-parity numbers as the one-target build's run of
# the same settings (parity_wgmmafwd, or parity_124m)
fat_env = read(os.path.join(logdir, "parity_fat.env")).strip()
fat_one = res("parity_wgmmafwd" if fat_env.startswith("LOCO_CUDA_ATTN_FWD") else "parity_124m")
cmp["fat_build"] = {"env": fat_env or None, "ok": res("parity_fat").get("ok"),
                    "same_as_one_target": same_parity(res("parity_fat"), fat_one)}
# two warpgroups per block issue each warpgroup's products as one does (the dK/dV kernel adds exact
# zeros for a tile before its keys): equal gpu-parity numbers, or the shared tiles were misread
cmp["wgmma2_same_as_one"] = {"bwd": same_parity(res("parity_wgmmabwd"), res("parity_wgmma2bwd")),
                             "fwd": same_parity(res("parity_wgmmafwd"), res("parity_wgmma2fwd"))}
# the 128-byte swizzle puts the same values elsewhere: the same gpu-parity numbers as without it
# (not asked of the fused backward's pair: its atomic adds land in a different order each run)
cmp["wgmma_sw_same_as_plain"] = {"fwd": same_parity(res("parity_wgmma2fwd"), res("parity_wgmma2swfwd")),
                                 "bwd": same_parity(res("parity_wgmma2bwd"), res("parity_wgmma2swbwd")),
                                 "k128_fwd": same_parity(res("parity_wgmma2k128fwd"), res("parity_wgmma2k128swfwd")),
                                 "areg_fwd": same_parity(res("parity_wgmma2aregfwd"), res("parity_wgmma2aregswfwd"))}
# the score products' A operand from registers instead of shared memory: the same products, so the
# same gpu-parity numbers as the two-warpgroup kernels reading it from shared memory
cmp["wgmma_areg_same_as_smem"] = {"fwd": same_parity(res("parity_wgmma2fwd"), res("parity_wgmma2aregfwd")),
                                  "bwd": same_parity(res("parity_wgmma2bwd"), res("parity_wgmma2aregbwd"))}
# the forward with mbarrier stages and turns adds the same products in the same order as wgmma2's:
# the same gpu-parity numbers (swizzled or not, with a producer, its copies by TMA), or a stage was
# read before it landed or refilled while read; on 128-key tiles, wgmma2-k128's. (Each against the
# plain kernel, which a second call's GPU_CHECK_ONLY can run beside them.)
cmp["wgmma_pp_same_as_plain"] = {"fwd": same_parity(res("parity_wgmma2fwd"), res("parity_wgmma2ppfwd")),
                                 "sw_fwd": same_parity(res("parity_wgmma2fwd"), res("parity_wgmma2ppswfwd")),
                                 "areg_sw_fwd": same_parity(res("parity_wgmma2fwd"), res("parity_wgmma2pparegswfwd")),
                                 "ws_fwd": same_parity(res("parity_wgmma2fwd"), res("parity_wgmma2wsfwd")),
                                 "ws_sw_fwd": same_parity(res("parity_wgmma2fwd"), res("parity_wgmma2wsswfwd")),
                                 "tma_fwd": same_parity(res("parity_wgmma2fwd"), res("parity_wgmma2tmafwd")),
                                 "tma_k128_fwd": same_parity(res("parity_wgmma2k128fwd"), res("parity_wgmma2tmak128fwd"))}
# ... and so does the backward with mbarrier stages (swizzled or not)
cmp["wgmma_mb_same_as_plain"] = {"bwd": same_parity(res("parity_wgmma2bwd"), res("parity_wgmma2mbbwd")),
                                 "sw_bwd": same_parity(res("parity_wgmma2bwd"), res("parity_wgmma2mbswbwd")),
                                 "tma_bwd": same_parity(res("parity_wgmma2bwd"), res("parity_wgmma2tmabwd"))}
wp = res("wgmma_probe")
cmp["wgmma_layout"] = {k: wp.get(k) for k in ("d_layout_ok", "a_regs_layout_ok", "kmajor_lbo", "kmajor_lbo_b_only", "mnmajor_b_lbo",
                                                "kernel_assumes", "kernel_layout_ok", "sw128_kmajor_ok", "sw128_mnmajor_ok",
                                                "ok")} if wp else None
if cmp["wgmma_layout"] is not None:
    # the wgmma variants' build: the default one, or build-wgflip with the probe's readings
    cmp["wgmma_layout"]["variants_built_with"] = read(os.path.join(logdir, "build_wgflip.flags")).strip() \
        if out["stages"].get("build_wgflip", {}).get("rc") == 0 else None
    cmp["wgmma_layout"]["flipped_probe_kernel_layout_ok"] = res("wgmma_probe_flip").get("kernel_layout_ok")
# each kernel's time in one step, this tree against the baseline tree (kernels and kernels_base for
# gpt2-124m, kernels_1b and kernels_1b_base for 1b), matched by name, grid and block; largest first
def kernels_vs_base(stage):
    kn, kb = res(stage).get("kernels"), res(stage + "_base").get("kernels")
    if not (kn and kb):
        return None
    def by_key(ks):
        return {(k["name"], k["grid"], k["block"]): k for k in ks}
    now, before = by_key(kn), by_key(kb)
    rows = []
    for key in list(now) + [k for k in before if k not in now]:
        a, b = now.get(key, {}), before.get(key, {})
        rows.append({"name": key[0][:100], "grid": key[1], "ms": a.get("ms"), "base_ms": b.get("ms"),
                     "count": a.get("count", b.get("count"))})
    rows.sort(key=lambda r: -max(r["ms"] or 0, r["base_ms"] or 0))
    return {"total_ms": res(stage).get("total_ms"), "base_total_ms": res(stage + "_base").get("total_ms"), "kernels": rows[:40]}
for stage, name in (("kernels", "kernels_vs_base"), ("kernels_1b", "kernels_vs_base_1b")):
    kv = kernels_vs_base(stage)
    if kv:
        cmp[name] = kv
out["device_name"] = res("codec").get("device_name") or res("bench_124m").get("device_name") or res("torch").get("device_name")
out["comparison"] = cmp
out["ok"] = ok
print(json.dumps(out))
PY

if [[ -n "${OUT:-}" ]]; then
  cp "$SUMMARY" "$OUT/gpu-check.json"
  # every stage's status, stdout and stderr, in the order they ran (one process, not three per stage)
  python3 - "$LOGDIR" "${STAGES[@]}" > "$OUT/gpu-check.log" <<'PY'
import os, sys
logdir, out = sys.argv[1], sys.stdout.buffer
def read(stage, ext):
    try:
        with open(os.path.join(logdir, stage + ext), "rb") as f:
            return f.read()
    except OSError:
        return b""
for stage in sys.argv[2:]:
    out.write(b"===== " + stage.encode() + b": status " + read(stage, ".status").rstrip(b"\n") + b" =====\n")
    out.write(b"----- stdout -----\n" + read(stage, ".out"))
    out.write(b"----- stderr -----\n" + read(stage, ".err"))
PY
  # everything else in ONE archive: the device tool brings back at most 8 files from $OUT, and a run
  # that wrote 23 (h200-7: an attn-times CSV per config and variant) lost its gpu-check.json
  extras=()
  for f in ncu.csv ncu_base.csv ncu_1b.csv ncu_1b_base.csv timeline.csv timeline_graph.csv attn_ncu.txt attn_ncu_1b.txt attn_ncu_1b_wgfwd.txt attn_ncu_base.txt; do
    [[ -f "$LOGDIR/$f" ]] && extras+=("$f")
  done
  for f in "$LOGDIR"/attn-times-*.csv; do [[ -f "$f" ]] && extras+=("${f##*/}"); done
  (( ${#extras[@]} )) && tar czf "$OUT/gpu-check-extras.tar.gz" -C "$LOGDIR" "${extras[@]}"
  rm -f "$OUT/gpu-check.partial.log"
  log "wrote $OUT/gpu-check.json and $OUT/gpu-check.log"
fi
now
log "done in $(( NOW - START ))s"
cat "$SUMMARY"
STATUS=1
python3 -c "import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))['ok'] else 1)" "$SUMMARY" 2>/dev/null && STATUS=0
rm -rf "$WORK"
exit $STATUS
