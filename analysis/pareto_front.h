// Pareto fronts: the trials that no other trial beats on both memory and quality (or speed).
#pragma once

#include <vector>

namespace qlsweep::analysis {

// One candidate: a cost to minimise (memory) and a benefit to maximise (quality, tokens/s).
struct ParetoPoint {
  double cost;
  double benefit;
};

// For each point, whether it is on the front: no other point has cost <= and benefit >= with at
// least one of the two strictly better. Equal points are all on the front. O(n^2).
std::vector<bool> ParetoFront(const std::vector<ParetoPoint>& points);

}  // namespace qlsweep::analysis
