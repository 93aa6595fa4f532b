// GPU slots of a sweep: how many trials run at once and the CUDA_VISIBLE_DEVICES each one gets.
#pragma once

#include <string>
#include <vector>

namespace qlsweep::runner {

// Splits a comma-separated device list ("0,1", or GPU UUIDs) into its entries. Throws
// std::invalid_argument naming the problem for an empty entry, whitespace or a repeated entry.
std::vector<std::string> ParseGpuList(const std::string& list);

// The slots of a run: one per entry of `gpus_flag` (--gpus) when given; otherwise one per entry
// of the inherited CUDA_VISIBLE_DEVICES (`cuda_visible_devices`, null when unset) when it names
// devices; otherwise a single slot "" (the child inherits the environment as it is).
std::vector<std::string> TrialSlots(const std::string& gpus_flag, const char* cuda_visible_devices);

}  // namespace qlsweep::runner
