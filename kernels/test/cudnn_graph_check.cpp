// build/cudnn-graph-check: the cuDNN attention's forward, backward and deterministic backward graphs (src/cuda/attention_cudnn.cu), every
// tensor and operation descriptor made and finalized by the real libcudnn (found through
// LD_LIBRARY_PATH; test/kernels-cudnn-abi.test.ts unpacks the cuDNN wheel's libraries), at the shapes
// of gpt2-124m, 1b and two small ones. No device: the library checks each operation's tensors (the
// matmuls' dimensions, the broadcasts, the data types) as it finalizes it; the operation graph, the
// engine and the numbers need a GPU (gpu-check.sh's cudnnfwd variant). One JSON line; exit 1 on a
// failure, naming it.
#include <cstdio>
#include <string>

#include "cuda/attention_cudnn.h"

int main() {
  struct Shape {
    const char* name;
    int B, T, H, hd;
  } shapes[] = {{"gpt2-124m", 16, 1024, 12, 64}, {"1b", 8, 2048, 16, 128}, {"tiny", 4, 64, 4, 16}, {"odd", 3, 100, 2, 32}};
  std::string out;
  size_t version = 0;
  for (const Shape& s : shapes) {
    size_t fwd = 0, bwd = 0, bwd_det = 0;
    const std::string why = attention_cudnn_graph_check(s.B, s.T, s.H, s.hd, &fwd, &bwd, &bwd_det, &version);
    if (!why.empty()) {
      printf("{\"tool\":\"cudnn-graph-check\",\"ok\":false,\"shape\":\"%s\",\"error\":\"%s\"}\n", s.name, why.c_str());
      return 1;
    }
    out += std::string(out.empty() ? "" : ",") + "\"" + s.name + "\":[" + std::to_string(fwd) + "," + std::to_string(bwd) + "," + std::to_string(bwd_det) + "]";
  }
  printf("{\"tool\":\"cudnn-graph-check\",\"ok\":true,\"cudnn_version\":%zu,\"operations\":{%s}}\n", version, out.c_str());
  return 0;
}
