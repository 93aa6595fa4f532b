// ClipGradNorm (see clip_grad.h).
#include "trainer/optim/clip_grad.h"

#include <cmath>

namespace qlsweep::trainer {

double ClipGradNorm(const std::vector<torch::Tensor>& params, double max_norm) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : params) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  if (grads.empty()) return 0.0;
  const auto norms = at::_foreach_norm(grads, 2);  // [1 per gradient], each in its dtype
  const auto total = torch::stack(norms).norm(2);
  if (std::isfinite(max_norm)) {
    const auto coef = torch::clamp(max_norm / (total + 1e-6), c10::nullopt, 1.0);
    at::_foreach_mul_(grads, coef);
  }
  return total.item<double>();
}

}  // namespace qlsweep::trainer
