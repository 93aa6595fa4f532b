// Tensor-level wrapper of the fused 8-bit AdamW kernel (trainer/optim/adamw8bit_kernels.cu).
#include <stdexcept>

#include "trainer/optim/adamw8bit_update.h"

#if QLSWEEP_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>

#include "trainer/optim/adamw8bit_kernels.h"
#endif

namespace qlsweep::trainer {

#if QLSWEEP_WITH_CUDA

void Adam8bitUpdateCuda(torch::Tensor& param, const torch::Tensor& grad, Adam8bitState& state,
                        const Adam8bitMaps& maps, const Adam8bitScalars& s) {
  if (!state.is_8bit() || !param.is_cuda() || !param.is_contiguous()) {
    throw std::invalid_argument(
        "8-bit AdamW kernel: needs 8-bit state and a contiguous CUDA param");
  }
  if (grad.scalar_type() != param.scalar_type() || grad.numel() != param.numel()) {
    throw std::invalid_argument("8-bit AdamW kernel: grad must match the param's dtype and size");
  }
  kernels::ParamType type;
  switch (param.scalar_type()) {
    case torch::kFloat32:
      type = kernels::ParamType::kF32;
      break;
    case torch::kBFloat16:
      type = kernels::ParamType::kBF16;
      break;
    case torch::kFloat16:
      type = kernels::ParamType::kF16;
      break;
    default:
      throw std::invalid_argument("8-bit AdamW kernel: fp32, bf16 or fp16 parameters only");
  }
  const c10::cuda::CUDAGuard guard(param.device());
  auto g = grad.contiguous();
  C10_CUDA_CHECK(kernels::LaunchAdam8bitBlockwise(
      type, param.data_ptr(), g.data_ptr(), state.m_codes.data_ptr<uint8_t>(),
      state.v_codes.data_ptr<uint8_t>(), state.m_absmax.data_ptr<float>(),
      state.v_absmax.data_ptr<float>(), maps.m_code.data_ptr<float>(),
      maps.v_code.data_ptr<float>(), maps.m_mid.data_ptr<float>(), maps.v_mid.data_ptr<float>(), s,
      param.numel(), at::cuda::getCurrentCUDAStream()));
}

#else

void Adam8bitUpdateCuda(torch::Tensor&, const torch::Tensor&, Adam8bitState&, const Adam8bitMaps&,
                        const Adam8bitScalars&) {
  throw std::invalid_argument("the 8-bit AdamW kernel needs a build with CUDA");
}

#endif

}  // namespace qlsweep::trainer
