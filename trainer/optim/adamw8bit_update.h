// One 8-bit blockwise AdamW update of one parameter: the state layout, the torch-op path (any
// device) and the fused CUDA kernel path.
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "trainer/optim/adamw8bit_scalars.h"
#include "trainer/optim/optimizer.h"

namespace qlsweep::trainer {

inline constexpr int64_t kAdam8bitBlock = 256;         // elements per absmax
inline constexpr int64_t kAdam8bitMinElements = 4096;  // smaller tensors keep fp32 moments

// The dynamic maps on one device: m_code [256] signed, v_code [256] unsigned (DynamicMap), and
// m_mid, v_mid [255] float32, the midpoints (code[i] + code[i+1]) / 2 used for rounding.
struct Adam8bitMaps {
  torch::Tensor m_code, v_code, m_mid, v_mid;
  int64_t m_zero = 0, v_zero = 0;  // index of 0.0 in each map (the code of a zero moment)
};
Adam8bitMaps MakeAdam8bitMaps(const torch::Device& device);

// State of one parameter of N elements. 8-bit: m_codes, v_codes [N] uint8 and m_absmax,
// v_absmax [ceil(N/256)] float32 (m = m_code[m_codes] * m_absmax[block]). fp32 (N < 4096):
// m, v [N] float32. `step` counts this parameter's updates.
struct Adam8bitState {
  torch::Tensor m_codes, v_codes, m_absmax, v_absmax;
  torch::Tensor m, v;
  int64_t step = 0;
  bool is_8bit() const { return m_codes.defined(); }
};

// The float32 scalars of update number t (1-based) at learning rate lr.
Adam8bitScalars MakeAdam8bitScalars(const AdamHyper& hyper, double lr, int64_t t);

// The update, as bitsandbytes' 2-state blockwise kernel computes it, per element in float32:
//   m = m*b1 + g*(1-b1);  v = v*b2 + (g*(1-b2))*g
//   p = p + (m / (sqrt(v) + eps*sqrt(1-b2^t))) * (-lr*sqrt(1-b2^t)/(1-b1^t))
//     (= p - lr * m_hat / (sqrt(v_hat) + eps) with m_hat = m/(1-b1^t), v_hat = v/(1-b2^t))
//   if wd > 0: p = p * (1 - lr*wd)   (decoupled decay after the step, as bitsandbytes does)
// then p is rounded once to its dtype. 8-bit states are dequantized before and requantized
// after with the NEW absmax of each 256-block: code = nearest map value to m/absmax (ties to the
// lower index); a nonzero m never takes a code of the other sign.
// param: [N] contiguous float32/bf16/fp16 (updated in place); grad: [N] same dtype.

// Torch-op path for either state kind, on any device.
void Adam8bitUpdateTorch(torch::Tensor& param, const torch::Tensor& grad, Adam8bitState& state,
                         const Adam8bitMaps& maps, const Adam8bitScalars& s);

// Fused kernel for 8-bit states of CUDA tensors (same bits as the torch path); throws in a
// build without CUDA.
void Adam8bitUpdateCuda(torch::Tensor& param, const torch::Tensor& grad, Adam8bitState& state,
                        const Adam8bitMaps& maps, const Adam8bitScalars& s);

}  // namespace qlsweep::trainer
