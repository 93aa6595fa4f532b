// Synthetic bigram sequences, generated on the CPU from explicit seeds.
#include "trainer/data/synthetic.h"

namespace qlsweep::trainer {
namespace {

constexpr uint64_t kEvalSeedOffset = 0x9E3779B97F4A7C15ull;

torch::Generator SeededGenerator(uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  return gen;
}

}  // namespace

SyntheticSource::SyntheticSource(int64_t vocab, int64_t seq_len, int64_t micro_batch, uint64_t seed)
    : vocab_(vocab), seq_len_(seq_len), micro_batch_(micro_batch), seed_(seed) {
  perm_ = torch::randperm(vocab_, SeededGenerator(seed_), torch::kInt64);
}

Batch SyntheticSource::Make(uint64_t base, int64_t first, int64_t count) const {
  auto tokens = torch::empty({count, seq_len_}, torch::kInt64);
  auto acc = tokens.accessor<int64_t, 2>();
  auto perm = perm_.accessor<int64_t, 1>();
  for (int64_t b = 0; b < count; ++b) {
    auto gen = SeededGenerator(base + static_cast<uint64_t>(first + b));
    auto jumps = torch::randint(vocab_, {seq_len_}, gen, torch::kInt64);
    auto follow = torch::rand({seq_len_}, gen).lt(0.9);
    auto jump = jumps.accessor<int64_t, 1>();
    auto keep = follow.accessor<bool, 1>();
    acc[b][0] = jump[0];
    for (int64_t t = 1; t < seq_len_; ++t) acc[b][t] = keep[t] ? perm[acc[b][t - 1]] : jump[t];
  }
  return {tokens, NextTokenLabels(tokens)};
}

Batch SyntheticSource::NextTrain() {
  auto batch = Make(seed_ * 1000003ull + 1, next_, micro_batch_);
  next_ += micro_batch_;
  return batch;
}

Batch SyntheticSource::Eval(int64_t first, int64_t count) {
  return Make(seed_ ^ kEvalSeedOffset, first, count);
}

torch::Tensor NextTokenLabels(const torch::Tensor& tokens) {
  auto labels = torch::full_like(tokens, -100);
  const int64_t T = tokens.size(1);
  labels.narrow(1, 0, T - 1).copy_(tokens.narrow(1, 1, T - 1));
  return labels;
}

}  // namespace qlsweep::trainer
