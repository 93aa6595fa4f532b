// Chunked cross-entropy as a custom autograd function: forward and backward each loop over chunks.
#include "trainer/train/chunked_loss.h"

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "sweeps/loss_chunk.h"

namespace qlsweep::trainer {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
constexpr int64_t kIgnore = -100;

class ChunkedCrossEntropyFunction : public torch::autograd::Function<ChunkedCrossEntropyFunction> {
 public:
  // hidden: [N, D]; weight: [V, D]; labels: [N]. Returns {loss [], correct [] int64}.
  static variable_list forward(AutogradContext* ctx, torch::Tensor hidden, torch::Tensor weight,
                               torch::Tensor labels, int64_t chunk) {
    torch::NoGradGuard no_grad;
    const int64_t n = hidden.size(0);
    auto total = torch::zeros({}, hidden.options().dtype(torch::kFloat32));
    auto correct = torch::zeros({}, labels.options());
    for (int64_t start = 0; start < n; start += chunk) {
      const int64_t len = std::min(chunk, n - start);
      auto logits = torch::matmul(hidden.narrow(0, start, len), weight.t()).to(torch::kFloat32);
      auto lab = labels.narrow(0, start, len);
      auto valid = lab.ne(kIgnore);
      auto safe = lab.clamp_min(0);
      auto nll = torch::logsumexp(logits, -1) - logits.gather(1, safe.unsqueeze(1)).squeeze(1);
      total += torch::where(valid, nll, torch::zeros_like(nll)).sum();
      correct += (logits.argmax(-1).eq(lab) & valid).sum();
    }
    auto counted = labels.ne(kIgnore).sum().clamp_min(1).to(torch::kFloat32);
    ctx->save_for_backward({hidden, weight, labels, counted});
    ctx->saved_data["chunk"] = chunk;
    ctx->mark_non_differentiable({correct});
    return {total / counted, correct};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    auto saved = ctx->get_saved_variables();
    auto hidden = saved[0], weight = saved[1], labels = saved[2], counted = saved[3];
    const int64_t chunk = ctx->saved_data["chunk"].toInt();
    const int64_t n = hidden.size(0);
    auto scale = grad_out[0].to(torch::kFloat32) / counted;
    auto grad_hidden = torch::empty_like(hidden);
    // Full fine-tuning trains the output weight too: its gradient probs^T @ hidden, summed over
    // the chunks in float32 ([V, D]; LoRA trials never build it).
    const bool weight_grad = ctx->needs_input_grad(1);
    torch::Tensor grad_weight;
    if (weight_grad)
      grad_weight = torch::zeros(weight.sizes(), weight.options().dtype(torch::kFloat32));
    for (int64_t start = 0; start < n; start += chunk) {
      const int64_t len = std::min(chunk, n - start);
      auto logits = torch::matmul(hidden.narrow(0, start, len), weight.t()).to(torch::kFloat32);
      auto lab = labels.narrow(0, start, len);
      auto valid = lab.ne(kIgnore);
      auto probs = torch::softmax(logits, -1);
      probs.scatter_add_(1, lab.clamp_min(0).unsqueeze(1), -torch::ones({len, 1}, probs.options()));
      probs.mul_(valid.unsqueeze(1).to(probs.dtype()) * scale);
      auto scaled = probs.to(hidden.dtype());  // [len, V]
      grad_hidden.narrow(0, start, len).copy_(torch::matmul(scaled, weight));
      if (weight_grad) {
        grad_weight.add_(torch::matmul(scaled.t(), hidden.narrow(0, start, len)));
      }
    }
    if (weight_grad) grad_weight = grad_weight.to(weight.scalar_type());
    return {grad_hidden, grad_weight, torch::Tensor(), torch::Tensor()};
  }
};

int64_t ChunkTokens(const torch::Tensor& weight) {
  if (const char* env = std::getenv("QLSWEEP_LOSS_CHUNK_TOKENS"); env != nullptr && *env != 0) {
    char* end = nullptr;
    const long long tokens = std::strtoll(env, &end, 10);
    if (*end != 0 || tokens < 1) {
      throw std::invalid_argument("QLSWEEP_LOSS_CHUNK_TOKENS must be a positive integer, not '" +
                                  std::string(env) + "'");
    }
    return tokens;
  }
  return sweeps::LossChunkTokens(weight.size(0), static_cast<int64_t>(weight.element_size()));
}

}  // namespace

LossResult ChunkedCrossEntropy(const torch::Tensor& hidden, const torch::Tensor& weight,
                               const torch::Tensor& labels, int64_t chunk_tokens) {
  if (chunk_tokens <= 0) chunk_tokens = ChunkTokens(weight);
  const int64_t d = hidden.size(-1);
  auto out = ChunkedCrossEntropyFunction::apply(hidden.reshape({-1, d}), weight,
                                                labels.reshape({-1}), chunk_tokens);
  LossResult result;
  result.loss = out[0];
  result.correct = out[1].item<int64_t>();
  result.counted = labels.ne(kIgnore).sum().item<int64_t>();
  return result;
}

}  // namespace qlsweep::trainer
