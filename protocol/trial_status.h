// TrialStatus: the states of a trial in the run index and their text form (trials.status).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace qlsweep::protocol {

enum class TrialStatus { kPlanned, kRunning, kDone, kOom, kFailed, kKilled, kTimeout };

inline constexpr std::array<TrialStatus, 7> kAllTrialStatuses = {
    TrialStatus::kPlanned, TrialStatus::kRunning, TrialStatus::kDone,   TrialStatus::kOom,
    TrialStatus::kFailed,  TrialStatus::kKilled,  TrialStatus::kTimeout};

// The text stored in SQLite and shown in tables: planned, running, done, oom, failed, killed,
// timeout.
constexpr std::string_view ToString(TrialStatus status) {
  switch (status) {
    case TrialStatus::kPlanned:
      return "planned";
    case TrialStatus::kRunning:
      return "running";
    case TrialStatus::kDone:
      return "done";
    case TrialStatus::kOom:
      return "oom";
    case TrialStatus::kFailed:
      return "failed";
    case TrialStatus::kKilled:
      return "killed";
    case TrialStatus::kTimeout:
      return "timeout";
  }
  return "unknown";
}

// The status whose text is `text`; nullopt for any other string.
constexpr std::optional<TrialStatus> ParseTrialStatus(std::string_view text) {
  for (TrialStatus s : kAllTrialStatuses) {
    if (ToString(s) == text) return s;
  }
  return std::nullopt;
}

// A status that ends an attempt (not planned, not running).
constexpr bool IsFinal(TrialStatus status) {
  return status != TrialStatus::kPlanned && status != TrialStatus::kRunning;
}

// The text of every status that `keep` accepts (all when null), in kAllTrialStatuses order and
// comma-separated, for messages: StatusNames(IsFinal) is "done, oom, failed, killed, timeout".
inline std::string StatusNames(bool (*keep)(TrialStatus) = nullptr) {
  std::string names;
  for (TrialStatus s : kAllTrialStatuses) {
    if (keep != nullptr && !keep(s)) continue;
    if (!names.empty()) names += ", ";
    names += ToString(s);
  }
  return names;
}

// Whether a re-run of the sweep runs the trial again: planned and killed (never finished)
// always; failed, oom and timeout with --retry-failed; done and running never.
constexpr bool RunsAgain(TrialStatus status, bool retry_failed) {
  switch (status) {
    case TrialStatus::kPlanned:
    case TrialStatus::kKilled:
      return true;
    case TrialStatus::kFailed:
    case TrialStatus::kOom:
    case TrialStatus::kTimeout:
      return retry_failed;
    default:
      return false;
  }
}

}  // namespace qlsweep::protocol
