// Dynamic loss scaling (see loss_scaler.h): torch's _amp_update_scale_ rule, written out.
#include "trainer/optim/loss_scaler.h"

#include <cmath>

namespace qlsweep::trainer {

LossScaler::LossScaler(const LossScalerOptions& options)
    : options_(options), scale_(options.init_scale) {}

bool LossScaler::Unscale(const std::vector<torch::Tensor>& params) const {
  torch::NoGradGuard no_grad;
  // GradScaler: inv_scale = scale.double().reciprocal().float().
  const auto inv_scale = static_cast<float>(1.0 / static_cast<double>(scale_));
  bool found_inf = false;
  for (const auto& p : params) {
    if (!p.grad().defined()) continue;
    auto grad = p.mutable_grad();
    if (!found_inf && !torch::isfinite(grad).all().item<bool>()) found_inf = true;
    grad.mul_(inv_scale);
  }
  return found_inf;
}

void LossScaler::Update(bool found_inf) {
  if (found_inf) {
    scale_ *= options_.backoff_factor;
    growth_tracker_ = 0;
    return;
  }
  const int64_t successful = growth_tracker_ + 1;
  if (successful == options_.growth_interval) {
    const float grown = scale_ * options_.growth_factor;
    if (std::isfinite(grown)) scale_ = grown;
    growth_tracker_ = 0;
  } else {
    growth_tracker_ = successful;
  }
}

}  // namespace qlsweep::trainer
