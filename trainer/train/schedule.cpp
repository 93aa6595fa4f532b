// Cosine-with-warmup, as transformers.get_cosine_schedule_with_warmup computes it.
#include "trainer/train/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace qlsweep::trainer {

double CosineWithWarmup(double peak, int64_t step, int64_t warmup, int64_t total) {
  if (step < warmup) return peak * static_cast<double>(step) / static_cast<double>(warmup);
  const double progress = static_cast<double>(step - warmup) /
                          static_cast<double>(std::max<int64_t>(1, total - warmup));
  return peak * std::max(0.0, 0.5 * (1.0 + std::cos(std::numbers::pi * progress)));
}

}  // namespace qlsweep::trainer
