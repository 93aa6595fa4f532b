// The fp32 AdamW reference: torch::optim::AdamW's operations, with optionally paged moments.
#include "trainer/optim/adamw.h"

#include <cmath>
#include <stdexcept>

#include "trainer/optim/paged_memory.h"

namespace qlsweep::trainer {

AdamW::AdamW(std::vector<torch::Tensor> params, const AdamHyper& hyper, bool paged)
    : params_(std::move(params)), hyper_(hyper) {
  for (const auto& p : params_) {
    if (!p.is_contiguous()) throw std::invalid_argument("AdamW: parameters must be contiguous");
    State s;
    s.m = StateBuffer(p.numel(), p.numel(), torch::kFloat32, p.device(), paged, 0.0);
    s.v = StateBuffer(p.numel(), p.numel(), torch::kFloat32, p.device(), paged, 0.0);
    s.managed = IsManaged(s.m);
    states_.push_back(std::move(s));
  }
}

void AdamW::Step(double lr) {
  torch::NoGradGuard no_grad;
  const double b1 = hyper_.beta1, b2 = hyper_.beta2;
  for (size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i];
    if (!p.grad().defined()) continue;
    State& s = states_[i];
    if (s.managed) {
      PrefetchToDevice(s.m);
      PrefetchToDevice(s.v);
    }
    ++s.step;
    const bool fp32 = p.scalar_type() == torch::kFloat32;
    auto flat = fp32 ? p.view({-1}) : p.view({-1}).to(torch::kFloat32);  // [N] float32
    auto g = p.grad().reshape({-1}).to(torch::kFloat32);                 // [N] float32
    flat.mul_(1 - lr * hyper_.weight_decay);
    s.m.mul_(b1).add_(g, 1 - b1);
    s.v.mul_(b2).addcmul_(g, g, 1 - b2);
    const double bias1 = 1 - std::pow(b1, static_cast<double>(s.step));
    const double bias2 = 1 - std::pow(b2, static_cast<double>(s.step));
    auto denom = (s.v.sqrt() / std::sqrt(bias2)).add_(hyper_.eps);
    flat.addcdiv_(s.m, denom, -lr / bias1);
    if (!fp32) p.view({-1}).copy_(flat);
  }
}

void AdamW::ZeroGrad() {
  for (auto& p : params_) p.mutable_grad().reset();
}

int64_t AdamW::StateBytes() const {
  int64_t bytes = 0;
  for (const auto& s : states_) bytes += static_cast<int64_t>(s.m.nbytes() + s.v.nbytes());
  return bytes;
}

int64_t AdamW::ManagedBytes() const {
  int64_t bytes = 0;
  for (const auto& s : states_) {
    if (s.managed) bytes += static_cast<int64_t>(s.m.nbytes() + s.v.nbytes());
  }
  return bytes;
}

}  // namespace qlsweep::trainer
