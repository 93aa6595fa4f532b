// Bisection to the fit boundary: which candidate value to probe next, given what fitted so far.
#include "sweeps/fit_search.h"

namespace qlsweep::sweeps {

std::optional<int> Bisection::Next() const {
  if (Done()) return std::nullopt;
  return fits + (fails - fits) / 2;
}

bool Bisection::Record(int index, bool fitted) {
  if (index < 0 || index >= n) return false;
  if (fitted) {
    if (index >= fails) return false;
    if (index > fits) fits = index;
  } else {
    if (index <= fits) return false;
    if (index < fails) fails = index;
  }
  return true;
}

int MaxProbes(int n) {
  int probes = 0;
  for (int64_t reach = 1; reach < int64_t{n} + 1; reach *= 2) ++probes;
  return probes;
}

std::vector<int64_t> FitCandidates(int64_t low, int64_t high, int64_t step) {
  std::vector<int64_t> out;
  for (int64_t v = low; v <= high; v += step) out.push_back(v);
  return out;
}

}  // namespace qlsweep::sweeps
