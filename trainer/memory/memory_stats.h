// What the trial really used: allocator figures on a GPU, resident set size on a CPU.
#pragma once

#include <cstdint>

#include <torch/torch.h>

namespace qlsweep::trainer {

struct MemorySample {
  int64_t alloc_bytes = 0;       // CUDA: bytes in live tensors; CPU: resident set size
  int64_t reserved_bytes = 0;    // CUDA: bytes the caching allocator holds; CPU: resident set
  int64_t peak_alloc_bytes = 0;  // since the last ResetPeaks
  int64_t peak_reserved_bytes = 0;
  // CUDA: total - free of the whole device (context included) less what NVML lists for other
  // processes (trainer/memory/process_gpu_memory.h)
  int64_t device_used_bytes = 0;
};

// Tracks the peak device-level usage over all samples taken; one per trial process.
class MemoryMonitor {
 public:
  explicit MemoryMonitor(const torch::Device& device);
  MemorySample Sample();
  void ResetPeaks();
  int64_t device_peak_bytes() const { return device_peak_; }

 private:
  torch::Device device_;
  int64_t device_peak_ = 0;
};

}  // namespace qlsweep::trainer
