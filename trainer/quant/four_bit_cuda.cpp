// Tensor-level wrapper of the 4-bit dequantization kernel (trainer/quant/four_bit_kernels.cu).
#include "trainer/quant/four_bit_cuda.h"

#if QLSWEEP_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>

#include <mutex>
#include <set>

#include "trainer/quant/dynamic_map.h"
#include "trainer/quant/four_bit_kernels.h"

namespace qlsweep::trainer {
namespace {

// Constant memory is per device: upload the tables once for each device used.
void EnsureTables(int device) {
  static std::mutex mutex;
  static std::set<int> done;
  std::lock_guard<std::mutex> lock(mutex);
  if (done.count(device)) return;
  auto nf4 = FourBitCode(FourBitType::kNf4), fp4 = FourBitCode(FourBitType::kFp4);
  auto code8 = DynamicMap(/*is_signed=*/true);
  kernels::UploadFourBitTables(nf4.data_ptr<float>(), fp4.data_ptr<float>(),
                               code8.data_ptr<float>());
  C10_CUDA_CHECK(cudaGetLastError());
  done.insert(device);
}

}  // namespace

torch::Tensor Dequantize4bitCuda(const FourBitWeight& q, torch::Dtype dtype, bool vectorized) {
  const c10::cuda::CUDAGuard guard(q.packed.device());
  EnsureTables(q.packed.device().index());
  auto out = torch::empty(q.shape, q.packed.options().dtype(dtype));
  int block_shift = 0;
  while ((int64_t{1} << block_shift) < q.block) ++block_shift;
  kernels::OutType out_type;
  if (dtype == torch::kBFloat16) {
    out_type = kernels::OutType::kBF16;
  } else if (dtype == torch::kFloat16) {
    out_type = kernels::OutType::kF16;
  } else if (dtype == torch::kFloat32) {
    out_type = kernels::OutType::kF32;
  } else {
    throw std::invalid_argument("4-bit dequantization to bf16, fp16 or fp32 only");
  }
  C10_CUDA_CHECK(kernels::LaunchDequantize4bit(
      q.packed.data_ptr<uint8_t>(), q.double_quant ? nullptr : q.absmax.data_ptr<float>(),
      q.double_quant ? q.absmax_codes.data_ptr<uint8_t>() : nullptr,
      q.double_quant ? q.absmax2.data_ptr<float>() : nullptr, static_cast<float>(q.offset),
      q.type == FourBitType::kNf4 ? 0 : 1, block_shift, q.numel(), out_type, out.data_ptr(),
      vectorized, at::cuda::getCurrentCUDAStream()));
  return out;
}

}  // namespace qlsweep::trainer
#endif
