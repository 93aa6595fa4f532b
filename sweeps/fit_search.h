// Bisection to the fit boundary: which candidate value to probe next, given what fitted so far.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace qlsweep::sweeps {

// The state of a fit search over n candidates v[0] < v[1] < ... < v[n-1], assuming that memory
// grows with the value (what fits at v[i] fits at every smaller one). `fits` is the highest index
// known to fit (-1: none yet), `fails` the lowest known not to (n: none yet). The boundary is
// found when fails == fits + 1: v[fits] is the answer (none fits when fits == -1; every value
// fits when fails == n). Each probe halves the unknown stretch, so a search takes at most
// ceil(log2(n + 1)) probes.
struct Bisection {
  int n = 0;
  int fits = -1;
  int fails = 0;

  explicit Bisection(int count) : n(count), fails(count) {}

  // The index to probe next: the middle of the unknown stretch; nullopt once the boundary is
  // found.
  std::optional<int> Next() const;
  // Records the probe of `index`: it fitted or not. A result that contradicts the monotone
  // assumption (a fit above a known failure, or a failure below a known fit) returns false and
  // changes nothing.
  bool Record(int index, bool fitted);
  bool Done() const { return fails - fits <= 1; }
};

// The most probes a search over `n` candidates takes: ceil(log2(n + 1)).
int MaxProbes(int n);

// The candidates low, low + step, ..., high (high - low a multiple of step, step >= 1).
std::vector<int64_t> FitCandidates(int64_t low, int64_t high, int64_t step);

}  // namespace qlsweep::sweeps
