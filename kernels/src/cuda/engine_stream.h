// The one CUDA stream all of the engine's device work is queued on (stream.cu). Host-only, so the
// C++ compiler builds its users too (attention_cudnn.cu in the cuDNN graph check).
#pragma once
#include <cuda_runtime_api.h>

// Created at the first call. A blocking stream: work on the legacy default stream (the synchronous
// cudaMemcpy of read_params, a tool's events) still waits for it and it for them, as when everything
// ran on the legacy stream. It exists because the legacy stream cannot be captured into a CUDA graph
// (LOCO_CUDA_GRAPH, cuda_backend.cu).
cudaStream_t engine_stream();

// A count of device buffers freed so far. A CUDA graph holds the addresses it was captured with, so
// whoever frees device memory a launch may have used (an activation buffer grown for a larger batch,
// attention scratch, a cuDNN plan's workspace) calls engine_buffer_freed(), and a graph captured at an
// older count is captured again instead of launched.
void engine_buffer_freed();
unsigned long engine_buffer_epoch();
