// Micro-batches from packed rows: seeded epoch shuffles for training, fixed slices for eval.
#include "trainer/data/packed_source.h"

#include <numeric>
#include <stdexcept>

namespace qlsweep::trainer {
namespace {

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// rows[idx] for idx: [B] -> [B, T].
Batch Gather(const PackedRows& rows, const std::vector<int64_t>& idx) {
  auto index = torch::tensor(idx, torch::kInt64);
  return {rows.tokens.index_select(0, index), rows.labels.index_select(0, index)};
}

}  // namespace

PackedSource::PackedSource(PackedRows train, PackedRows eval, int64_t micro_batch, uint64_t seed,
                           std::string describe)
    : train_(std::move(train)),
      eval_(std::move(eval)),
      micro_batch_(micro_batch),
      seed_(seed),
      describe_(std::move(describe)) {
  if (micro_batch_ < 1) throw std::invalid_argument("micro_batch must be positive");
  if (!train_.tokens.defined() || train_.tokens.size(0) == 0) {
    throw std::invalid_argument(describe_ + ": no training sequences");
  }
  Reshuffle();
}

void PackedSource::Reshuffle() {
  order_.resize(static_cast<size_t>(train_rows()));
  std::iota(order_.begin(), order_.end(), 0);
  // Fisher-Yates with an explicit generator, identical on every platform.
  uint64_t state = seed_ * 0xD1B54A32D192ED03ull + static_cast<uint64_t>(epoch_);
  for (size_t i = order_.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(SplitMix64(state) % i);
    std::swap(order_[i - 1], order_[j]);
  }
}

Batch PackedSource::NextTrain() {
  std::vector<int64_t> idx;
  while (static_cast<int64_t>(idx.size()) < micro_batch_) {
    if (pos_ == train_rows()) {
      ++epoch_;
      pos_ = 0;
      Reshuffle();
    }
    idx.push_back(order_[static_cast<size_t>(pos_++)]);
  }
  return Gather(train_, idx);
}

Batch PackedSource::Eval(int64_t first, int64_t count) {
  if (!eval_.tokens.defined() || eval_rows() == 0) {
    throw std::runtime_error(describe_ + ": the eval split is empty (no document fell under " +
                             "data.eval_fraction; use more data or a larger fraction)");
  }
  if (first < 0 || count < 1 || first + count > eval_rows()) {
    throw std::runtime_error(describe_ + ": eval rows [" + std::to_string(first) + ", " +
                             std::to_string(first + count) + ") of " + std::to_string(eval_rows()));
  }
  return {eval_.tokens.narrow(0, first, count), eval_.labels.narrow(0, first, count)};
}

}  // namespace qlsweep::trainer
