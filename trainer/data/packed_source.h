// PackedSource: a DataSource over packed train and eval rows, with a seeded per-epoch row order.
#pragma once

#include <cstdint>
#include <string>

#include "trainer/data/batch.h"
#include "trainer/data/packing.h"

namespace qlsweep::trainer {

class PackedSource : public DataSource {
 public:
  // train / eval: packed rows ([N, T] int64 each; eval may have N = 0). `describe` names the data
  // in messages. Throws std::invalid_argument when train has no rows.
  PackedSource(PackedRows train, PackedRows eval, int64_t micro_batch, uint64_t seed,
               std::string describe);

  // The next `micro_batch` train rows ([B, T]) in a seeded shuffled order that is reshuffled
  // every epoch (a pass over all train rows); rows wrap into the next epoch.
  Batch NextTrain() override;
  // Eval rows [first, first + count). Throws std::runtime_error when the eval split is empty or
  // the range passes its end.
  Batch Eval(int64_t first, int64_t count) override;
  int64_t EvalRows() const override { return eval_rows(); }

  int64_t train_rows() const { return train_.tokens.size(0); }
  int64_t eval_rows() const { return eval_.tokens.size(0); }

 private:
  void Reshuffle();

  PackedRows train_, eval_;
  int64_t micro_batch_;
  uint64_t seed_;
  std::string describe_;
  std::vector<int64_t> order_;  // train row order of the current epoch
  int64_t epoch_ = 0, pos_ = 0;
};

}  // namespace qlsweep::trainer
