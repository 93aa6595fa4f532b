// "Did you mean ...?" hints: the valid name nearest to a misspelt one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qlsweep::sweeps {

// Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate `name` most likely meant, or nothing when none is close. A candidate whose last
// dotted component equals the name's last component wins ("train.lr" -> "optim.lr"); otherwise
// the one at the smallest edit distance, if that is at most max(2, size / 3) and smaller than
// both names' lengths. Ties: first listed.
std::optional<std::string> Nearest(std::string_view name,
                                   const std::vector<std::string>& candidates);

// "; did you mean 'x'?" or "" when nothing is close.
std::string DidYouMean(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace qlsweep::sweeps
