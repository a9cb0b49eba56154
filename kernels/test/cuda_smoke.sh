#!/usr/bin/env bash
# Device-side checks of the CUDA training backend in one go (development aid; kernels/gpu-check.sh
# is the full check): build, cuBLASLt ABI check, parity (tiny, small, and one layer shape each of
# gpt2-124m and 1b), an engine session over the line protocol with --device cuda, and benchmarks.
# Full JSON results go to $OUT (default /tmp/cuda-smoke); a compact summary to stdout.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/cuda-smoke}
mkdir -p "$OUT"
export PATH=$PATH:/usr/local/cuda/bin
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
t0=$(date +%s)
if ! make -j16 cuda gpu-tools >"$OUT/build.log" 2>&1; then tail -40 "$OUT/build.log"; exit 1; fi
echo "build: $(( $(date +%s) - t0 )) s"
make -s cublaslt-abi-check 2>&1 | tail -3
summ() {  # compact view of a gpu-parity JSON
  python3 - "$1" <<'PY'
import json,sys
try: j=json.load(open(sys.argv[1]))
except Exception as e: print("  unreadable:", e, open(sys.argv[1]).read()[:500]); sys.exit()
if 'error' in j: print("  ERROR:", j['error']); sys.exit()
print(f"  ok={j['ok']} init_identical={j.get('init_identical')} self_check={j.get('self_check_caught')} loss_cpu={j['loss_cpu']:.6f}")
for p,v in j['precisions'].items():
  print(f"  {p}: loss={v['loss']:.6f} rel={v['loss_rel_err']:.2e} gnorm_rel={v['grad_norm_rel_err']:.2e} worst={v['worst_grad_tensor']} {v['worst_grad_rel_err']:.2e} adamw={v.get('adamw_update_rel_err',0):.2e} max_abs={v.get('adamw_param_max_abs_err',0):.2e}")
for f in j['failures'][:12]: print("  FAIL", f)
PY
}
run_parity() {  # name, args...
  local name=$1; shift
  local t=$(date +%s)
  timeout 240 build/gpu-parity "$@" >"$OUT/parity-$name.json" 2>"$OUT/parity-$name.err"
  echo "parity $name ($*): rc=$? $(( $(date +%s) - t )) s"; summ "$OUT/parity-$name.json"; tail -3 "$OUT/parity-$name.err"
  python3 -c "
import json
j=json.load(open('$OUT/parity-$name.json'))
for a in j.get('attention_tc', []): print('  attn-tc hd=%d T=%d y=%.1e lse=%.1e dq=%.1e dk=%.1e dv=%.1e ok=%s' % (a['head_dim'], a['T'], a['y_rel'], a['lse_max_abs'], a['dq_rel'], a['dk_rel'], a['dv_rel'], a['ok']))
" 2>/dev/null
}
LOCO_CUDA_SYNC=1 run_parity tiny --config tiny --seed 1 --B 4 --dump /tmp/parity-dump
run_parity small --config small --seed 2 --B 2
run_parity 124m --config gpt2-124m --seed 3 --B 1 --T 192 --steps 1
# engine over the line protocol: tiny model, a synthetic shard, train on cuda and on cpu
python3 - <<'PY'
import struct, random
random.seed(5); n=64*40+1
with open('/tmp/smoke_shard.bin','wb') as f:
  h=[20240520,1,n]+[0]*253; f.write(struct.pack('<256i',*h)); f.write(struct.pack(f'<{n}H',*[random.randrange(50257) for _ in range(n)]))
PY
CFG='{"name":"tiny","vocab_size":50257,"padded_vocab_size":50304,"seq_len":64,"d_model":64,"n_layers":2,"n_heads":4,"d_ff":176,"rope_theta":10000,"norm_eps":1e-5,"init_std":0.02}'
for dev in cuda cpu; do
  # stdin stays open until shutdown: at end-of-file the engine stops a running train between steps
  { printf '%s\n' "{\"id\":1,\"cmd\":\"init\",\"config\":$CFG,\"seed\":7}" \
    '{"id":2,"cmd":"train","shards":["/tmp/smoke_shard.bin"],"samples":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15],"micro_batch":2,"grad_accum":2,"steps":4,"lr":0.001}' \
    '{"id":3,"cmd":"eval","shards":["/tmp/smoke_shard.bin"],"samples":[20,21,22,23]}' \
    '{"id":4,"cmd":"sample_params","indices":[0,1,3216000]}'; sleep 4; printf '%s\n' '{"id":5,"cmd":"shutdown"}'; } |
    timeout 60 build/loco-engine --device $dev >"$OUT/engine-$dev.jsonl" 2>"$OUT/engine-$dev.err"
  echo "engine $dev: rc=$?"; python3 -c "
import json,sys
for l in open('$OUT/engine-$dev.jsonl'):
  j=json.loads(l); e=j['event']
  if e=='ready': print('  ready', j['backend'], j['describe'])
  elif e=='step': print('  step', j['step'], 'loss %.6f'%j['loss'], 'gn %.4f'%j['grad_norm'])
  elif e=='done' and 'loss' in j: print('  eval loss %.6f'%j['loss'])
  elif e=='done' and 'values' in j: print('  sample', j['values'])
  elif e=='error': print('  ERROR', j)
"; tail -2 "$OUT/engine-$dev.err"
done
bench() {
  local t=$(date +%s)
  timeout 200 build/gpu-bench "$@" >"$OUT/bench-$2${LOCO_CUDA_ATTN:+-$LOCO_CUDA_ATTN}.json" 2>"$OUT/bench-$2.err"
  echo "bench $* ${LOCO_CUDA_ATTN:-}: rc=$? $(( $(date +%s) - t )) s"; cat "$OUT/bench-$2${LOCO_CUDA_ATTN:+-$LOCO_CUDA_ATTN}.json"; tail -3 "$OUT/bench-$2.err"
}
bench --config gpt2-124m --tokens 16384 --steps 5
bench --config 1b --tokens 16384 --steps 2 --warmup 1
# the tensor-core attention (opt-in until verified on a GPU), and its end-to-end parity
LOCO_CUDA_ATTN=tc bench --config gpt2-124m --tokens 16384 --steps 5
LOCO_CUDA_ATTN=tc bench --config 1b --tokens 16384 --steps 3 --warmup 1
LOCO_CUDA_ATTN=tc run_parity tiny-tc --config tiny --seed 1 --B 4
LOCO_CUDA_ATTN=tc run_parity 124m-tc --config gpt2-124m --seed 3 --B 1 --T 192 --steps 1
[ "${SMOKE_QUICK:-0}" = 1 ] || run_parity 1b --config 1b --seed 4 --B 1 --T 64 --steps 0
