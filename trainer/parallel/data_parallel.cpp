// ZeRO stages 0-2 over a flat parameter buffer (see data_parallel.h).
#include "trainer/parallel/data_parallel.h"

#include <cmath>
#include <stdexcept>

#include "trainer/optim/clip_grad.h"
#include "trainer/optim/make_optimizer.h"
#include "trainer/parallel/tensor_comm.h"

namespace qlsweep::trainer {

DataParallel::DataParallel(std::vector<torch::Tensor> params, int zero_stage,
                           const sweeps::OptimConfig& optim, dist::Communicator& comm,
                           const torch::Device& device)
    : params_(std::move(params)), stage_(zero_stage), comm_(comm) {
  if (params_.empty()) throw std::invalid_argument("data parallel: no trainable parameters");
  int64_t total = 0;
  for (const auto& p : params_) total += p.numel();
  const int64_t unit = kPartitionAlign * comm_.Size();
  const int64_t padded = (total + unit - 1) / unit * unit;
  torch::NoGradGuard no_grad;
  flat_ = torch::zeros({padded}, params_.front().options().requires_grad(false));
  int64_t offset = 0;
  for (auto& p : params_) {
    auto view = flat_.narrow(0, offset, p.numel()).view(p.sizes());
    view.copy_(p);
    p.set_data(view);
    offset += p.numel();
  }
  Broadcast(comm_, flat_, 0);
  owned_ = stage_ == 0 ? flat_.view({padded})
                       : flat_.narrow(0, comm_.Rank() * partition_numel(), partition_numel());
  owned_.requires_grad_(true);
  optimizer_ = MakeOptimizer(optim, {owned_}, device);
}

torch::Tensor DataParallel::FlatGrad() const {
  auto grad = torch::zeros({flat_.numel()}, flat_.options());
  int64_t offset = 0;
  for (const auto& p : params_) {
    if (p.grad().defined()) grad.narrow(0, offset, p.numel()).copy_(p.grad().reshape({-1}));
    offset += p.numel();
  }
  return grad;
}

double DataParallel::Step(double lr, double max_norm) {
  torch::NoGradGuard no_grad;
  auto grad = FlatGrad();
  for (auto& p : params_) p.mutable_grad() = torch::Tensor();
  const double clip = max_norm > 0 ? max_norm : INFINITY;
  torch::Tensor mine;  // this rank's (clipped) gradient for owned_
  double norm = 0;
  if (stage_ <= 1) {
    // Every rank holds the summed gradient: clip it with the one-rank rule on per-parameter views,
    // exactly as one rank does (same norm, same rounding).
    AllReduceSum(comm_, grad);
    int64_t offset = 0;
    for (auto& p : params_) {
      p.mutable_grad() = grad.narrow(0, offset, p.numel()).view(p.sizes());
      offset += p.numel();
    }
    norm = ClipGradNorm(params_, clip);
    for (auto& p : params_) p.mutable_grad() = torch::Tensor();
    mine = stage_ == 0 ? grad : grad.narrow(0, comm_.Rank() * partition_numel(), partition_numel());
  } else {
    // 1/N of the summed gradient per rank: the norm's square is all-reduced; clipping follows
    // torch's clip_grad_norm_ arithmetic (fp32 coefficient, clamped at 1).
    mine = ReduceScatterSum(comm_, grad);
    grad = torch::Tensor();
    auto sq = mine.to(torch::kFloat32).pow(2).sum().reshape({1});
    AllReduceSum(comm_, sq);
    const auto total = sq.sqrt();
    norm = total.item<double>();
    mine.mul_(torch::clamp(clip / (total + 1e-6), c10::nullopt, 1.0));
  }
  owned_.mutable_grad() = mine.contiguous();
  optimizer_->Step(lr);
  optimizer_->ZeroGrad();
  if (stage_ != 0) {
    auto part = owned_.detach().clone();
    AllGatherInto(comm_, part, flat_);
  }
  return norm;
}

}  // namespace qlsweep::trainer
