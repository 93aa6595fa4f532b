// Device memory that this process holds on one GPU, through NVML (loaded at run time), so that
// other processes on a shared GPU do not count as the trial's.
#pragma once

#include <cstdint>
#include <optional>

namespace qlsweep::trainer {

// Bytes NVML lists for this process (its pid) on CUDA device `device_index` (as CUDA numbers it,
// under CUDA_VISIBLE_DEVICES; matched to NVML by PCI bus id), its CUDA context included. nullopt
// where that cannot be told: no libnvidia-ml.so.1, the GPU not found, or this pid not listed (a
// PID namespace can hide it).
std::optional<int64_t> ProcessGpuBytes(int device_index);

// What the trial holds on the device: ProcessGpuBytes when it is known and between
// `allocator_reserved` and the device's total (outside that NVML is not trusted); else the whole
// device's used memory (cudaMemGetInfo: total - free), which on a GPU shared with other processes
// counts theirs too. -1 when neither can be read.
int64_t TrialDeviceBytes(int device_index, int64_t allocator_reserved);

}  // namespace qlsweep::trainer
