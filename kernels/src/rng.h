// SplitMix64 → uniform doubles → Box–Muller normals (docs/trainer-protocol.md, "Initialisation").
#pragma once
#include <cmath>
#include <cstdint>

struct SplitMix64 {
  uint64_t state;
  explicit SplitMix64(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // uniform in [0, 1): top 53 bits
  double uniform() { return (double)(next() >> 11) * (1.0 / 9007199254740992.0); }
};

// Normals in pairs: u1 = 1 − uniform() (in (0,1]), u2 = uniform();
// r = sqrt(−2 ln u1); first r·cos(2π u2), then r·sin(2π u2). One continuous stream.
struct NormalStream {
  SplitMix64 rng;
  bool have_spare = false;
  double spare = 0;
  explicit NormalStream(uint64_t seed) : rng(seed) {}
  // The stream from normal n on, without drawing the n before it: pair j uses draws 2j and 2j + 1,
  // and SplitMix64's state after k draws is seed + k·γ (mod 2^64); an odd n starts at a pair's sin.
  static NormalStream at(uint64_t seed, uint64_t n) {
    NormalStream s(seed);
    s.rng.state = seed + (n & ~1ULL) * 0x9E3779B97F4A7C15ULL;
    if (n & 1) s.next();
    return s;
  }
  double next() {
    if (have_spare) { have_spare = false; return spare; }
    const double u1 = 1.0 - rng.uniform();
    const double u2 = rng.uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double th = 2.0 * M_PI * u2;
    spare = r * std::sin(th);
    have_spare = true;
    return r * std::cos(th);
  }
};
