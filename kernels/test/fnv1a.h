// FNV-1a (64-bit) over raw bytes: the test tools' checksum of kernel outputs. Equal sums mean
// bit-identical outputs, so a kernel change or an opt-in variant can be checked for "the same bits"
// and not only "within tolerance" (attention_tc_emu.cpp, gpu_parity.cu).
#pragma once
#include <cstddef>
#include <cstdint>

constexpr uint64_t FNV1A_BASIS = 0xcbf29ce484222325ull;
inline uint64_t fnv1a(uint64_t h, const void* p, size_t n) {
  const unsigned char* b = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}
