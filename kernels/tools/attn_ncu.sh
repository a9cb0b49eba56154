#!/usr/bin/env bash
# kernels/tools/attn_ncu.sh GPU_BENCH OUT_FILE [gpu-bench arguments...] — gpu-check.sh's attn_profile
# stages: the attention kernels (forward, dK/dV, dQ; one launch each of a gpt2-124m step) under Nsight
# Compute's occupancy, launch, warp-state, scheduler, memory and compute sections, appended to OUT_FILE.
# Prints one JSON line when every kernel was profiled; exits 1 otherwise.
set -u
bench=$1 out=$2
shift 2
for k in attn2_fwd attn2_bwd_dkv attn2_bwd_dq; do
  ncu --clock-control none --profile-from-start off -k "regex:$k" --launch-count 1 --section SpeedOfLight \
    --section Occupancy --section LaunchStats --section WarpStateStats --section SchedulerStats \
    --section MemoryWorkloadAnalysis --section ComputeWorkloadAnalysis \
    "$bench" --config gpt2-124m --tokens 16384 --steps 1 --warmup 0 "$@" >> "$out" 2>&1 || exit 1
done
echo '{"tool":"attn-profile","ok":true}'
