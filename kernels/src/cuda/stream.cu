// engine_stream.h: the engine's stream. Host code only (also built by the C++ compiler).
#include "engine_stream.h"

#include <stdexcept>
#include <string>

cudaStream_t engine_stream() {
  static const cudaStream_t s = [] {
    cudaStream_t t = nullptr;
    const cudaError_t e = cudaStreamCreateWithFlags(&t, cudaStreamDefault);
    if (e != cudaSuccess) {
      cudaGetLastError();
      throw std::runtime_error(std::string("cannot create the engine's CUDA stream: ") + cudaGetErrorString(e));
    }
    return t;
  }();
  return s;
}

static unsigned long g_buffer_epoch = 0;
void engine_buffer_freed() { g_buffer_epoch++; }
unsigned long engine_buffer_epoch() { return g_buffer_epoch; }
