#!/usr/bin/env bash
# kernels/tools/attn_ncu.sh GPU_BENCH OUT_FILE [gpu-bench arguments...] — gpu-check.sh's attn_profile
# stages: the attention kernels (forward, dK/dV, dQ; one launch each of a gpt2-124m step) under Nsight
# Compute's occupancy, launch, warp-state, scheduler, memory and compute sections and the warp stall
# reasons, appended to OUT_FILE.
# Prints one JSON line when every kernel was profiled; exits 1 otherwise.
set -u
bench=$1 out=$2
shift 2
# this engine's own kernels: cuDNN's attention is the default on an H100/H200 since h200-8 (a variable
# set by the caller, such as LOCO_CUDA_ATTN_FWD=wgmma2, is kept)
export LOCO_CUDA_ATTN_FWD=${LOCO_CUDA_ATTN_FWD:-own} LOCO_CUDA_ATTN_BWD=${LOCO_CUDA_ATTN_BWD:-own}
one=$(mktemp)
trap 'rm -f "$one"' EXIT
# attn2_*: the mma.sync kernels; attn3_*: the wgmma ones (LOCO_CUDA_ATTN_FWD / _BWD=wgmma…);
# ATTN_NCU_PARTS picks some of them (fwd, bwd_dkv, bwd_dq)
for part in ${ATTN_NCU_PARTS:-fwd bwd_dkv bwd_dq}; do
  k="attn[23]_$part"
  ncu --clock-control none --profile-from-start off -k "regex:$k" --launch-count 1 --section SpeedOfLight \
    --section Occupancy --section LaunchStats --section WarpStateStats --section SchedulerStats \
    --section MemoryWorkloadAnalysis --section ComputeWorkloadAnalysis \
    "$bench" --config gpt2-124m --tokens 16384 --steps 1 --warmup 0 "$@" > "$one" 2>&1
  rc=$?
  cat "$one" >> "$out"
  # ncu exits 0 when its filter matched nothing (h200-7: the attn3 kernels under an attn2 filter)
  (( rc == 0 )) || exit 1
  grep -q "No kernels were profiled" "$one" && { echo "no kernel matched $k" >&2; exit 1; }
  # what the warps wait on, per issued instruction (barrier, long/short scoreboard, mio throttle,
  # math pipe, ...): the sections above give only the total (h100-5: 9.16 cycles per issued
  # instruction in dK/dV). Not fatal: a name this ncu does not know only loses this part
  ncu --clock-control none --profile-from-start off -k "regex:$k" --launch-count 1 \
    --metrics "regex:smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio" \
    "$bench" --config gpt2-124m --tokens 16384 --steps 1 --warmup 0 "$@" >> "$out" 2>&1 || echo "stall metrics for $k unavailable" >> "$out"
done
echo '{"tool":"attn-profile","ok":true}'
