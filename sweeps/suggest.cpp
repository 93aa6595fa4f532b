// "Did you mean ...?" hints: the valid name nearest to a misspelt one.
#include "sweeps/suggest.h"

#include <algorithm>

namespace qlsweep::sweeps {
namespace {

std::string_view LastComponent(std::string_view name) {
  size_t dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

}  // namespace

size_t EditDistance(std::string_view a, std::string_view b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

std::optional<std::string> Nearest(std::string_view name,
                                   const std::vector<std::string>& candidates) {
  std::string_view last = LastComponent(name);
  for (const auto& candidate : candidates) {
    if (candidate != name && candidate.find('.') != std::string::npos &&
        LastComponent(candidate) == last) {
      return candidate;
    }
  }
  const size_t limit = std::max<size_t>(2, name.size() / 3);
  std::optional<std::string> best;
  size_t best_distance = limit + 1;
  for (const auto& candidate : candidates) {
    size_t distance = EditDistance(name, candidate);
    // A rewrite of (nearly) the whole word is no hint: 'x' is not a typo of 'q'.
    if (distance >= std::min(name.size(), candidate.size())) continue;
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

std::string DidYouMean(std::string_view name, const std::vector<std::string>& candidates) {
  auto best = Nearest(name, candidates);
  return best ? "; did you mean '" + *best + "'?" : "";
}

}  // namespace qlsweep::sweeps
