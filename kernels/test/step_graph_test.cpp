// step-graph-test: the CUDA graphs of the step (src/cuda/step_graph.h, the very header the engine
// uses) against a fake CUDA runtime, on the CPU: which calls run eagerly, which are captured and which
// replay a graph; a freed device buffer (engine_buffer_epoch) forcing a new capture after one more
// eager call; a capture that fails (an exception inside it, a failing cudaStreamEndCapture or
// cudaGraphInstantiate, a buffer freed while capturing) running that call eagerly and every later call
// of its key too; every instantiated graph destroyed. The fake runtime counts what the header asks of
// it; enqueue() counts whether it ran inside a capture. Prints ONE JSON line; exit 1 on a failed check.
//
// `make -C kernels build/step-graph-test` (host C++ with the CUDA headers; no GPU, no CUDA runtime
// library: the functions below stand in for it).
#include <cstdint>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "cuda/step_graph.h"
#include "json.h"

namespace {
struct Fake {
  bool capturing = false;
  int begins = 0, ends = 0, instantiates = 0, launches = 0;
  cudaError_t end_result = cudaSuccess, instantiate_result = cudaSuccess;
  std::set<uintptr_t> live_execs, live_graphs;
  uintptr_t next = 0x1000;
  unsigned long epoch = 0;
  cudaStream_t last_launch_stream = nullptr;
};
Fake g_fake;
const cudaStream_t kEngineStream = reinterpret_cast<cudaStream_t>(uintptr_t(0xE5));
}  // namespace

// ---- the engine's stream and buffer epoch (stream.cu) ----
cudaStream_t engine_stream() { return kEngineStream; }
void engine_buffer_freed() { g_fake.epoch++; }
unsigned long engine_buffer_epoch() { return g_fake.epoch; }

// ---- the CUDA runtime calls step_graph.h makes ----
cudaError_t cudaStreamBeginCapture(cudaStream_t s, enum cudaStreamCaptureMode mode) {
  if (s != kEngineStream || mode != cudaStreamCaptureModeThreadLocal || g_fake.capturing) return cudaErrorInvalidValue;
  g_fake.capturing = true;
  g_fake.begins++;
  return cudaSuccess;
}
cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t* g) {
  if (s != kEngineStream || !g_fake.capturing) return cudaErrorIllegalState;
  g_fake.capturing = false;
  g_fake.ends++;
  if (g_fake.end_result != cudaSuccess) {
    *g = nullptr;
    return g_fake.end_result;
  }
  const uintptr_t id = g_fake.next++;
  g_fake.live_graphs.insert(id);
  *g = reinterpret_cast<cudaGraph_t>(id);
  return cudaSuccess;
}
cudaError_t cudaGraphInstantiate(cudaGraphExec_t* e, cudaGraph_t g, unsigned long long) {
  if (!g_fake.live_graphs.count(reinterpret_cast<uintptr_t>(g))) return cudaErrorInvalidValue;
  g_fake.instantiates++;
  if (g_fake.instantiate_result != cudaSuccess) return g_fake.instantiate_result;
  const uintptr_t id = g_fake.next++;
  g_fake.live_execs.insert(id);
  *e = reinterpret_cast<cudaGraphExec_t>(id);
  return cudaSuccess;
}
cudaError_t cudaGraphLaunch(cudaGraphExec_t e, cudaStream_t s) {
  if (!g_fake.live_execs.count(reinterpret_cast<uintptr_t>(e)) || g_fake.capturing) return cudaErrorInvalidValue;
  g_fake.launches++;
  g_fake.last_launch_stream = s;
  return cudaSuccess;
}
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t e) {
  return g_fake.live_execs.erase(reinterpret_cast<uintptr_t>(e)) ? cudaSuccess : cudaErrorInvalidValue;
}
cudaError_t cudaGraphDestroy(cudaGraph_t g) {
  return g_fake.live_graphs.erase(reinterpret_cast<uintptr_t>(g)) ? cudaSuccess : cudaErrorInvalidValue;
}
cudaError_t cudaGetLastError(void) { return cudaSuccess; }
const char* cudaGetErrorString(cudaError_t e) { return e == cudaSuccess ? "no error" : "fake runtime error"; }

namespace {
int g_checks = 0;
std::vector<std::string> g_failures;
void expect(bool cond, const std::string& what) {
  g_checks++;
  if (!cond) g_failures.push_back(what);
}

// One step's device work: counts where it ran; optionally misbehaves inside a capture.
struct Step {
  int eager = 0, captured = 0;
  bool throw_in_capture = false, free_in_capture = false;
  void operator()() {
    if (!g_fake.capturing) {
      eager++;
      return;
    }
    captured++;
    if (free_in_capture) engine_buffer_freed();
    if (throw_in_capture) throw std::runtime_error("cudaMalloc: operation not permitted when stream is capturing");
  }
};
std::string counts(const Step& s) {
  return "eager " + std::to_string(s.eager) + ", captured " + std::to_string(s.captured) + ", launches " +
         std::to_string(g_fake.launches);
}
}  // namespace

int main() {
  const StepKey k1{16, 1024, true, true, 1.0f / 16384};
  {  // graphs off: every call eager, nothing captured
    StepGraphs graphs;
    Step s;
    for (int i = 0; i < 3; i++) graphs.run(k1, false, [&] { s(); });
    expect(s.eager == 3 && s.captured == 0 && g_fake.begins == 0 && g_fake.launches == 0, "off: " + counts(s));
  }
  {  // on: eager, then captured and launched, then launched only
    StepGraphs graphs;
    Step s;
    graphs.run(k1, true, [&] { s(); });
    expect(s.eager == 1 && s.captured == 0 && g_fake.launches == 0, "first call eager: " + counts(s));
    graphs.run(k1, true, [&] { s(); });
    expect(s.eager == 1 && s.captured == 1 && g_fake.launches == 1, "second call captured and launched: " + counts(s));
    expect(g_fake.last_launch_stream == kEngineStream, "launched on the engine's stream");
    expect(g_fake.live_graphs.empty() && g_fake.live_execs.size() == 1, "the graph destroyed once instantiated, its exec kept");
    for (int i = 0; i < 5; i++) graphs.run(k1, true, [&] { s(); });
    expect(s.eager == 1 && s.captured == 1 && g_fake.launches == 6, "later calls replay: " + counts(s));
    expect(step_graph_stats().captured == 1 && step_graph_stats().launched == 6 && step_graph_stats().failed == 0,
           "stats: 1 captured, 6 launched");
    // another key (the accumulating micro-batch; another loss scale) has its own graph
    const StepKey k2{16, 1024, true, false, 1.0f / 16384}, k3{16, 1024, true, true, 1.0f / 8192};
    Step s2, s3;
    for (int i = 0; i < 3; i++) graphs.run(k2, true, [&] { s2(); });
    for (int i = 0; i < 3; i++) graphs.run(k3, true, [&] { s3(); });
    expect(s2.eager == 1 && s2.captured == 1 && s3.eager == 1 && s3.captured == 1 && g_fake.live_execs.size() == 3,
           "keys apart: " + counts(s2) + "; " + counts(s3));
    // a freed buffer: the next call of each key runs eagerly (the old graph destroyed), the one after
    // captures again
    engine_buffer_freed();
    const int launches = g_fake.launches;
    graphs.run(k1, true, [&] { s(); });
    expect(s.eager == 2 && s.captured == 1 && g_fake.launches == launches && g_fake.live_execs.size() == 2,
           "after a free, eager again and the old graph destroyed: " + counts(s));
    graphs.run(k1, true, [&] { s(); });
    graphs.run(k1, true, [&] { s(); });
    expect(s.eager == 2 && s.captured == 2 && g_fake.launches == launches + 2, "then captured again and replayed: " + counts(s));
    // a free between the eager call and the capture: eager once more
    engine_buffer_freed();
    graphs.run(k2, true, [&] { s2(); });  // eager (its graph is stale)
    engine_buffer_freed();
    graphs.run(k2, true, [&] { s2(); });  // eager again: the eager call was before this free
    expect(s2.eager == 3 && s2.captured == 1, "a free after the eager call: eager once more: " + counts(s2));
    graphs.run(k2, true, [&] { s2(); });
    expect(s2.eager == 3 && s2.captured == 2, "and then captured: " + counts(s2));
    graphs.clear();
    expect(g_fake.live_execs.empty(), "clear() destroys every graph: " + std::to_string(g_fake.live_execs.size()) + " left");
  }
  // failed captures: that call runs eagerly, later calls of the key run eagerly without trying again,
  // and nothing leaks; other keys still get graphs
  auto failing = [&](const char* name, auto&& arrange, auto&& restore, const std::string& reason_part) {
    StepGraphs graphs;
    Step s, other;
    arrange(s);
    const long failed = step_graph_stats().failed;
    const int begins = g_fake.begins, launches = g_fake.launches;
    for (int i = 0; i < 4; i++) graphs.run(k1, true, [&] { s(); });
    restore(s);
    // eager: the first call, the failed capture's call again, the two after it
    expect(s.eager == 4 && s.captured == 1 && g_fake.begins == begins + 1 && g_fake.launches == launches,
           std::string(name) + ": one capture tried, the call and the later ones eager: " + counts(s));
    expect(!g_fake.capturing, std::string(name) + ": the capture ended");
    expect(step_graph_stats().failed == failed + 1 &&
               step_graph_stats().last_failure.find(reason_part) != std::string::npos,
           std::string(name) + ": counted, with the reason (\"" + step_graph_stats().last_failure + "\")");
    expect(g_fake.live_graphs.empty() && g_fake.live_execs.empty(), std::string(name) + ": nothing leaked");
    const StepKey k4{8, 512, false, false, 0.f};
    for (int i = 0; i < 3; i++) graphs.run(k4, true, [&] { other(); });
    expect(other.eager == 1 && other.captured == 1, std::string(name) + ": another key still captured: " + counts(other));
  };
  failing("an exception inside the capture", [](Step& s) { s.throw_in_capture = true; }, [](Step&) {},
          "not permitted when stream is capturing");
  failing("cudaStreamEndCapture failing", [](Step&) { g_fake.end_result = cudaErrorStreamCaptureInvalidated; },
          [](Step&) { g_fake.end_result = cudaSuccess; }, "cudaStreamEndCapture");
  failing("cudaGraphInstantiate failing", [](Step&) { g_fake.instantiate_result = cudaErrorInvalidValue; },
          [](Step&) { g_fake.instantiate_result = cudaSuccess; }, "cudaGraphInstantiate");
  failing("a buffer freed while capturing", [](Step& s) { s.free_in_capture = true; }, [](Step&) {},
          "freed while capturing");

  Json out = Json::object(), fails = Json::array();
  for (const std::string& f : g_failures) fails.push(Json(f));
  out.set("tool", "step-graph-test");
  out.set("ok", g_failures.empty());
  out.set("checks", g_checks);
  out.set("failures", fails);
  printf("%s\n", out.dump().c_str());
  return g_failures.empty() ? 0 : 1;
}
