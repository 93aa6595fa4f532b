// Gradient-norm clipping over many parameters with torch's multi-tensor kernels.
#pragma once

#include <vector>

#include <torch/torch.h>

namespace qlsweep::trainer {

// PyTorch's clip_grad_norm_ (the Python one, foreach path): the L2 norm of every defined gradient
// of `params` (one multi-tensor launch instead of one reduction per parameter: 448 of them for
// LoRA on all seven projections of a 32-layer model), the total norm over those, then every
// gradient times min(1, max_norm / (total + 1e-6)); max_norm = INFINITY only measures. Returns
// the total norm before clipping (0 when no gradient is defined).
double ClipGradNorm(const std::vector<torch::Tensor>& params, double max_norm);

}  // namespace qlsweep::trainer
