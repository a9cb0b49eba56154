# SparseLoCo on the GPU (included by kernels/Makefile after the CUDA variables; docs/cuda.md).
# `make codec-cuda` (also part of `make gpu-tools`) builds build/codec-cuda: the GPU codec
# (src/cuda/codec.cu) checked bit for bit against the CPU codec (src/codec.cpp) and benchmarked.
# Needs nvcc only (no cuBLAS), so it compiles on machines without a GPU.
# No fused multiply-add anywhere in the codec (-fmad=false; the kernels also use explicitly rounded
# intrinsics), IEEE division and sqrt, no flush-to-zero: the bits must equal the CPU codec's.
CODEC_NVCCFLAGS := -O3 -std=c++17 $(CUDA_GENCODE) -fmad=false -ftz=false -prec-div=true -prec-sqrt=true \
  -Xcompiler -fopenmp,-ffp-contract=off,-Wall -MMD -MP

# explicit rules: they win over the backend's pattern rule for src/cuda/*.cu
$(CUDA_BUILD)/codec.o: src/cuda/codec.cu | $(CUDA_BUILD)
	$(NVCC) $(CODEC_NVCCFLAGS) -Isrc -c $< -o $@

$(CUDA_BUILD)/codec_cuda_main.o: tools/codec_cuda_main.cu | $(CUDA_BUILD)
	$(NVCC) $(CODEC_NVCCFLAGS) -Isrc -c $< -o $@

# the CPU codec as loco-codec builds it (-ffp-contract=off via $(BUILD)/codec.o's rule)
$(BUILD)/codec-cuda: $(CUDA_BUILD)/codec.o $(CUDA_BUILD)/codec_cuda_main.o $(BUILD)/codec.o
	$(CXX) $(CXXFLAGS) $^ -o $@ $(CUDA_LIBS)

codec-cuda: $(BUILD)/codec-cuda
gpu-tools: $(BUILD)/codec-cuda
.PHONY: codec-cuda

# build/ref-dump: the CPU engine's half of gpu-parity's --dump (reference/cpu_dump.cpp), so the
# PyTorch reference (reference/model.py --cpu-only) can be checked on machines without a GPU.
$(BUILD)/ref_dump.o: reference/cpu_dump.cpp | $(BUILD)
	$(CXX) $(CXXFLAGS) $(BLAS_CFLAGS) -Isrc -c $< -o $@
$(BUILD)/ref-dump: $(CORE_OBJS) $(BUILD)/cpu_backend.o $(BUILD)/ref_dump.o
	$(CXX) $(CXXFLAGS) $^ -o $@ $(BLAS_LIBS)
ref-dump: $(BUILD)/ref-dump
.PHONY: ref-dump
