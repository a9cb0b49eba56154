// The causal attention through cuDNN's fused flash attention: its forward and deterministic backward
// are the default on an H100/H200 (attention.cu; h200-8: 1.13x and 1.04x torch.compile's whole step
// on gpt2-124m and 1b), LOCO_CUDA_ATTN_FWD=cudnn and LOCO_CUDA_ATTN_BWD=cudnn (atomic dQ) or cudnn-det
// ask for it anywhere. libcudnn.so.9 (or LOCO_CUDNN_LIB) is loaded with dlopen at run time, so
// the build needs no cuDNN, as gemm.cu does for cuBLASLt.
//
// The graphs are the ones cudnn-frontend's sdpa and sdpa_backward nodes build for cuDNN 9 before its
// single softmax operation (9.21). Forward: S = Q·Kᵀ, S·scale, the causal mask (row index ≥ column
// index, else the lowest float), the softmax as max and sum reductions with SUB, EXP, DIV, the
// statistics as max + log(sum), and O = P·V with P in bf16. Its statistics are this engine's lse,
// [B, H, T] floats: the natural-log logsumexp of the scaled scores, so either direction runs beside
// our kernels for the other. Backward: build_backward. q, k, v (and dq, dk, dv) are read (written) in
// place in qkv (dqkv) [B, T, 3·d] as strided tensors; y and dy are [B, T, d]. One plan per graph
// (forward, backward, deterministic backward) and (B, T, H, head_dim), built at its first call and kept.
#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <cuda_runtime.h>

#include "attention_cudnn.h"
#include "cudnn_shim.h"
#include "engine_stream.h"

namespace {

struct CudnnApi {
  bool tried = false;
  std::string why;  // why it cannot be used; empty when loaded
  void* lib = nullptr;
  dnn::Handle handle = nullptr;
  size_t version = 0;
  dnn::CreateFn create = nullptr;
  dnn::SetStreamFn set_stream = nullptr;
  dnn::GetVersionFn get_version = nullptr;
  dnn::GetErrorStringFn error_string = nullptr;
  dnn::GetLastErrorStringFn last_error = nullptr;
  dnn::BackendCreateDescriptorFn desc_create = nullptr;
  dnn::BackendDestroyDescriptorFn desc_destroy = nullptr;
  dnn::BackendFinalizeFn finalize = nullptr;
  dnn::BackendSetAttributeFn set = nullptr;
  dnn::BackendGetAttributeFn get = nullptr;
  dnn::BackendExecuteFn execute = nullptr;
};
CudnnApi g_dnn;
std::mutex g_dnn_mu;

template <typename F>
bool sym(F& f, const char* name) {
  f = (F)dlsym(g_dnn.lib, name);
  if (!f) g_dnn.why = std::string("libcudnn has no symbol ") + name;
  return f != nullptr;
}

// loads libcudnn (no device needed); false (and g_dnn.why) when it cannot
bool cudnn_load_lib() {
  if (g_dnn.lib) return true;
  if (g_dnn.tried) return false;
  g_dnn.tried = true;
  // LOCO_CUDNN_LIB: this library file (e.g. the newer cuDNN of PyTorch's wheel; its RPATH $ORIGIN
  // finds the sub-libraries beside it); else the loader's search for libcudnn.so.9
  const char* path = getenv("LOCO_CUDNN_LIB");
  if (path && *path) {
    g_dnn.lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!g_dnn.lib) {
      const char* e = dlerror();
      g_dnn.why = std::string("LOCO_CUDNN_LIB=") + path + ": cannot load it: " + (e ? e : "not found");
      return false;
    }
  } else {
    std::string first_error;  // libcudnn.so.9's, the one that matters
    for (const char* n : {"libcudnn.so.9", "libcudnn.so"}) {
      g_dnn.lib = dlopen(n, RTLD_NOW | RTLD_LOCAL);
      if (g_dnn.lib) break;
      const char* e = dlerror();
      if (first_error.empty()) first_error = e ? e : "not found";
    }
    if (!g_dnn.lib) {
      g_dnn.why = "cannot load libcudnn.so.9: " + first_error;
      return false;
    }
  }
  if (!(sym(g_dnn.create, "cudnnCreate") && sym(g_dnn.set_stream, "cudnnSetStream") &&
        sym(g_dnn.get_version, "cudnnGetVersion") && sym(g_dnn.error_string, "cudnnGetErrorString") &&
        sym(g_dnn.desc_create, "cudnnBackendCreateDescriptor") &&
        sym(g_dnn.desc_destroy, "cudnnBackendDestroyDescriptor") && sym(g_dnn.finalize, "cudnnBackendFinalize") &&
        sym(g_dnn.set, "cudnnBackendSetAttribute") && sym(g_dnn.get, "cudnnBackendGetAttribute") &&
        sym(g_dnn.execute, "cudnnBackendExecute"))) {
    dlclose(g_dnn.lib);
    g_dnn.lib = nullptr;
    return false;
  }
  g_dnn.last_error = (dnn::GetLastErrorStringFn)dlsym(g_dnn.lib, "cudnnGetLastErrorString");  // 9.0 and later
  g_dnn.version = g_dnn.get_version();
  if (g_dnn.version < 90000) {
    g_dnn.why = "libcudnn " + std::to_string(g_dnn.version) + " is older than cuDNN 9";
    dlclose(g_dnn.lib);
    g_dnn.lib = nullptr;
    return false;
  }
  return true;
}

// ... and makes the handle once (a device needed)
bool cudnn_load() {
  if (g_dnn.handle) return true;
  if (!cudnn_load_lib()) return false;
  if (!g_dnn.why.empty()) return false;  // an earlier cudnnCreate failed
  const dnn::Status s = g_dnn.create(&g_dnn.handle);
  if (s != 0) {
    g_dnn.why = std::string("cudnnCreate: ") + g_dnn.error_string(s);
    return false;
  }
  g_dnn.set_stream(g_dnn.handle, engine_stream());  // where the engine queues everything (engine_stream.h)
  return true;
}

// cuDNN's status name and its last message (9.0 and later), for a log or an error
std::string status_text(dnn::Status s) {
  std::string msg = g_dnn.error_string(s);
  if (g_dnn.last_error) {
    char buf[1024] = {0};
    g_dnn.last_error(buf, sizeof buf);
    if (buf[0]) msg += std::string(" (") + buf + ")";
  }
  return msg;
}
[[noreturn]] void fail(const char* what, dnn::Status s) {
  throw std::runtime_error(std::string("cuDNN attention: ") + what + ": " + status_text(s));
}
void check(dnn::Status s, const char* what) {
  if (s != 0) fail(what, s);
}

// Descriptors of one graph, destroyed together (the plan keeps its graph's alive)
struct Descs {
  std::vector<dnn::Desc> all;
  Descs() = default;
  Descs(const Descs&) = delete;
  Descs& operator=(const Descs&) = delete;
  ~Descs() {
    for (auto it = all.rbegin(); it != all.rend(); ++it) g_dnn.desc_destroy(*it);
  }
  dnn::Desc make(int type, const char* what) {
    dnn::Desc d = nullptr;
    check(g_dnn.desc_create(type, &d), what);
    all.push_back(d);
    return d;
  }
};
void set(dnn::Desc d, int name, int type, int64_t n, const void* v, const char* what) {
  check(g_dnn.set(d, name, type, n, v), what);
}
void set_desc(dnn::Desc d, int name, dnn::Desc v, const char* what) {
  set(d, name, dnn::TYPE_BACKEND_DESCRIPTOR, 1, &v, what);
}
void set_type(dnn::Desc d, int name, int dtype, const char* what) {
  set(d, name, dnn::TYPE_DATA_TYPE, 1, &dtype, what);
}

using Dims = std::array<int64_t, 4>;

// The graph's builder: tensors by unique id, operations in the order the frontend makes them
struct GraphBuilder {
  Descs& ds;
  std::vector<dnn::Desc> ops;
  int64_t next_virtual = 100;
  // every tensor's id and whether it is virtual, and how often an operation writes and reads it:
  // finish() checks the wiring that cuDNN's operation graph (a device needed) would
  struct Use {
    int64_t uid;
    bool is_virtual;
    int writes = 0, reads = 0;
  };
  std::map<dnn::Desc, Use> uses;

  // an operation made: finalized, added to the graph, its tensors' reads (null: none) and write counted
  void add_op(dnn::Desc op, const char* what, std::initializer_list<dnn::Desc> in, dnn::Desc out) {
    check(g_dnn.finalize(op), what);
    ops.push_back(op);
    for (dnn::Desc t : in)
      if (t) uses.at(t).reads++;
    uses.at(out).writes++;
  }

  dnn::Desc tensor(int64_t uid, int dtype, const Dims& dims, const Dims& strides, bool is_virtual,
                   bool by_value = false) {
    dnn::Desc t = ds.make(dnn::TENSOR_DESCRIPTOR, "tensor descriptor");
    const int64_t align = 16;
    set_type(t, dnn::ATTR_TENSOR_DATA_TYPE, dtype, "tensor data type");
    set(t, dnn::ATTR_TENSOR_DIMENSIONS, dnn::TYPE_INT64, 4, dims.data(), "tensor dimensions");
    set(t, dnn::ATTR_TENSOR_STRIDES, dnn::TYPE_INT64, 4, strides.data(), "tensor strides");
    set(t, dnn::ATTR_TENSOR_UNIQUE_ID, dnn::TYPE_INT64, 1, &uid, "tensor id");
    set(t, dnn::ATTR_TENSOR_BYTE_ALIGNMENT, dnn::TYPE_INT64, 1, &align, "tensor alignment");
    const bool v = is_virtual, bv = by_value;
    if (v) set(t, dnn::ATTR_TENSOR_IS_VIRTUAL, dnn::TYPE_BOOLEAN, 1, &v, "tensor virtual");
    if (bv) set(t, dnn::ATTR_TENSOR_IS_BY_VALUE, dnn::TYPE_BOOLEAN, 1, &bv, "tensor by value");
    check(g_dnn.finalize(t), "tensor finalize");
    uses.emplace(t, Use{uid, is_virtual});
    return t;
  }
  dnn::Desc virt(int dtype, const Dims& dims, const Dims& strides) {
    return tensor(next_virtual++, dtype, dims, strides, true);
  }
  // y = mode(x[, b][, t]) computed in `prec`; axis ≥ 0 for GEN_INDEX
  void pointwise(int mode, int prec, dnn::Desc x, dnn::Desc b, dnn::Desc y, dnn::Desc t = nullptr, int64_t axis = -1) {
    dnn::Desc pw = ds.make(dnn::POINTWISE_DESCRIPTOR, "pointwise descriptor");
    set(pw, dnn::ATTR_POINTWISE_MODE, dnn::TYPE_POINTWISE_MODE, 1, &mode, "pointwise mode");
    set_type(pw, dnn::ATTR_POINTWISE_MATH_PREC, prec, "pointwise precision");
    if (axis >= 0) set(pw, dnn::ATTR_POINTWISE_AXIS, dnn::TYPE_INT64, 1, &axis, "pointwise axis");
    check(g_dnn.finalize(pw), "pointwise finalize");
    dnn::Desc op = ds.make(dnn::OPERATION_POINTWISE_DESCRIPTOR, "pointwise operation");
    set_desc(op, dnn::ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, pw, "pointwise operation's descriptor");
    set_desc(op, dnn::ATTR_OPERATION_POINTWISE_XDESC, x, "pointwise x");
    if (b) set_desc(op, dnn::ATTR_OPERATION_POINTWISE_BDESC, b, "pointwise b");
    set_desc(op, dnn::ATTR_OPERATION_POINTWISE_YDESC, y, "pointwise y");
    if (t) set_desc(op, dnn::ATTR_OPERATION_POINTWISE_TDESC, t, "pointwise t");
    add_op(op, "pointwise operation finalize", {x, b, t}, y);
  }
  void matmul(dnn::Desc a, dnn::Desc b, dnn::Desc c) {
    dnn::Desc mm = ds.make(dnn::MATMUL_DESCRIPTOR, "matmul descriptor");
    set_type(mm, dnn::ATTR_MATMUL_COMP_TYPE, dnn::DATA_FLOAT, "matmul compute type");
    check(g_dnn.finalize(mm), "matmul finalize");
    dnn::Desc op = ds.make(dnn::OPERATION_MATMUL_DESCRIPTOR, "matmul operation");
    set_desc(op, dnn::ATTR_OPERATION_MATMUL_ADESC, a, "matmul a");
    set_desc(op, dnn::ATTR_OPERATION_MATMUL_BDESC, b, "matmul b");
    set_desc(op, dnn::ATTR_OPERATION_MATMUL_CDESC, c, "matmul c");
    set_desc(op, dnn::ATTR_OPERATION_MATMUL_DESC, mm, "matmul operation's descriptor");
    add_op(op, "matmul operation finalize", {a, b}, c);
  }
  // S·scale with S = Q·Kᵀ: [B, H, T, T] floats
  dnn::Desc scaled_scores(dnn::Desc Q, dnn::Desc KT, dnn::Desc scale, const Dims& dims, const Dims& strides) {
    dnn::Desc S = virt(dnn::DATA_FLOAT, dims, strides);
    matmul(Q, KT, S);
    dnn::Desc scaled = virt(dnn::DATA_FLOAT, dims, strides);
    pointwise(dnn::POINTWISE_MUL, dnn::DATA_FLOAT, S, scale, scaled);
    return scaled;
  }
  // the causal mask: x where row ≥ column, else `lowest` (the frontend's GEN_INDEX, CMP_GE,
  // BINARY_SELECT)
  dnn::Desc causal_mask(dnn::Desc x, dnn::Desc lowest, const Dims& dims, const Dims& strides) {
    dnn::Desc row = virt(dnn::DATA_INT32, dims, strides);
    pointwise(dnn::POINTWISE_GEN_INDEX, dnn::DATA_INT32, x, nullptr, row, nullptr, 2);
    dnn::Desc col = virt(dnn::DATA_INT32, dims, strides);
    pointwise(dnn::POINTWISE_GEN_INDEX, dnn::DATA_INT32, x, nullptr, col, nullptr, 3);
    dnn::Desc keep = virt(dnn::DATA_BOOLEAN, dims, strides);
    pointwise(dnn::POINTWISE_CMP_GE, dnn::DATA_BOOLEAN, row, col, keep);
    dnn::Desc masked = virt(dnn::DATA_FLOAT, dims, strides);
    pointwise(dnn::POINTWISE_BINARY_SELECT, dnn::DATA_FLOAT, x, lowest, masked, keep);
    return masked;
  }
  // y: x seen with other dimensions and strides (the backward's transposes)
  void reshape(dnn::Desc x, dnn::Desc y) {
    dnn::Desc op = ds.make(dnn::OPERATION_RESHAPE_DESCRIPTOR, "reshape operation");
    set_desc(op, dnn::ATTR_OPERATION_RESHAPE_XDESC, x, "reshape x");
    set_desc(op, dnn::ATTR_OPERATION_RESHAPE_YDESC, y, "reshape y");
    add_op(op, "reshape operation finalize", {x}, y);
  }
  void reduction(int reduce_op, dnn::Desc x, dnn::Desc y) {
    dnn::Desc rd = ds.make(dnn::REDUCTION_DESCRIPTOR, "reduction descriptor");
    set(rd, dnn::ATTR_REDUCTION_OPERATOR, dnn::TYPE_REDUCTION_OPERATOR_TYPE, 1, &reduce_op, "reduction operator");
    set_type(rd, dnn::ATTR_REDUCTION_COMP_TYPE, dnn::DATA_FLOAT, "reduction compute type");
    check(g_dnn.finalize(rd), "reduction finalize");
    dnn::Desc op = ds.make(dnn::OPERATION_REDUCTION_DESCRIPTOR, "reduction operation");
    set_desc(op, dnn::ATTR_OPERATION_REDUCTION_XDESC, x, "reduction x");
    set_desc(op, dnn::ATTR_OPERATION_REDUCTION_YDESC, y, "reduction y");
    set_desc(op, dnn::ATTR_OPERATION_REDUCTION_DESC, rd, "reduction operation's descriptor");
    add_op(op, "reduction operation finalize", {x}, y);
  }
  // The whole graph's checks, before it is handed to cuDNN: every tensor written at most once, every
  // virtual one written once and read, every non-virtual one used, and the call's tensor ids
  // (`uids`, n) exactly the non-virtual tensors. Throws what is wrong, naming the graph (`which`).
  void finish(const char* which, const int64_t* uids, size_t n) const {
    std::vector<int64_t> bound;
    for (const auto& kv : uses) {
      const Use& u = kv.second;
      const std::string id = (u.is_virtual ? "virtual tensor " : "tensor ") + std::to_string(u.uid);
      std::string wrong;
      if (u.writes > 1) wrong = id + " is written by " + std::to_string(u.writes) + " operations";
      else if (u.writes + u.reads == 0) wrong = id + " is used by no operation";
      else if (u.is_virtual && u.writes == 0) wrong = id + " is read but never written";
      else if (u.is_virtual && u.reads == 0) wrong = id + " is written but never read";
      if (!wrong.empty()) throw std::logic_error(std::string("cuDNN attention: the ") + which + " graph: " + wrong);
      if (!u.is_virtual) bound.push_back(u.uid);
    }
    std::vector<int64_t> call(uids, uids + n);
    std::sort(call.begin(), call.end());
    std::sort(bound.begin(), bound.end());
    if (call == bound) return;
    auto list = [](const std::vector<int64_t>& v) {
      std::string out;
      for (int64_t u : v) out += (out.empty() ? "" : ",") + std::to_string(u);
      return "{" + out + "}";
    };
    throw std::logic_error(std::string("cuDNN attention: the ") + which + " call binds tensors " + list(call) +
                           " but the graph's are " + list(bound));
  }
};

// the tensors the caller binds at each run, by unique id
enum Uid : int64_t {
  UID_Q = 1, UID_K = 2, UID_V = 3, UID_O = 4, UID_STATS = 5, UID_SCALE = 6, UID_LOWEST = 7,
  // the backward's
  UID_DO = 8, UID_DQ = 9, UID_DK = 10, UID_DV = 11, UID_SOFTMAX_SUM = 12, UID_DQ_ACCUM = 13, UID_ONE = 14,
};
// ... in the order of the pointers each call passes; the deterministic backward binds all of the
// backward's but the last, the accumulator. GraphBuilder::finish compares these with each graph's
// tensors before its plan is made (and in the graph check, without a device)
constexpr int64_t kForwardUids[] = {UID_Q, UID_K, UID_V, UID_O, UID_STATS, UID_SCALE, UID_LOWEST};
constexpr int64_t kBackwardUids[] = {UID_Q,  UID_K,  UID_V,           UID_O,     UID_DO,     UID_STATS, UID_DQ,
                                     UID_DK, UID_DV, UID_SOFTMAX_SUM, UID_SCALE, UID_LOWEST, UID_ONE,   UID_DQ_ACCUM};
constexpr size_t kForwardBinds = sizeof kForwardUids / sizeof kForwardUids[0];
constexpr size_t backward_binds(bool deterministic) {
  return sizeof kBackwardUids / sizeof kBackwardUids[0] - (deterministic ? 1 : 0);
}

struct Plan {
  Descs ds;
  dnn::Desc plan = nullptr;
  void* workspace = nullptr;
  int64_t workspace_bytes = 0;
  float* dq_accum = nullptr;  // the backward's fp32 dQ, [B, H, T, head_dim]
  std::string engine;         // which heuristic result it is, for the log
  ~Plan() {
    if (workspace) cudaFree(workspace);
    if (dq_accum) cudaFree(dq_accum);
    if (workspace || dq_accum) engine_buffer_freed();
  }
};

// An engine configuration's engine: its index in cuDNN's global list (-1 where it cannot be read)
// and whether cuDNN notes it as not deterministic
struct EngineInfo {
  int64_t index = -1;
  bool nondeterministic = false;
};
EngineInfo engine_of(dnn::Desc cfg) {
  EngineInfo info;
  dnn::Desc eng = nullptr;
  if (g_dnn.desc_create(dnn::ENGINE_DESCRIPTOR, &eng) != 0) return info;
  int64_t n = 0;
  if (g_dnn.get(cfg, dnn::ATTR_ENGINECFG_ENGINE, dnn::TYPE_BACKEND_DESCRIPTOR, 1, &n, &eng) == 0 && n == 1) {
    if (g_dnn.get(eng, dnn::ATTR_ENGINE_GLOBAL_INDEX, dnn::TYPE_INT64, 1, &n, &info.index) != 0) info.index = -1;
    int notes[32];
    int64_t n_notes = 0;
    if (g_dnn.get(eng, dnn::ATTR_ENGINE_NUMERICAL_NOTE, dnn::TYPE_NUMERICAL_NOTE, 32, &n_notes, notes) == 0)
      for (int64_t i = 0; i < n_notes && i < 32; i++)
        if (notes[i] == dnn::NUMERICAL_NOTE_NONDETERMINISTIC) info.nondeterministic = true;
  }
  g_dnn.desc_destroy(eng);
  return info;
}

// the start of a plan's JSON description (it names the engine's kernels and knobs), for the log
std::string plan_json_head(dnn::Desc plan, size_t max_chars) {
  int64_t n = 0;
  if (g_dnn.get(plan, dnn::ATTR_EXECUTION_PLAN_JSON_REPRESENTATION, dnn::TYPE_CHAR, 0, &n, nullptr) != 0 || n <= 0) return "";
  std::string json((size_t)n, '\0');
  if (g_dnn.get(plan, dnn::ATTR_EXECUTION_PLAN_JSON_REPRESENTATION, dnn::TYPE_CHAR, n, &n, &json[0]) != 0) return "";
  json.resize(strnlen(json.c_str(), json.size()));
  return json.size() > max_chars ? json.substr(0, max_chars) + "…" : json;
}

// The operation graph of `ops`, then the engine heuristics: mode A's configurations in its order,
// then mode FALLBACK's, until one makes a plan; its workspace allocated. What each configuration
// that failed said is kept for the log (and for the error when none works), so that a graph the
// GPU's cuDNN refuses is explained in one run.
void make_plan(Plan& p, const std::vector<dnn::Desc>& ops, const char* which) {
  dnn::Desc graph = p.ds.make(dnn::OPERATIONGRAPH_DESCRIPTOR, "operation graph");
  set(graph, dnn::ATTR_OPERATIONGRAPH_HANDLE, dnn::TYPE_HANDLE, 1, &g_dnn.handle, "graph handle");
  set(graph, dnn::ATTR_OPERATIONGRAPH_OPS, dnn::TYPE_BACKEND_DESCRIPTOR, (int64_t)ops.size(), ops.data(), "graph operations");
  const dnn::Status graph_status = g_dnn.finalize(graph);
  if (graph_status != 0)
    throw CudnnNoPlan(std::string("cuDNN attention: operation graph finalize (the graph is not supported): ") +
                      status_text(graph_status));

  std::string tried;  // "mode A 0 (engine 8): CUDNN_STATUS_…; …"
  auto note = [&tried](const std::string& what) {
    if (tried.size() < 3000) tried += (tried.empty() ? "" : "; ") + what;
  };
  const std::pair<int, const char*> modes[] = {{dnn::HEUR_MODE_A, "A"}, {dnn::HEUR_MODE_FALLBACK, "fallback"}};
  for (const auto& mode : modes) {
    dnn::Desc heur = p.ds.make(dnn::ENGINEHEUR_DESCRIPTOR, "engine heuristics");
    set_desc(heur, dnn::ATTR_ENGINEHEUR_OPERATION_GRAPH, graph, "heuristics graph");
    set(heur, dnn::ATTR_ENGINEHEUR_MODE, dnn::TYPE_HEUR_MODE, 1, &mode.first, "heuristics mode");
    dnn::Status s = g_dnn.finalize(heur);
    int64_t n = 0;
    if (s == 0) s = g_dnn.get(heur, dnn::ATTR_ENGINEHEUR_RESULTS, dnn::TYPE_BACKEND_DESCRIPTOR, 0, &n, nullptr);
    if (s != 0) {
      note(std::string("mode ") + mode.second + " heuristics: " + status_text(s));
      continue;
    }
    if (n <= 0) {
      note(std::string("mode ") + mode.second + ": no configuration");
      continue;
    }
    std::vector<dnn::Desc> cfgs((size_t)n);
    for (auto& c : cfgs) c = p.ds.make(dnn::ENGINECFG_DESCRIPTOR, "engine config");
    int64_t got = 0;
    check(g_dnn.get(heur, dnn::ATTR_ENGINEHEUR_RESULTS, dnn::TYPE_BACKEND_DESCRIPTOR, n, &got, cfgs.data()), "heuristics results");
    for (int64_t i = 0; i < got; i++) {
      const EngineInfo eng = engine_of(cfgs[(size_t)i]);
      const std::string name = std::string("mode ") + mode.second + " " + std::to_string(i) + " of " + std::to_string(got) +
                               " (engine " + std::to_string(eng.index) + ")";
      dnn::Desc plan = nullptr;
      check(g_dnn.desc_create(dnn::EXECUTION_PLAN_DESCRIPTOR, &plan), "execution plan");
      s = g_dnn.set(plan, dnn::ATTR_EXECUTION_PLAN_HANDLE, dnn::TYPE_HANDLE, 1, &g_dnn.handle);
      if (s == 0) s = g_dnn.set(plan, dnn::ATTR_EXECUTION_PLAN_ENGINE_CONFIG, dnn::TYPE_BACKEND_DESCRIPTOR, 1, &cfgs[(size_t)i]);
      if (s == 0) s = g_dnn.finalize(plan);
      if (s != 0) {
        note(name + ": " + status_text(s));
        g_dnn.desc_destroy(plan);
        continue;
      }
      p.ds.all.push_back(plan);
      p.plan = plan;
      p.engine = "heuristics " + name + (eng.nondeterministic ? ", not deterministic" : "");
      if (!tried.empty()) p.engine += "; before it: " + tried;
      const std::string json = plan_json_head(plan, 400);
      if (!json.empty()) p.engine += "; plan " + json;
      int64_t ws = 0, cnt = 0;
      check(g_dnn.get(plan, dnn::ATTR_EXECUTION_PLAN_WORKSPACE_SIZE, dnn::TYPE_INT64, 1, &cnt, &ws), "workspace size");
      p.workspace_bytes = ws;
      if (ws > 0 && cudaMalloc(&p.workspace, (size_t)ws) != cudaSuccess) {
        cudaGetLastError();
        throw std::runtime_error("cuDNN attention: cannot allocate its " + std::to_string(ws) + "-byte workspace");
      }
      return;
    }
  }
  throw CudnnNoPlan(std::string("cuDNN attention: no engine configuration makes a plan for the ") + which + " graph: " +
                    tried);
}

// The forward graph's tensors and operations, each finalized; then (unless ops_only, which needs no
// device) its operation graph, the engine heuristics and the first configuration that makes a plan.
// Returns the number of operations.
size_t build_forward(Plan& p, int B, int Tn, int H, int hd, bool ops_only = false) {
  const int64_t b = B, h = H, t = Tn, d = hd, D = (int64_t)H * hd;
  GraphBuilder g{p.ds, {}, 100, {}};
  // q, k, v in place in qkv [B, T, 3·D]: head h's columns at h·hd of each third; Kᵀ by swapped strides
  const Dims qv_dims{b, h, t, d}, qv_str{t * 3 * D, d, 3 * D, 1};
  const Dims kt_dims{b, h, d, t}, kt_str{t * 3 * D, d, 1, 3 * D};
  dnn::Desc Q = g.tensor(UID_Q, dnn::DATA_BFLOAT16, qv_dims, qv_str, false);
  dnn::Desc KT = g.tensor(UID_K, dnn::DATA_BFLOAT16, kt_dims, kt_str, false);
  dnn::Desc V = g.tensor(UID_V, dnn::DATA_BFLOAT16, qv_dims, qv_str, false);
  dnn::Desc O = g.tensor(UID_O, dnn::DATA_BFLOAT16, qv_dims, Dims{t * D, d, D, 1}, false);
  const Dims row_dims{b, h, t, 1}, row_str{h * t, t, 1, 1};
  dnn::Desc stats = g.tensor(UID_STATS, dnn::DATA_FLOAT, row_dims, row_str, false);
  const Dims one{1, 1, 1, 1};
  dnn::Desc scale = g.tensor(UID_SCALE, dnn::DATA_FLOAT, one, one, false, true);
  dnn::Desc lowest = g.tensor(UID_LOWEST, dnn::DATA_FLOAT, one, one, false, true);

  const Dims s_dims{b, h, t, t}, s_str{h * t * t, t * t, t, 1};
  dnn::Desc S_masked = g.causal_mask(g.scaled_scores(Q, KT, scale, s_dims, s_str), lowest, s_dims, s_str);
  // softmax, and the statistics max + log(Σ exp)
  dnn::Desc mx = g.virt(dnn::DATA_FLOAT, row_dims, row_str);
  g.reduction(dnn::REDUCE_TENSOR_MAX, S_masked, mx);
  dnn::Desc sub = g.virt(dnn::DATA_FLOAT, s_dims, s_str);
  g.pointwise(dnn::POINTWISE_SUB, dnn::DATA_FLOAT, S_masked, mx, sub);
  dnn::Desc ex = g.virt(dnn::DATA_FLOAT, s_dims, s_str);
  g.pointwise(dnn::POINTWISE_EXP, dnn::DATA_FLOAT, sub, nullptr, ex);
  dnn::Desc sum = g.virt(dnn::DATA_FLOAT, row_dims, row_str);
  g.reduction(dnn::REDUCE_TENSOR_ADD, ex, sum);
  dnn::Desc lg = g.virt(dnn::DATA_FLOAT, row_dims, row_str);
  g.pointwise(dnn::POINTWISE_LOG, dnn::DATA_FLOAT, sum, nullptr, lg);
  g.pointwise(dnn::POINTWISE_ADD, dnn::DATA_FLOAT, mx, lg, stats);
  dnn::Desc P = g.virt(dnn::DATA_BFLOAT16, s_dims, s_str);  // the second matmul's A in the i/o type
  g.pointwise(dnn::POINTWISE_DIV, dnn::DATA_FLOAT, ex, sum, P);
  g.matmul(P, V, O);
  g.finish("forward", kForwardUids, kForwardBinds);
  if (ops_only) return g.ops.size();
  make_plan(p, g.ops, "forward");
  return g.ops.size();
}

// The backward's graph, as cudnn-frontend's sdpa_backward builds it for cuDNN 9 (no dropout, no
// bias, dQ through an fp32 accumulator): the row sums of dO ⊙ O (into softmax_sum), P recomputed
// from the scores and the statistics under the causal mask, dV = Pᵀ·dO, dP = dO·Vᵀ,
// dS = P ⊙ (dP − softmax_sum)·scale, dK = dSᵀ·Q, dQ = dS·K. The transposes are reshapes (other
// strides). dq, dk, dv are written in place into dqkv [B, T, 3·d].
size_t build_backward(Plan& p, int B, int Tn, int H, int hd, bool deterministic, bool ops_only = false) {
  const int64_t b = B, h = H, t = Tn, d = hd, D = (int64_t)H * hd;
  GraphBuilder g{p.ds, {}, 100, {}};
  const Dims qv_dims{b, h, t, d}, qkv_str{t * 3 * D, d, 3 * D, 1}, y_str{t * D, d, D, 1};
  const Dims t_dims{b, h, d, t}, t_str{t * 3 * D, d, 1, 3 * D};  // Kᵀ, Vᵀ by swapped strides
  dnn::Desc Q = g.tensor(UID_Q, dnn::DATA_BFLOAT16, qv_dims, qkv_str, false);
  dnn::Desc KT = g.tensor(UID_K, dnn::DATA_BFLOAT16, t_dims, t_str, false);
  dnn::Desc VT = g.tensor(UID_V, dnn::DATA_BFLOAT16, t_dims, t_str, false);
  dnn::Desc O = g.tensor(UID_O, dnn::DATA_BFLOAT16, qv_dims, y_str, false);
  dnn::Desc dO = g.tensor(UID_DO, dnn::DATA_BFLOAT16, qv_dims, y_str, false);
  const Dims row_dims{b, h, t, 1}, row_str{h * t, t, 1, 1};
  dnn::Desc stats = g.tensor(UID_STATS, dnn::DATA_FLOAT, row_dims, row_str, false);
  dnn::Desc dQ = g.tensor(UID_DQ, dnn::DATA_BFLOAT16, qv_dims, qkv_str, false);
  dnn::Desc dK = g.tensor(UID_DK, dnn::DATA_BFLOAT16, qv_dims, qkv_str, false);
  dnn::Desc dV = g.tensor(UID_DV, dnn::DATA_BFLOAT16, qv_dims, qkv_str, false);
  dnn::Desc softmax_sum = g.tensor(UID_SOFTMAX_SUM, dnn::DATA_FLOAT, row_dims, row_str, false);
  const Dims packed{h * t * d, t * d, d, 1};
  const Dims one{1, 1, 1, 1};
  dnn::Desc scale = g.tensor(UID_SCALE, dnn::DATA_FLOAT, one, one, false, true);
  dnn::Desc lowest = g.tensor(UID_LOWEST, dnn::DATA_FLOAT, one, one, false, true);
  dnn::Desc unit = g.tensor(UID_ONE, dnn::DATA_FLOAT, one, one, false, true);

  // softmax_sum = Σ_d dO ⊙ O (the FlashAttention D)
  dnn::Desc dOO = g.virt(dnn::DATA_FLOAT, qv_dims, packed);
  g.pointwise(dnn::POINTWISE_MUL, dnn::DATA_FLOAT, dO, O, dOO);
  dnn::Desc rsum = g.virt(dnn::DATA_FLOAT, row_dims, row_str);
  g.reduction(dnn::REDUCE_TENSOR_ADD, dOO, rsum);
  g.pointwise(dnn::POINTWISE_MUL, dnn::DATA_FLOAT, rsum, unit, softmax_sum);
  // P = exp(S·scale − stats) under the causal mask
  const Dims s_dims{b, h, t, t}, s_str{h * t * t, t * t, t, 1}, sT_str{h * t * t, t * t, 1, t};
  dnn::Desc S_sub = g.virt(dnn::DATA_FLOAT, s_dims, s_str);
  g.pointwise(dnn::POINTWISE_SUB, dnn::DATA_FLOAT, g.scaled_scores(Q, KT, scale, s_dims, s_str), stats, S_sub);
  dnn::Desc S_masked = g.causal_mask(S_sub, lowest, s_dims, s_str);
  dnn::Desc P = g.virt(dnn::DATA_FLOAT, s_dims, s_str);
  g.pointwise(dnn::POINTWISE_EXP, dnn::DATA_FLOAT, S_masked, nullptr, P);
  // dV = Pᵀ·dO
  dnn::Desc PT = g.virt(dnn::DATA_BFLOAT16, s_dims, sT_str);
  g.reshape(P, PT);
  g.matmul(PT, dO, dV);
  // dS = P ⊙ (dO·Vᵀ − softmax_sum) · scale
  dnn::Desc dP = g.virt(dnn::DATA_FLOAT, s_dims, s_str);
  g.matmul(dO, VT, dP);
  dnn::Desc dP_sub = g.virt(dnn::DATA_FLOAT, s_dims, s_str);
  g.pointwise(dnn::POINTWISE_SUB, dnn::DATA_FLOAT, dP, softmax_sum, dP_sub);
  dnn::Desc dS_unscaled = g.virt(dnn::DATA_FLOAT, s_dims, s_str);
  g.pointwise(dnn::POINTWISE_MUL, dnn::DATA_FLOAT, dP_sub, P, dS_unscaled);
  dnn::Desc dS = g.virt(dnn::DATA_FLOAT, s_dims, s_str);
  g.pointwise(dnn::POINTWISE_MUL, dnn::DATA_FLOAT, dS_unscaled, scale, dS);
  // dK = dSᵀ·Q
  dnn::Desc dST = g.virt(dnn::DATA_BFLOAT16, s_dims, sT_str);
  g.reshape(dS, dST);
  g.matmul(dST, Q, dK);
  // dQ = dS·K: through the fp32 accumulator, which cuDNN adds to atomically; or, deterministic,
  // straight into dQ, which makes cuDNN keep dP in its workspace and compute dQ from it without
  // atomics (the frontend's graph for is_deterministic_algorithm on Hopper before cuDNN 9.25)
  dnn::Desc K = g.virt(dnn::DATA_BFLOAT16, qv_dims, qkv_str);
  g.reshape(KT, K);
  if (deterministic) {
    g.matmul(dS, K, dQ);
  } else {
    dnn::Desc dq_accum = g.tensor(UID_DQ_ACCUM, dnn::DATA_FLOAT, qv_dims, packed, false);
    g.matmul(dS, K, dq_accum);
    g.pointwise(dnn::POINTWISE_IDENTITY, dnn::DATA_FLOAT, dq_accum, nullptr, dQ);
  }
  const char* which = deterministic ? "deterministic backward" : "backward";
  g.finish(which, kBackwardUids, backward_binds(deterministic));
  if (ops_only) return g.ops.size();
  make_plan(p, g.ops, which);
  if (deterministic) return g.ops.size();
  if (cudaMalloc(&p.dq_accum, (size_t)(b * h * t * d) * sizeof(float)) != cudaSuccess) {
    cudaGetLastError();
    throw std::runtime_error("cuDNN attention: cannot allocate the backward's fp32 dQ");
  }
  return g.ops.size();
}

// kept for the life of the process, never destroyed: at exit libcudnn's own state may be gone
// before these destructors would run
using Plans = std::map<std::tuple<int, int, int, int>, Plan>;
Plans& g_fwd_plans = *new Plans;
Plans& g_bwd_plans = *new Plans;
Plans& g_bwd_det_plans = *new Plans;

enum class Direction { Forward, Backward, BackwardDeterministic };
const char* direction_name(Direction dir) {
  return dir == Direction::Forward ? "forward" : dir == Direction::Backward ? "backward" : "deterministic backward";
}
// the variable setting that asks for this direction from cuDNN (named in its errors)
const char* direction_setting(Direction dir) {
  return dir == Direction::Forward    ? "LOCO_CUDA_ATTN_FWD=cudnn"
         : dir == Direction::Backward ? "LOCO_CUDA_ATTN_BWD=cudnn"
                                      : "LOCO_CUDA_ATTN_BWD=cudnn-det";
}

// the plan of `plans` for this shape, built at its first use
Plan& plan_for(Plans& plans, Direction dir, int B, int Tn, int H, int hd) {
  const auto key = std::make_tuple(B, Tn, H, hd);
  auto it = plans.find(key);
  if (it != plans.end()) return it->second;
  it = plans.emplace(std::piecewise_construct, std::forward_as_tuple(key), std::forward_as_tuple()).first;
  const auto t0 = std::chrono::steady_clock::now();  // (a plan may compile its kernels: seconds)
  try {
    if (dir == Direction::Forward) build_forward(it->second, B, Tn, H, hd);
    else build_backward(it->second, B, Tn, H, hd, dir == Direction::BackwardDeterministic);
  } catch (...) {
    plans.erase(it);
    throw;
  }
  const long long build_ms =
      (long long)std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  fprintf(stderr, "loco-engine: cuDNN %zu attention %s for B %d, T %d, %d heads of %d: built in %lld ms, %lld-byte workspace, %s\n",
          g_dnn.version, direction_name(dir), B, Tn, H, hd, build_ms, (long long)it->second.workspace_bytes,
          it->second.engine.c_str());
  return it->second;
}

// one execution of a plan with these tensors
void run_plan(Plan& p, size_t n, const int64_t* uids, void* const* ptrs) {
  Descs vp_owner;
  dnn::Desc vp = vp_owner.make(dnn::VARIANT_PACK_DESCRIPTOR, "variant pack");
  set(vp, dnn::ATTR_VARIANT_PACK_UNIQUE_IDS, dnn::TYPE_INT64, (int64_t)n, uids, "variant pack ids");
  set(vp, dnn::ATTR_VARIANT_PACK_DATA_POINTERS, dnn::TYPE_VOID_PTR, (int64_t)n, ptrs, "variant pack pointers");
  set(vp, dnn::ATTR_VARIANT_PACK_WORKSPACE, dnn::TYPE_VOID_PTR, 1, &p.workspace, "variant pack workspace");
  check(g_dnn.finalize(vp), "variant pack finalize");
  check(g_dnn.execute(g_dnn.handle, p.plan, vp), "execute");
}

}  // namespace

// The graphs' descriptors without a device (kernels/test/cudnn_graph_check.cpp, with the libraries
// of the cuDNN wheel): "" and the number of operations of each, or what failed.
std::string attention_cudnn_graph_check(int B, int Tn, int H, int hd, size_t* fwd_ops, size_t* bwd_ops, size_t* bwd_det_ops,
                                        size_t* version) {
  std::lock_guard<std::mutex> lock(g_dnn_mu);
  if (!cudnn_load_lib()) return g_dnn.why;
  if (version) *version = g_dnn.version;
  try {
    Plan f, b, bd;
    const size_t nf = build_forward(f, B, Tn, H, hd, true);
    const size_t nb = build_backward(b, B, Tn, H, hd, false, true);
    const size_t nbd = build_backward(bd, B, Tn, H, hd, true, true);
    if (fwd_ops) *fwd_ops = nf;
    if (bwd_ops) *bwd_ops = nb;
    if (bwd_det_ops) *bwd_det_ops = nbd;
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

static bool env_equals(const char* var, const char* value) {
  const char* v = getenv(var);
  return v && std::string(v) == value;
}
bool attention_cudnn_fwd_requested() {
  static const bool on = env_equals("LOCO_CUDA_ATTN_FWD", "cudnn");
  return on;
}
bool attention_cudnn_bwd_deterministic_requested() {
  static const bool on = env_equals("LOCO_CUDA_ATTN_BWD", "cudnn-det");
  return on;
}
bool attention_cudnn_bwd_requested() {
  static const bool on = env_equals("LOCO_CUDA_ATTN_BWD", "cudnn") || attention_cudnn_bwd_deterministic_requested();
  return on;
}
bool attention_cudnn_loads(std::string* why) {
  std::lock_guard<std::mutex> lock(g_dnn_mu);
  const bool ok = cudnn_load_lib() && g_dnn.why.empty();
  if (!ok && why) *why = g_dnn.why;
  return ok;
}

namespace {
// The plan of one call, or (Optional) nullptr where cuDNN cannot run this shape: the reason is said
// once per direction and shape, and the shape is not tried again
Plan* plan_or_fallback(Plans& plans, Direction dir, int B, int Tn, int H, int hd, CudnnNeed need) {
  static std::set<std::tuple<int, int, int, int, int>>& refused = *new std::set<std::tuple<int, int, int, int, int>>;
  const auto key = std::make_tuple((int)dir, B, Tn, H, hd);
  if (need == CudnnNeed::Optional && refused.count(key)) return nullptr;
  std::string why;
  if (!cudnn_load()) {
    why = g_dnn.why;
    if (need == CudnnNeed::Required)
      throw std::runtime_error(std::string(direction_setting(dir)) + ": " + why);
  } else {
    try {
      return &plan_for(plans, dir, B, Tn, H, hd);
    } catch (const std::exception& e) {  // nothing ran: no plan, or its workspace or dQ buffer did not fit
      if (need == CudnnNeed::Required) throw;
      why = e.what();
    }
  }
  refused.insert(key);
  fprintf(stderr, "loco-engine: cuDNN attention %s not used for B %d, T %d, %d heads of %d (this engine's kernels run): %s\n",
          direction_name(dir), B, Tn, H, hd, why.c_str());
  return nullptr;
}
}  // namespace

bool k_attention_forward_cudnn(__nv_bfloat16* y, float* lse, const __nv_bfloat16* qkv, int B, int Tn, int H, int hd,
                               CudnnNeed need) {
  std::lock_guard<std::mutex> lock(g_dnn_mu);
  Plan* p = plan_or_fallback(g_fwd_plans, Direction::Forward, B, Tn, H, hd, need);
  if (!p) return false;
  const int64_t D = (int64_t)H * hd;
  // by-value scalars: read from host memory when the call is made
  const float scale = 1.0f / std::sqrt((float)hd), lowest = std::numeric_limits<float>::lowest();
  void* const ptrs[] = {(void*)qkv, (void*)(qkv + D), (void*)(qkv + 2 * D), (void*)y, (void*)lse, (void*)&scale,
                        (void*)&lowest};
  static_assert(sizeof ptrs / sizeof ptrs[0] == kForwardBinds, "one pointer per tensor");
  run_plan(*p, kForwardBinds, kForwardUids, ptrs);
  return true;
}

bool k_attention_backward_cudnn(__nv_bfloat16* dqkv, float* D_scratch, const __nv_bfloat16* qkv, const __nv_bfloat16* y,
                                const __nv_bfloat16* dy, const float* lse, int B, int Tn, int H, int hd, bool det,
                                CudnnNeed need) {
  std::lock_guard<std::mutex> lock(g_dnn_mu);
  Plan* p = plan_or_fallback(det ? g_bwd_det_plans : g_bwd_plans, det ? Direction::BackwardDeterministic : Direction::Backward,
                             B, Tn, H, hd, need);
  if (!p) return false;
  const int64_t D = (int64_t)H * hd;
  // the accumulator starts at zero (before cuDNN 9.6 the frontend cleared it; a memset costs little)
  if (!det && cudaMemsetAsync(p->dq_accum, 0, (size_t)B * Tn * D * sizeof(float), engine_stream()) != cudaSuccess) {
    cudaGetLastError();
    throw std::runtime_error("cuDNN attention: clearing the backward's fp32 dQ failed");
  }
  const float scale = 1.0f / std::sqrt((float)hd), lowest = std::numeric_limits<float>::lowest(), unit = 1.0f;
  // (kBackwardUids' order; the deterministic graph has no accumulator, the last, left out there)
  void* const ptrs[] = {(void*)qkv,       (void*)(qkv + D),  (void*)(qkv + 2 * D), (void*)y,
                        (void*)dy,        (void*)lse,        (void*)dqkv,          (void*)(dqkv + D),
                        (void*)(dqkv + 2 * D), (void*)D_scratch, (void*)&scale,    (void*)&lowest,
                        (void*)&unit,     (void*)p->dq_accum};
  static_assert(sizeof ptrs / sizeof ptrs[0] == backward_binds(false), "one pointer per tensor");
  run_plan(*p, backward_binds(det), kBackwardUids, ptrs);
  return true;
}
