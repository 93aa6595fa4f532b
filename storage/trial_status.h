// The trial status values the run index accepts (the CHECK constraint of trials.status).
#pragma once

#include <array>
#include <string_view>

namespace qlsweep::storage {

inline constexpr std::array<std::string_view, 7> kTrialStatuses = {
    "planned", "running", "done", "oom", "failed", "killed", "timeout"};

inline bool IsTrialStatus(std::string_view status) {
  for (std::string_view known : kTrialStatuses) {
    if (status == known) return true;
  }
  return false;
}

// A status that ends an attempt (what RecordOutcome accepts).
inline bool IsFinalStatus(std::string_view status) {
  return IsTrialStatus(status) && status != "planned" && status != "running";
}

}  // namespace qlsweep::storage
