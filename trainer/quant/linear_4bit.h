// Linear layer on a frozen 4-bit weight: dequantize for the GEMM in forward and again in backward.
#pragma once

#include <torch/torch.h>

#include "trainer/quant/four_bit.h"

namespace qlsweep::trainer {

// x: [..., in] (compute dtype); w: 4-bit [out, in] on x's device -> [..., out] in x's dtype.
// Only the input's gradient flows (w is frozen). Nothing of w's dequantized form is kept between
// forward and backward: backward dequantizes it again (bitsandbytes' MatMul4Bit does the same),
// so a layer's 16-bit weight exists only while its GEMM runs.
torch::Tensor Linear4bit(const torch::Tensor& x, const FourBitWeight& w);

}  // namespace qlsweep::trainer
