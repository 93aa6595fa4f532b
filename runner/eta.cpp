// Time-left arithmetic and its text.
#include "runner/eta.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace qlsweep::runner {

double TrialSecondsLeft(int64_t step, int64_t total_steps, double steady_seconds,
                        int64_t steady_steps, double first_step_seconds) {
  if (step >= total_steps || step <= 0) return 0.0;
  const double per_step =
      steady_steps > 0 ? steady_seconds / static_cast<double>(steady_steps) : first_step_seconds;
  return per_step * static_cast<double>(total_steps - step);
}

double SweepSecondsLeft(int unstarted, double mean_trial_s,
                        const std::vector<double>& running_left_s, int slots) {
  double total = std::max(0, unstarted) * mean_trial_s;
  for (double left : running_left_s) total += std::max(0.0, left);
  return total / std::max(1, slots);
}

std::string DurationText(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof(buf), "%lds", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof(buf), "%ldm%02lds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  }
  return buf;
}

}  // namespace qlsweep::runner
