// CUDA managed (paged) buffers for optimizer state, bounded by the device's free memory.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace qlsweep::trainer {

// Headroom kept out of every managed allocation: the process's managed bytes plus a request may
// not exceed the device's free memory (cudaMemGetInfo at allocation time) minus this margin.
inline constexpr int64_t kManagedMarginBytes = int64_t{512} << 20;  // 512 MiB

// Parameters with at least this many elements get paged state buffers (bitsandbytes' rule).
inline constexpr int64_t kPagedMinElements = 100000;

// Empty when in_use + request + kManagedMarginBytes <= free_bytes; else the error message.
std::string ManagedBudgetError(int64_t in_use, int64_t request, int64_t free_bytes);

// Bytes of managed memory this process holds through AllocateManaged right now.
int64_t ManagedBytesInUse();

// Returns a [numel] tensor of `dtype` on `device` (CUDA) backed by cudaMallocManaged memory
// (attached to the host), filled with `fill`; cudaFree runs when its last reference goes.
// Throws c10::OutOfMemoryError, allocating nothing, when the budget above would be exceeded,
// and std::invalid_argument for a non-CUDA device or a build without CUDA.
torch::Tensor AllocateManaged(int64_t numel, torch::Dtype dtype, const torch::Device& device,
                              double fill);

// managed: any tensor from AllocateManaged. Queues the migration of its pages to its device on
// the current CUDA stream (cudaMemPrefetchAsync), so the next kernel on that stream finds them.
void PrefetchToDevice(const torch::Tensor& managed);

// t: any tensor. True when its storage is CUDA managed memory (cudaPointerGetAttributes).
bool IsManaged(const torch::Tensor& t);

// A state buffer [numel] of `dtype` filled with `fill`: managed memory when `paged`, the device
// is CUDA and the parameter has param_numel >= kPagedMinElements; an ordinary tensor otherwise.
torch::Tensor StateBuffer(int64_t numel, int64_t param_numel, torch::Dtype dtype,
                          const torch::Device& device, bool paged, double fill);

}  // namespace qlsweep::trainer
