// Rotary position embedding, "rotate half" layout (GPT-NeoX / HF LLaMA), docs/model.md.
// Angles are computed in double: f_i = theta^(−2i/hd), angle = p·f_i.
#include <cmath>
#include <vector>

#include "ops.h"

template <typename T>
void rope_tables(int Tn, int hd, double theta, std::vector<T>& cs, std::vector<T>& sn) {
  const int half = hd / 2;
  cs.resize((size_t)Tn * half);
  sn.resize((size_t)Tn * half);
  for (int p = 0; p < Tn; p++)
    for (int i = 0; i < half; i++) {
      const double f = std::pow(theta, -2.0 * i / hd);
      cs[(size_t)p * half + i] = (T)std::cos(p * f);
      sn[(size_t)p * half + i] = (T)std::sin(p * f);
    }
}

namespace {
template <typename T>
void rope_apply(T* x, int B, int Tn, int H, int hd, double theta, bool inverse) {
  const int half = hd / 2;
  std::vector<T> cs, sn;
  rope_tables(Tn, hd, theta, cs, sn);
  if (inverse)  // rounding is symmetric: −(T)sin is (T)(−sin)
    for (T& v : sn) v = -v;
  const int d = H * hd;
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < B; b++)
    for (int t = 0; t < Tn; t++) {
      const T* c = &cs[(size_t)t * half];
      const T* s = &sn[(size_t)t * half];
      for (int h = 0; h < H; h++) {
        T* u = x + ((size_t)b * Tn + t) * d + (size_t)h * hd;
        for (int i = 0; i < half; i++) {
          const T a = u[i], bb = u[i + half];
          u[i] = a * c[i] - bb * s[i];
          u[i + half] = bb * c[i] + a * s[i];
        }
      }
    }
}
}  // namespace

template <typename T>
void rope_forward(T* x, int B, int Tn, int H, int hd, double theta) {
  rope_apply(x, B, Tn, H, hd, theta, false);
}
// The rotation is orthogonal, so the gradient goes through its transpose (= the inverse rotation).
template <typename T>
void rope_backward(T* dx, int B, int Tn, int H, int hd, double theta) {
  rope_apply(dx, B, Tn, H, hd, theta, true);
}

template void rope_tables<float>(int, int, double, std::vector<float>&, std::vector<float>&);
template void rope_tables<double>(int, int, double, std::vector<double>&, std::vector<double>&);
template void rope_forward<float>(float*, int, int, int, int, double);
template void rope_forward<double>(double*, int, int, int, int, double);
template void rope_backward<float>(float*, int, int, int, int, double);
template void rope_backward<double>(double*, int, int, int, int, double);
