// build/cudnn-graph-check: the cuDNN attention's forward, backward and deterministic backward graphs (src/cuda/attention_cudnn.cu), every
// tensor and operation descriptor made and finalized by the real libcudnn (found through
// LD_LIBRARY_PATH; test/kernels-cudnn-abi.test.ts unpacks the cuDNN wheel's libraries), at the shapes
// of gpt2-124m, 1b and two small ones. No device: the library checks each operation's tensors (the
// matmuls' dimensions, the broadcasts, the data types) as it finalizes it; the operation graph, the
// engine and the numbers need a GPU (gpu-check.sh). One JSON line; exit 1 on a failure, naming it.
// --calls: the attention calls themselves where cuDNN cannot start (no device here): the default's
// (CudnnNeed::Optional) run nothing and return false, saying why on stderr once per direction and
// shape; a call the variables asked for (Required) throws the reason.
#include <cstdio>
#include <stdexcept>
#include <string>

#include "cuda/attention_cudnn.h"

static std::string json_text(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if ((unsigned char)c >= 0x20) o += c;
  }
  return "\"" + o + "\"";
}

static int calls() {
  std::string why;
  const bool loads_before = attention_cudnn_loads(&why);
  // no tensors are touched: without a plan nothing runs
  const bool f1 = k_attention_forward_cudnn(nullptr, nullptr, nullptr, 2, 64, 2, 64, CudnnNeed::Optional);
  const bool f2 = k_attention_forward_cudnn(nullptr, nullptr, nullptr, 2, 64, 2, 64, CudnnNeed::Optional);
  const bool b1 = k_attention_backward_cudnn(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, 2, 64, 2, 64, true,
                                             CudnnNeed::Optional);
  std::string required;
  try {
    k_attention_forward_cudnn(nullptr, nullptr, nullptr, 2, 64, 2, 64);
    required = "(no error)";
  } catch (const std::runtime_error& e) {
    required = e.what();
  }
  const bool loads_after = attention_cudnn_loads(&why);
  printf("{\"tool\":\"cudnn-graph-check\",\"loads_before\":%s,\"forward_optional\":[%s,%s],\"backward_det_optional\":%s,"
         "\"forward_required_error\":%s,\"loads_after\":%s,\"why_after\":%s}\n",
         loads_before ? "true" : "false", f1 ? "true" : "false", f2 ? "true" : "false", b1 ? "true" : "false",
         json_text(required).c_str(), loads_after ? "true" : "false", json_text(why).c_str());
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--calls") return calls();
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
