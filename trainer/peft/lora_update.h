// The LoRA update with input dropout, as one autograd function that keeps the dropout mask but not
// the dropped input (recomputed in backward from the input every adapter of a layer shares).
#pragma once

#include <torch/torch.h>

namespace qlsweep::trainer {

// x: [..., in]; a: [R, in]; b: [out, R]; all one dtype. Returns
// linear(linear(dropout(x, p), a), b) * scaling, [..., out], with dropout's mask drawn exactly as
// torch::dropout draws it (at::native_dropout), so the values and the RNG stream are those of the
// plain expression. Training only (p > 0); autograd saves x, the 1-byte mask and the [..., R]
// product instead of the dropped copy of x: 2 bytes per input element less per adapter in bf16.
torch::Tensor LoraUpdateWithDropout(const torch::Tensor& x, const torch::Tensor& a,
                                    const torch::Tensor& b, double p, double scaling);

}  // namespace qlsweep::trainer
