// The decoder layer's elementwise ops as fused CUDA kernels with hand-written backward passes
// (trainer/model/fused_kernels.h), and the switch that picks them over the composite torch ops.
#pragma once

#include <string>

#include <torch/torch.h>

namespace qlsweep::trainer {

// Which fused ops are on: QLSWEEP_FUSED_OPS, a comma-separated subset of "lora,rope,rmsnorm,
// swiglu" (default: all; "none": none), read once. For measuring each one's effect on its own
// (bench/levers.sh fused); a trial's results do not depend on it beyond rounding.
bool FusedOpEnabled(const std::string& op);

// Whether the fused CUDA kernel `op` (rope, rmsnorm, swiglu) serves tensor x: on, x on a CUDA
// device in fp32, bf16 or fp16, and the build has CUDA.
bool FusedKernelServes(const std::string& op, const torch::Tensor& x);

// x: [B, T, H, hd] (any strides); cos, sin: [T, hd] float32 -> [B, T, H, hd] contiguous in x's
// dtype: HF's x * cos + rotate_half(x) * sin with cos and sin rounded to x's dtype, bit for bit.
// Its backward is the same kernel's transpose (bit-identical to autograd through the composite).
torch::Tensor FusedRope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

// x: [..., D]; weight: [D] in x's dtype, frozen -> [..., D]: HF's LlamaRMSNorm (float32 statistics,
// normalised value rounded to x's dtype, then times the weight). The row's sum of squares is
// reduced in another order than torch's mean: up to 1 ulp of x's dtype apart, and so is the
// gradient (only x's: the weight must not require one).
torch::Tensor FusedRmsNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps);

// gate, up: [..., I] in one dtype -> silu(gate) * up with silu rounded to the dtype, as the
// composite; backward gives both gradients in one pass and saves only gate and up.
torch::Tensor FusedSwiGlu(const torch::Tensor& gate, const torch::Tensor& up);

}  // namespace qlsweep::trainer
