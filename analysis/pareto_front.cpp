// The dominance test behind both fronts of a sweep (memory vs quality, memory vs speed).
#include "analysis/pareto_front.h"

#include <cstddef>

namespace qlsweep::analysis {

std::vector<bool> ParetoFront(const std::vector<ParetoPoint>& points) {
  std::vector<bool> on_front(points.size(), true);
  for (size_t i = 0; i < points.size(); ++i) {
    for (size_t j = 0; j < points.size() && on_front[i]; ++j) {
      const auto &a = points[j], &b = points[i];
      const bool no_worse = a.cost <= b.cost && a.benefit >= b.benefit;
      const bool better = a.cost < b.cost || a.benefit > b.benefit;
      if (j != i && no_worse && better) on_front[i] = false;
    }
  }
  return on_front;
}

}  // namespace qlsweep::analysis
