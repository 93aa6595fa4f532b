// Memory sampling through c10's CUDA caching allocator statistics, cudaMemGetInfo less the other
// processes NVML lists, and getrusage.
#include "trainer/memory/memory_stats.h"

#include <sys/resource.h>

#include <c10/cuda/CUDACachingAllocator.h>
#include <cuda_runtime_api.h>

#include "trainer/memory/process_gpu_memory.h"

namespace qlsweep::trainer {
namespace {

constexpr size_t kAggregate = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);

int64_t MaxRssBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

}  // namespace

MemoryMonitor::MemoryMonitor(const torch::Device& device) : device_(device) {}

MemorySample MemoryMonitor::Sample() {
  MemorySample s;
  if (!device_.is_cuda()) {
    s.alloc_bytes = s.reserved_bytes = s.peak_alloc_bytes = s.peak_reserved_bytes = MaxRssBytes();
    device_peak_ = std::max(device_peak_, s.peak_reserved_bytes);
    s.device_used_bytes = s.reserved_bytes;
    return s;
  }
  const auto index = device_.has_index() ? device_.index() : 0;
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(index);
  s.alloc_bytes = stats.allocated_bytes[kAggregate].current;
  s.reserved_bytes = stats.reserved_bytes[kAggregate].current;
  s.peak_alloc_bytes = stats.allocated_bytes[kAggregate].peak;
  s.peak_reserved_bytes = stats.reserved_bytes[kAggregate].peak;
  size_t free_bytes = 0, total_bytes = 0;
  if (cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess) {
    s.device_used_bytes =
        TrialDeviceBytes(index, static_cast<int64_t>(total_bytes - free_bytes), s.reserved_bytes);
  }
  device_peak_ = std::max(device_peak_, s.device_used_bytes);
  return s;
}

void MemoryMonitor::ResetPeaks() {
  if (device_.is_cuda()) {
    c10::cuda::CUDACachingAllocator::resetPeakStats(device_.has_index() ? device_.index() : 0);
  }
}

}  // namespace qlsweep::trainer
