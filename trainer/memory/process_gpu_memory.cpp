// ProcessGpuBytes and TrialDeviceBytes (see process_gpu_memory.h). NVML is opened with dlopen:
// the driver ships libnvidia-ml.so.1 wherever there is a GPU, and the build needs no NVML header.
#include "trainer/memory/process_gpu_memory.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cuda_runtime_api.h>

#include <algorithm>
#include <vector>

namespace qlsweep::trainer {
namespace {

using NvmlDevice = void*;
constexpr int kNvmlSuccess = 0;
constexpr int kNvmlInsufficientSize = 7;                 // NVML_ERROR_INSUFFICIENT_SIZE
constexpr unsigned long long kNvmlNotAvailable = ~0ULL;  // NVML_VALUE_NOT_AVAILABLE

// nvmlProcessInfo_t as nvmlDeviceGetComputeRunningProcesses_v2/_v3 fill it (nvml.h, r470+).
struct NvmlProcessInfo {
  unsigned int pid;
  unsigned long long used_gpu_memory;
  unsigned int gpu_instance_id;
  unsigned int compute_instance_id;
};

struct Nvml {
  bool ok = false;
  int (*device_by_bus_id)(const char*, NvmlDevice*) = nullptr;
  int (*running_processes)(NvmlDevice, unsigned int*, NvmlProcessInfo*) = nullptr;
};

template <typename F>
F Symbol(void* library, const char* name) {
  return reinterpret_cast<F>(dlsym(library, name));
}

const Nvml& LoadNvml() {
  static const Nvml nvml = [] {
    Nvml n;
    void* library = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) return n;
    auto init = Symbol<int (*)()>(library, "nvmlInit_v2");
    n.device_by_bus_id =
        Symbol<decltype(n.device_by_bus_id)>(library, "nvmlDeviceGetHandleByPciBusId_v2");
    n.running_processes =
        Symbol<decltype(n.running_processes)>(library, "nvmlDeviceGetComputeRunningProcesses_v3");
    if (n.running_processes == nullptr) {
      n.running_processes =
          Symbol<decltype(n.running_processes)>(library, "nvmlDeviceGetComputeRunningProcesses_v2");
    }
    n.ok = init != nullptr && n.device_by_bus_id != nullptr && n.running_processes != nullptr &&
           init() == kNvmlSuccess;
    return n;
  }();
  return nvml;
}

struct ProcessBytes {
  int64_t mine = -1;  // -1: this pid is not listed
  int64_t others = 0;
};

// NVML's compute processes on the GPU, split into this process and the others; nullopt where
// NVML cannot answer.
std::optional<ProcessBytes> ListProcesses(int device_index) {
  const Nvml& nvml = LoadNvml();
  if (!nvml.ok) return std::nullopt;
  char bus_id[64] = {};
  if (cudaDeviceGetPCIBusId(bus_id, sizeof bus_id, device_index) != cudaSuccess) {
    cudaGetLastError();  // not sticky; leave no error behind for the next CUDA call's check
    return std::nullopt;
  }
  NvmlDevice device = nullptr;
  if (nvml.device_by_bus_id(bus_id, &device) != kNvmlSuccess) return std::nullopt;
  std::vector<NvmlProcessInfo> infos(64);
  auto count = static_cast<unsigned int>(infos.size());
  int rc = nvml.running_processes(device, &count, infos.data());
  if (rc == kNvmlInsufficientSize) {
    infos.resize(count + 16);
    count = static_cast<unsigned int>(infos.size());
    rc = nvml.running_processes(device, &count, infos.data());
  }
  if (rc != kNvmlSuccess) return std::nullopt;
  const auto pid = static_cast<unsigned int>(getpid());
  ProcessBytes out;
  for (unsigned int i = 0; i < count && i < infos.size(); ++i) {
    if (infos[i].used_gpu_memory == kNvmlNotAvailable) continue;
    const auto bytes = static_cast<int64_t>(infos[i].used_gpu_memory);
    if (infos[i].pid == pid) {
      out.mine = bytes;
    } else {
      out.others += bytes;
    }
  }
  return out;
}

}  // namespace

std::optional<int64_t> ProcessGpuBytes(int device_index) {
  const auto list = ListProcesses(device_index);
  if (!list || list->mine < 0) return std::nullopt;
  return list->mine;
}

std::optional<int64_t> OtherProcessesGpuBytes(int device_index) {
  const auto list = ListProcesses(device_index);
  if (!list || list->mine < 0) return std::nullopt;
  return list->others;
}

int64_t TrialDeviceBytes(int device_index, int64_t device_used, int64_t allocator_reserved) {
  const int64_t others = OtherProcessesGpuBytes(device_index).value_or(0);
  return std::max(device_used - others, allocator_reserved);
}

}  // namespace qlsweep::trainer
