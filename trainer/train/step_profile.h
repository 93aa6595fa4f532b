// StepProfile: an optional kernel profile of one training step, switched on through the
// environment, for finding where a step's time goes (docs/results.md, "Where a step's time goes").
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace qlsweep::trainer {

// QLSWEEP_PROFILE_DIR=DIR turns it on; QLSWEEP_PROFILE_STEP=N picks the step (default 3, so that
// the allocator and cuBLAS have warmed up); QLSWEEP_PROFILE_TRACE=1 also writes the Chrome trace.
// Writes DIR/step<N>-kernels.md: GPU time by kernel group and the 30 costliest kernels, beside the
// step's wall time. The profiler's own overhead lengthens the profiled step (not its kernels).
// QLSWEEP_PROFILE_MEMORY=1 (CUDA only) also records the caching allocator's history from step 1
// through step N and writes it as DIR/step<N>-memory.pickle, PyTorch's memory snapshot format
// (segments, blocks, per-stream alloc / free / map events); bench/memory_peak.py reads it.
class StepProfile {
 public:
  // Null when QLSWEEP_PROFILE_DIR is unset or empty. Rank r > 0 of a sharded trial writes
  // under DIR/rank<r>.
  static std::unique_ptr<StepProfile> FromEnvironment(int rank);
  StepProfile(std::string dir, int64_t step, bool trace, bool memory = false);
  ~StepProfile();

  // Around TrainStep(step): starts and stops the profiler when step is the chosen one.
  void Before(int64_t step);
  // wall_s: the step's wall time as TrainStep measured it (device synchronised).
  void After(int64_t step, double wall_s);

 private:
  std::string dir_;
  int64_t step_;
  bool trace_;
  bool memory_;  // recording the allocator's history since construction
  bool running_ = false;
};

// The group a CUDA kernel's name belongs to in the profile's table: "GEMM", "attention",
// "4-bit dequantize", "optimizer", "copy / convert", "reduction", "elementwise" or "other".
std::string KernelGroup(const std::string& kernel_name);

}  // namespace qlsweep::trainer
