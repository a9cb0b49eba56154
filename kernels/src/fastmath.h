// exp that the compiler can vectorise (std::expf cannot be inlined into SIMD loops without
// -ffast-math). Cody–Waite range reduction + degree-6 polynomial; max error ≈ 2 ulp on [−87, 88],
// deterministic (no library dispatch). Double precision uses std::exp (the gradient check).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

static inline float fast_expf(float x) {
  x = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
  const float n = std::nearbyint(x * 1.44269504088896341f);
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  // e^r on [−ln2/2, ln2/2]
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t e = ((int32_t)n + 127) << 23;
  float s;
  std::memcpy(&s, &e, 4);
  return p * s;
}

template <typename T>
static inline T vexp(T x) { return std::exp(x); }
template <>
inline float vexp<float>(float x) { return fast_expf(x); }
