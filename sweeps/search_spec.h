// A sweep's `search:` section: random sampling over ranges, or bisection to the fit boundary.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweeps/config_error.h"
#include "sweeps/yaml_doc.h"

namespace qlsweep::sweeps {

enum class SearchKind { kGrid, kRandom, kFit };

// One key of a random search's space: a list of choices, or a range [low, high] of numbers.
struct SpaceRange {
  std::string key;  // dotted trial key
  int line = 0;
  std::string pointer;                  // JSON pointer of the range in the file
  std::vector<nlohmann::json> choices;  // checked values; non-empty = pick one of these
  double low = 0, high = 0;             // a range (int keys: whole numbers)
  bool log = false;                     // log-uniform (low > 0)
  int64_t step = 0;                     // int keys: values low, low + step, ...; 0 = 1
  bool is_int = false;                  // the key takes ints: draws are whole numbers
};

// Most trials a random search may draw, and the largest value range a fit search may bisect.
inline constexpr int kMaxSearchTrials = 10000;

// What `search:` says. kGrid (no `search:`) leaves the sweep to its grid.
struct SearchSpec {
  SearchKind kind = SearchKind::kGrid;
  int line = 0;  // of `search:`
  // kind: random
  int trials = 0;
  uint64_t seed = 0;
  std::vector<SpaceRange> space;  // file order
  // kind: fit: the largest `key` in low, low + step, ..., high whose trial fits
  std::string key;
  int key_line = 0;
  int64_t low = 0, high = 0, step = 1;
};

// Reads `search:` of a sweep document (absent: kind kGrid). Every problem becomes an issue with
// its line; what is valid is kept.
SearchSpec ParseSearch(const ParsedDoc& doc, const std::string& file,
                       std::vector<ConfigIssue>& issues);

// "random" / "fit" / "grid".
std::string_view SearchKindName(SearchKind kind);

}  // namespace qlsweep::sweeps
