// Which 4-element pieces of the flat parameter vector take weight decay: the bit mask that lets
// k_adamw_pieces update every tensor in one launch (host-only; test/kernels_emu.cpp checks it and the
// one launch against a launch per group of tensors).
#pragma once
#include <vector>

#include "../config.h"

// Bit i (word i / 32, bit i % 32) is set where elements 4i…4i+3 belong to a tensor with decay().
// Empty where the layout is not contiguous from 0 or a tensor does not start and end on a piece.
inline std::vector<unsigned> decay_piece_bits(const std::vector<TensorInfo>& layout) {
  if (layout.empty()) return {};
  const size_t pieces = (layout.back().offset + layout.back().numel) / 4;
  std::vector<unsigned> bits((pieces + 31) / 32, 0u);
  size_t next = 0;
  for (const TensorInfo& t : layout) {
    if (t.offset != next || t.offset % 4 || t.numel % 4) return {};
    next = t.offset + t.numel;
    if (!t.decay()) continue;
    // pieces [a, b): the partial words at either end bit by bit, the whole words between at once
    size_t a = t.offset / 4;
    const size_t b = next / 4;
    for (; a < b && a % 32; a++) bits[a / 32] |= 1u << (a % 32);
    for (; a + 32 <= b; a += 32) bits[a / 32] = ~0u;
    for (; a < b; a++) bits[a / 32] |= 1u << (a % 32);
  }
  return bits;
}
