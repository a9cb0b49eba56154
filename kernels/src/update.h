// The update of the engine's `apply` command (docs/trainer-protocol.md): p_i ← fl(p_i + fl(alpha·u_i))
// with alpha = fl(−lr), two fp32 roundings — the codec's outer step (`applyUpdate`,
// src/codec/sparseloco.ts) bit for bit. update.cpp is compiled without floating-point contraction: a
// fused multiply-add rounds once, so the parameters would depend on whether the machine has FMA,
// and peers that apply the same update must keep the same bits (sample_params sync checks).
#pragma once
#include <cstddef>
#include <cstdint>

void apply_dense_update(float* p, const float* u, float alpha, size_t n);
// Entries in file order; duplicate indices accumulate. Indices are checked by the caller.
void apply_sparse_update(float* p, const uint32_t* idx, const float* val, size_t n, float alpha);
