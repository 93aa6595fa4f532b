// A CPU trial's memory limit (hardware.host_memory_mib): RLIMIT_DATA on the trial process, and
// telling a failed host allocation of libtorch from other errors.
#pragma once

#include <cstdint>

#include <c10/util/Exception.h>

namespace qlsweep::trainer {

// Limits this process's data segment (heap and private writable mappings: RLIMIT_DATA) to `mib`
// MiB; 0 leaves it alone. A limit above the current hard limit is refused by the kernel: throws
// std::runtime_error naming both. Applied by the trial itself, before it loads anything.
void ApplyHostMemoryLimit(int64_t mib);

// Whether `error` is libtorch's CPU allocator failing to get memory ("DefaultCPUAllocator: can't
// allocate memory", ENOMEM), which libtorch throws as a plain c10::Error, not an OutOfMemoryError.
bool IsHostAllocationFailure(const c10::Error& error);

}  // namespace qlsweep::trainer
