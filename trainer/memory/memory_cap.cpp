// The allocator cap behind GPU-profile emulation.
#include "trainer/memory/memory_cap.h"

#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime_api.h>

#include <c10/core/AllocatorConfig.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include "sweeps/gpu_profiles.h"
#include "trainer/memory/process_gpu_memory.h"

namespace qlsweep::trainer {

void UseExpandableSegments() {
  if (std::getenv("PYTORCH_CUDA_ALLOC_CONF") != nullptr ||
      std::getenv("PYTORCH_ALLOC_CONF") != nullptr) {
    return;  // the user's allocator settings win
  }
  c10::CachingAllocator::setAllocatorSettings("expandable_segments:True");
}

MemoryBudget ApplyGpuProfile(const std::string& profile_name, const torch::Device& device) {
  const auto* profile = sweeps::FindGpuProfile(profile_name);
  if (profile == nullptr) throw std::invalid_argument(sweeps::GpuProfileError(profile_name));
  if (!device.is_cuda()) {
    throw std::invalid_argument("hardware.gpu_profile '" + profile_name +
                                "' emulates a GPU's memory and needs a CUDA device");
  }
  const c10::cuda::CUDAGuard guard(device);
  C10_CUDA_CHECK(cudaFree(nullptr));  // create the context now, so it is measured
  size_t free_bytes = 0, total_bytes = 0;
  C10_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  MemoryBudget b;
  b.budget_bytes = profile->memory_bytes;
  b.device_total_bytes = static_cast<int64_t>(total_bytes);
  // Other processes on a shared GPU are not the emulated card's (NVML lists them).
  b.context_bytes =
      TrialDeviceBytes(device.has_index() ? device.index() : c10::cuda::current_device(),
                       static_cast<int64_t>(total_bytes - free_bytes), 0);
  b.allocator_cap_bytes = b.budget_bytes - b.context_bytes;
  if (b.allocator_cap_bytes <= 0) {
    TORCH_CHECK_WITH(OutOfMemoryError, false, "the CUDA context alone uses ", b.context_bytes,
                     " bytes, more than the ", profile_name, " budget of ", b.budget_bytes);
  }
  if (b.budget_bytes > b.device_total_bytes) {
    throw std::invalid_argument("hardware.gpu_profile '" + profile_name + "' has more memory (" +
                                std::to_string(b.budget_bytes) + " bytes) than this GPU (" +
                                std::to_string(b.device_total_bytes) + ")");
  }
  // The caching allocator initialises on its first allocation; only then does it take a cap.
  torch::empty({1}, torch::TensorOptions().device(device));
  c10::cuda::CUDACachingAllocator::setMemoryFraction(
      static_cast<double>(b.allocator_cap_bytes) / static_cast<double>(total_bytes),
      device.index());
  return b;
}

void TightenGpuProfileCap(MemoryBudget& b, const torch::Device& device) {
  if (b.budget_bytes == 0 || !device.is_cuda()) return;
  constexpr size_t kAggregate = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);
  const c10::cuda::CUDAGuard guard(device);
  size_t free_bytes = 0, total_bytes = 0;
  C10_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
  const int64_t reserved = stats.reserved_bytes[kAggregate].current;
  // Another process on the same GPU is not the trial's (NVML lists it).
  const int64_t used =
      TrialDeviceBytes(device.has_index() ? device.index() : c10::cuda::current_device(),
                       static_cast<int64_t>(total_bytes - free_bytes), reserved);
  const int64_t outside = used - reserved;
  // The cap was set against a smaller context; the kernels loaded since then grew it. If the
  // device now holds more than the card has, the work since the last check would have run out of
  // memory on the card: say so instead of recording a trial that only fits the bigger GPU.
  constexpr int64_t kMiB = int64_t{1} << 20;
  TORCH_CHECK_WITH(OutOfMemoryError, used <= b.budget_bytes, "the emulated card's ",
                   b.budget_bytes / kMiB, " MiB were exceeded: the device holds ", used / kMiB,
                   " MiB (", reserved / kMiB, " MiB reserved by the allocator, ", outside / kMiB,
                   " MiB of CUDA context and libraries, grown from ", b.context_bytes / kMiB,
                   " MiB as kernels loaded since the allocator was capped)");
  if (outside <= b.context_bytes) return;
  b.context_bytes = outside;
  b.allocator_cap_bytes = std::max<int64_t>(0, b.budget_bytes - outside);
  c10::cuda::CUDACachingAllocator::setMemoryFraction(
      static_cast<double>(b.allocator_cap_bytes) / static_cast<double>(total_bytes),
      device.index());
}

}  // namespace qlsweep::trainer
