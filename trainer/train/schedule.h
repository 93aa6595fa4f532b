// Learning-rate schedule: linear warmup then cosine decay to zero (HF's cosine-with-warmup).
#pragma once

#include <cstdint>

namespace qlsweep::trainer {

// Learning rate for optimizer step `step` (0-based) of `total`: peak * step / warmup while
// step < warmup, then peak * 0.5 * (1 + cos(pi * (step - warmup) / (total - warmup))).
double CosineWithWarmup(double peak, int64_t step, int64_t warmup, int64_t total);

}  // namespace qlsweep::trainer
