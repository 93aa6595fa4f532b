// Emulating a smaller GPU: hold a trial to a GPU profile's memory on a bigger card.
#pragma once

#include <cstdint>
#include <string>

#include <torch/torch.h>

namespace qlsweep::trainer {

struct MemoryBudget {
  int64_t budget_bytes = 0;         // the emulated card's memory (its profile's memory_bytes)
  int64_t context_bytes = 0;        // device memory in use before the trial allocated anything
  int64_t allocator_cap_bytes = 0;  // budget - context: what the caching allocator may reserve
  int64_t device_total_bytes = 0;
};

// Switches PyTorch's caching allocator to expandable segments (one growing virtual range per
// stream, mapped page by page) unless the environment's PYTORCH_CUDA_ALLOC_CONF or
// PYTORCH_ALLOC_CONF says otherwise: freed blocks coalesce, so what is reserved stays close to
// what is allocated (docs/results.md measures it). Called before the trial's first allocation.
void UseExpandableSegments();

// Initialises CUDA on `device`, measures what is already in use there (the CUDA context, library
// handles: on the real card they take the same room; other processes that NVML lists on a shared
// GPU are left out, trainer/memory/process_gpu_memory.h) and caps the caching allocator at
// profile memory - that, through setMemoryFraction. Every tensor, cuBLAS workspace included,
// comes from the caching allocator, so a trial that would not fit the real card fails with a
// CUDA out-of-memory error here too. Throws std::invalid_argument for an unknown profile and
// c10::OutOfMemoryError when the context alone exceeds the budget.
MemoryBudget ApplyGpuProfile(const std::string& profile, const torch::Device& device);

// The CUDA context grows after start-up as kernels load lazily on first use (on the real card
// too). Re-measures what the device holds outside the caching allocator (used - reserved) and
// lowers the allocator cap so that the total stays within the budget; raises `context_bytes`.
// Throws c10::OutOfMemoryError when the device already holds more than the budget (the context
// grew past what the cap allowed for: on the card that work would have run out of memory).
// Called after the base evaluation and after every optimizer step.
void TightenGpuProfileCap(MemoryBudget& budget, const torch::Device& device);

}  // namespace qlsweep::trainer
