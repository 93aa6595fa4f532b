// One optimizer step of the training loop (see train_step.h).
#include "trainer/train/train_step.h"

#include <chrono>
#include <cmath>
#include <vector>

#include "protocol/events.h"
#include "trainer/optim/clip_grad.h"
#include "trainer/parallel/tensor_comm.h"
#include "trainer/train/chunked_loss.h"

namespace qlsweep::trainer {
namespace {

// This rank's micro-batches of the step and the step's labelled-token count over all ranks.
std::vector<Batch> RankBatches(TrialState& s, int64_t accum, double* global_tokens) {
  const int64_t rank = s.dist ? s.dist->rank : 0, ranks = s.dist ? s.dist->size : 1;
  std::vector<Batch> mine;
  double tokens = 0;
  for (int64_t i = 0; i < accum * ranks; ++i) {
    auto batch = s.data->NextTrain();
    if (i % ranks != rank) continue;
    tokens += static_cast<double>(batch.labels.ne(-100).sum().item<int64_t>());
    mine.push_back(std::move(batch));
  }
  *global_tokens = s.dist ? AllReduceSumHost(*s.dist->host, {tokens})[0] : tokens;
  return mine;
}

}  // namespace

StepResult TrainStep(TrialState& s, const sweeps::TrialConfig& cfg, double lr, Phase& phase) {
  const auto start = std::chrono::steady_clock::now();
  double tokens = 0;
  const auto batches = RankBatches(s, cfg.train.grad_accum, &tokens);
  double loss_sum = 0;  // summed token losses of this rank
  const double scale = s.scaler ? s.scaler->Scale() : 1.0;
  for (const auto& batch : batches) {
    phase.name = protocol::phase::kForward;
    auto hidden = s.model->forward(batch.tokens.to(s.device));
    auto r = ChunkedCrossEntropy(hidden, s.model->OutputWeight(), batch.labels.to(s.device));
    phase.name = protocol::phase::kBackward;
    const double weight = static_cast<double>(r.counted) / std::max(tokens, 1.0);
    (r.loss * (weight * scale)).backward();
    loss_sum += r.loss.item<double>() * static_cast<double>(r.counted);
  }
  phase.name = protocol::phase::kOptimizer;
  StepResult out;
  if (s.dp) {
    out.grad_norm = s.dp->Step(lr, cfg.train.max_grad_norm);
    loss_sum = AllReduceSumHost(*s.dist->host, {loss_sum})[0];
  } else {
    const bool found_inf = s.scaler && s.scaler->Unscale(s.params);
    const double max_norm = cfg.train.max_grad_norm > 0 ? cfg.train.max_grad_norm : INFINITY;
    out.grad_norm = ClipGradNorm(s.params, max_norm);
    if (!found_inf) s.optimizer->Step(lr);
    s.optimizer->ZeroGrad();
    if (s.scaler) {
      s.scaler->Update(found_inf);
      out.scaled = true;
      out.loss_scale = scale;
      out.skipped = found_inf;
    }
  }
  if (s.device.is_cuda()) torch::cuda::synchronize();
  out.loss = loss_sum / std::max(tokens, 1.0);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace qlsweep::trainer
