// Evaluation over fixed held-out rows (see evaluate.h).
#include "trainer/train/evaluate.h"

#include <algorithm>

#include "trainer/parallel/tensor_comm.h"
#include "trainer/train/chunked_loss.h"

namespace qlsweep::trainer {

EvalResult Evaluate(LlamaModel& model, DataSource& data, int64_t sequences, int64_t micro_batch,
                    const torch::Device& device, DistContext* dist) {
  torch::NoGradGuard no_grad;
  model->eval();
  double loss_sum = 0;
  int64_t correct = 0, counted = 0;
  const int64_t rows = std::min(sequences, data.EvalRows());
  const int64_t rank = dist ? dist->rank : 0, ranks = dist ? dist->size : 1;
  for (int64_t first = rank * micro_batch; first < rows; first += ranks * micro_batch) {
    auto batch = data.Eval(first, std::min(micro_batch, rows - first));
    auto hidden = model->forward(batch.tokens.to(device));
    auto r = ChunkedCrossEntropy(hidden, model->OutputWeight(), batch.labels.to(device));
    loss_sum += r.loss.item<double>() * static_cast<double>(r.counted);
    correct += r.correct;
    counted += r.counted;
  }
  model->train();
  if (dist != nullptr) {
    const auto sums = AllReduceSumHost(
        *dist->host, {loss_sum, static_cast<double>(correct), static_cast<double>(counted)});
    loss_sum = sums[0];
    correct = static_cast<int64_t>(sums[1]);
    counted = static_cast<int64_t>(sums[2]);
  }
  const double n = static_cast<double>(std::max<int64_t>(1, counted));
  return {loss_sum / n, static_cast<double>(correct) / n, rows, counted};
}

EvalResult EvaluateBase(LlamaModel& model, DataSource& data, int64_t sequences, int64_t micro_batch,
                        const torch::Device& device, DistContext* dist) {
  model->SetAdaptersEnabled(false);
  auto result = Evaluate(model, data, sequences, micro_batch, device, dist);
  model->SetAdaptersEnabled(true);
  return result;
}

}  // namespace qlsweep::trainer
