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

// Bytes NVML lists for the other processes on that GPU; nullopt unless this process is listed too
// (otherwise a hidden pid could be this process's own).
std::optional<int64_t> OtherProcessesGpuBytes(int device_index);

// What the trial holds on the device: `device_used`, the whole device's used memory as the caller
// read it (cudaMemGetInfo: total - free, so the driver's share that NVML gives no process counts,
// as it would on the emulated card), less what NVML lists for other processes, when it can tell
// (else nothing is subtracted: on a GPU shared with processes NVML cannot see, theirs count too).
// Never below `allocator_reserved` (what this process's allocator holds).
int64_t TrialDeviceBytes(int device_index, int64_t device_used, int64_t allocator_reserved);

}  // namespace qlsweep::trainer
