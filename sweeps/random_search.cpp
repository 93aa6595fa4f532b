// Random search: deterministic draws from a sweep's `search.space` for a seed.
#include "sweeps/random_search.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace qlsweep::sweeps {
namespace {

// The most draws tried per asked trial before the space counts as exhausted.
constexpr int kDrawsPerTrial = 100;

double RoundSignificant(double value, int digits) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*g", digits, value);
  return std::strtod(text, nullptr);
}

// How many distinct points `space` holds, capped at `cap` (a float range counts as unbounded).
int64_t DistinctPoints(const std::vector<SpaceRange>& space, int64_t cap) {
  int64_t points = 1;
  for (const auto& range : space) {
    int64_t values = cap;
    if (!range.choices.empty()) {
      values = static_cast<int64_t>(range.choices.size());
    } else if (range.is_int) {
      const int64_t step = range.log ? 1 : std::max<int64_t>(1, range.step);
      values = (static_cast<int64_t>(range.high) - static_cast<int64_t>(range.low)) / step + 1;
    }
    points = std::min(cap, points * std::min(cap, values));
  }
  return points;
}

}  // namespace

double Uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

nlohmann::json DrawValue(const SpaceRange& range, double u) {
  if (!range.choices.empty()) {
    const auto n = range.choices.size();
    return range.choices[std::min(n - 1, static_cast<size_t>(u * static_cast<double>(n)))];
  }
  if (range.is_int) {
    const auto low = static_cast<int64_t>(range.low);
    const auto high = static_cast<int64_t>(range.high);
    if (range.log) {
      const double v =
          std::exp(std::log(range.low) + u * (std::log(range.high) - std::log(range.low)));
      return std::clamp<int64_t>(std::llround(v), low, high);
    }
    const int64_t step = std::max<int64_t>(1, range.step);
    const int64_t count = (high - low) / step + 1;
    const auto k =
        std::min<int64_t>(count - 1, static_cast<int64_t>(u * static_cast<double>(count)));
    return low + k * step;
  }
  const double v =
      range.log ? std::exp(std::log(range.low) + u * (std::log(range.high) - std::log(range.low)))
                : range.low + u * (range.high - range.low);
  return std::clamp(RoundSignificant(v, 4), range.low, range.high);
}

RandomDraws DrawTrials(const std::vector<SpaceRange>& space, int trials, uint64_t seed) {
  RandomDraws out;
  std::mt19937_64 rng(seed);
  std::set<std::vector<nlohmann::json>> seen;
  const int64_t max_draws = int64_t{trials} * kDrawsPerTrial;
  // A space with fewer points than asked stops once it has drawn them all.
  const auto wanted = static_cast<size_t>(DistinctPoints(space, trials));
  for (int64_t draw = 0; draw < max_draws && out.trials.size() < wanted; ++draw) {
    std::vector<nlohmann::json> values;
    Assignments trial;
    for (const auto& range : space) {
      values.push_back(DrawValue(range, Uniform01(rng)));
      trial.push_back(Assignment{range.key, values.back(), range.line, range.pointer});
    }
    if (seen.insert(values).second) out.trials.push_back(std::move(trial));
  }
  out.exhausted = static_cast<int>(out.trials.size()) < trials;
  return out;
}

}  // namespace qlsweep::sweeps
