// The answer of a fit search, from its recorded probes: the largest value of the key that fits
// the memory, with its margin, and the smallest that does not.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/run_index.h"

namespace qlsweep::analysis {

struct FitAnswer {
  std::string key;                     // the pushed trial key, e.g. data.seq_len
  std::string budget;                  // "rtx4050-laptop-6gb (6.00 GiB)", "900 MiB host memory"
  std::optional<int64_t> fits;         // the largest probed value that fitted (done)
  std::optional<double> margin_bytes;  // GPU: the profile's memory - that trial's device peak
  std::optional<int64_t> fails;        // the smallest probed value above it that did not (oom)
  std::string fails_phase;             // where that one ran out of memory
  int probes = 0;                      // recorded probes: done or oom
  bool complete = false;               // no unprobed value lies between fits and fails
  std::string text;                    // the answer as `run` and `table` print it
};

// The answer of `sweep` when it is a fit search (its spec_json has `search: {kind: fit}`), from
// its trials; nullopt for any other sweep. The budget is the probes' GPU profile (its memory) or
// their hardware.host_memory_mib. Sentences:
//   "longest data.seq_len that fits rtx4050-laptop-6gb (6.00 GiB): 3072 (+212 MiB); 4096 does
//    not (oom in backward); 5 probes"
//   "no data.seq_len from 512 fits ...: 512 does not (oom in forward)"
//   "... 2048 (+40 MiB), the top of the searched range"
//   "largest train.micro_batch that fits 900 MiB of host memory: 9 (resident peak 593 MiB); ..."
// with "so far; run the sweep again to continue the search" while the boundary is not pinned.
std::optional<FitAnswer> FitAnswerOf(const storage::SweepRecord& sweep,
                                     const std::vector<storage::TrialRow>& trials);

}  // namespace qlsweep::analysis
