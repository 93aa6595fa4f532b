// The whole LoRA projection (frozen base GEMM plus the low-rank update, with optional input
// dropout) as one autograd function whose update is accumulated into the base GEMM's output.
#pragma once

#include <torch/torch.h>

#include "trainer/quant/frozen_matrix.h"

namespace qlsweep::trainer {

// x: [..., in]; base: a frozen [out, in] weight (4-bit, or dense with no gradient); a: [R, in];
// b: [out, R]; all in x's dtype. Returns [..., out]:
//   x W^T + scaling * linear(linear(dropout(x, p), a), b)
// with dropout's mask drawn as torch::dropout draws it (at::native_dropout; p = 0: none), so the
// values and the RNG stream are those of the plain expression. The update goes into the base
// output through the GEMM's epilogue (addmm: C += scaling * T B^T), so no [..., out] tensor of the
// update exists, and backward adds the adapter's share of the input gradient the same way; the
// result differs from the plain expression only by rounding (one bf16 rounding instead of three).
// Saved for backward: x (shared by the layer's projections), the [..., R] product, the dropout
// mask (1 byte per input element) when p > 0; a 4-bit W is dequantized again in backward
// (trainer/quant/linear_4bit.h says why). Gradients flow to x, a and b, never to W.
// With `output_needed` false (a checkpoint's recompute of a layer's last projection, whose output
// feeds nothing but the gradient) forward skips the base GEMM and the update and returns an
// unset [..., out] tensor; backward is the same.
torch::Tensor LoraProjection(const torch::Tensor& x, const FrozenMatrix& base,
                             const torch::Tensor& a, const torch::Tensor& b, double p,
                             double scaling, bool output_needed = true);

}  // namespace qlsweep::trainer
