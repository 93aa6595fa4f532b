// The float32 scalars of one 8-bit AdamW update, shared by the torch path and the CUDA kernel.
#pragma once

namespace qlsweep::trainer {

// See trainer/optim/adamw8bit_update.h for the formula they enter.
struct Adam8bitScalars {
  float beta1, one_minus_beta1;  // b1, 1 - b1
  float beta2, one_minus_beta2;  // b2, 1 - b2
  float step_size;               // -lr * sqrt(1 - b2^t) / (1 - b1^t)
  float eps_scaled;              // eps * sqrt(1 - b2^t)
  float decay;                   // 1 - lr * wd
  bool apply_decay;              // wd > 0
};

}  // namespace qlsweep::trainer
