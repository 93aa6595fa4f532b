// Managed-memory state buffers: allocation under a free-memory budget, prefetch, identification.
#include "trainer/optim/paged_memory.h"

#include <atomic>
#include <stdexcept>

#if QLSWEEP_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime_api.h>
#endif

namespace qlsweep::trainer {
namespace {

std::atomic<int64_t> managed_in_use{0};

std::string MiB(int64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

}  // namespace

std::string ManagedBudgetError(int64_t in_use, int64_t request, int64_t free_bytes) {
  if (in_use + request + kManagedMarginBytes <= free_bytes) return "";
  return "paged optimizer state: " + MiB(request) + " more managed memory (" + MiB(in_use) +
         " already held) would exceed the device's free " + MiB(free_bytes) + " minus the " +
         MiB(kManagedMarginBytes) + " margin; use a non-paged optimizer or a smaller trial";
}

int64_t ManagedBytesInUse() { return managed_in_use.load(); }

#if QLSWEEP_WITH_CUDA

torch::Tensor AllocateManaged(int64_t numel, torch::Dtype dtype, const torch::Device& device,
                              double fill) {
  if (!device.is_cuda()) throw std::invalid_argument("managed memory needs a CUDA device");
  const c10::cuda::CUDAGuard guard(device);
  const int64_t bytes = numel * static_cast<int64_t>(c10::elementSize(dtype));
  size_t free_bytes = 0, total_bytes = 0;
  C10_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  // Reserve first so that concurrent callers cannot both pass the check.
  const int64_t before = managed_in_use.fetch_add(bytes);
  const std::string error = ManagedBudgetError(before, bytes, static_cast<int64_t>(free_bytes));
  if (!error.empty()) {
    managed_in_use.fetch_sub(bytes);
    TORCH_CHECK_WITH(OutOfMemoryError, false, error);
  }
  void* ptr = nullptr;
  const cudaError_t status =
      cudaMallocManaged(&ptr, std::max<int64_t>(bytes, 1), cudaMemAttachHost);
  if (status != cudaSuccess) {
    managed_in_use.fetch_sub(bytes);
    (void)cudaGetLastError();  // reset the runtime's last-error slot
    TORCH_CHECK_WITH(OutOfMemoryError, false, "cudaMallocManaged of ", MiB(bytes),
                     " failed: ", cudaGetErrorString(status));
  }
  auto tensor = torch::from_blob(
      ptr, {numel},
      [bytes](void* p) {
        (void)cudaFree(p);
        managed_in_use.fetch_sub(bytes);
      },
      torch::TensorOptions().dtype(dtype).device(device));
  tensor.fill_(fill);
  return tensor;
}

void PrefetchToDevice(const torch::Tensor& managed) {
  const c10::cuda::CUDAGuard guard(managed.device());
  cudaMemLocation location{};
  location.type = cudaMemLocationTypeDevice;
  location.id = managed.device().index();
  C10_CUDA_CHECK(cudaMemPrefetchAsync(managed.data_ptr(), managed.nbytes(), location, /*flags=*/0,
                                      at::cuda::getCurrentCUDAStream()));
}

bool IsManaged(const torch::Tensor& t) {
  if (!t.defined() || !t.is_cuda()) return false;
  cudaPointerAttributes attributes{};
  C10_CUDA_CHECK(cudaPointerGetAttributes(&attributes, t.data_ptr()));
  return attributes.type == cudaMemoryTypeManaged;
}

#else

torch::Tensor AllocateManaged(int64_t, torch::Dtype, const torch::Device&, double) {
  throw std::invalid_argument("paged optimizer states need a build with CUDA");
}

void PrefetchToDevice(const torch::Tensor&) {
  throw std::invalid_argument("paged optimizer states need a build with CUDA");
}

bool IsManaged(const torch::Tensor&) { return false; }

#endif

torch::Tensor StateBuffer(int64_t numel, int64_t param_numel, torch::Dtype dtype,
                          const torch::Device& device, bool paged, double fill) {
  if (paged && device.is_cuda() && param_numel >= kPagedMinElements) {
    return AllocateManaged(numel, dtype, device, fill);
  }
  return torch::full({numel}, fill, torch::TensorOptions().dtype(dtype).device(device));
}

}  // namespace qlsweep::trainer
