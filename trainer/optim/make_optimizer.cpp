// The optimizer factory: validates the optim section and picks the implementation.
#include "trainer/optim/make_optimizer.h"

#include <stdexcept>
#include <string>

#include "trainer/optim/adamw.h"
#include "trainer/optim/adamw8bit.h"

namespace qlsweep::trainer {
namespace {

void Require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("optim: " + what);
}

}  // namespace

std::unique_ptr<Optimizer> MakeOptimizer(const sweeps::OptimConfig& cfg,
                                         std::vector<torch::Tensor> params,
                                         const torch::Device& device) {
  Require(cfg.lr > 0, "lr must be > 0, got " + std::to_string(cfg.lr));
  Require(cfg.beta1 >= 0 && cfg.beta1 < 1,
          "beta1 must be in [0, 1), got " + std::to_string(cfg.beta1));
  Require(cfg.beta2 >= 0 && cfg.beta2 < 1,
          "beta2 must be in [0, 1), got " + std::to_string(cfg.beta2));
  Require(cfg.eps > 0, "eps must be > 0, got " + std::to_string(cfg.eps));
  Require(cfg.weight_decay >= 0,
          "weight_decay must be >= 0, got " + std::to_string(cfg.weight_decay));
  std::vector<torch::Tensor> trainable;  // frozen tensors get no state
  for (auto& p : params) {
    Require(p.device() == device,
            "parameter on " + p.device().str() + ", optimizer device " + device.str());
    if (p.requires_grad()) trainable.push_back(std::move(p));
  }
  params = std::move(trainable);
  const AdamHyper hyper{cfg.beta1, cfg.beta2, cfg.eps, cfg.weight_decay};
  if (cfg.name == "adamw") return std::make_unique<AdamW>(std::move(params), hyper, false);
  if (cfg.name == "paged_adamw") return std::make_unique<AdamW>(std::move(params), hyper, true);
  if (cfg.name == "adamw_8bit") return std::make_unique<AdamW8bit>(std::move(params), hyper, false);
  if (cfg.name == "paged_adamw_8bit") {
    return std::make_unique<AdamW8bit>(std::move(params), hyper, true);
  }
  throw std::invalid_argument(
      "optim.name '" + cfg.name +
      "' is unknown; use adamw, adamw_8bit, paged_adamw or paged_adamw_8bit");
}

}  // namespace qlsweep::trainer
