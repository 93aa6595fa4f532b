// The answer of a fit search, from its recorded probes.
#include "analysis/fit_answer.h"

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "analysis/trial_values.h"
#include "protocol/result_keys.h"
#include "sweeps/gpu_profiles.h"

namespace qlsweep::analysis {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

std::string Mib(double bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%+.0f MiB", bytes / kMiB);
  return text;
}

// The memory the probes had: their GPU profile, else their host limit; "" when neither.
std::string Budget(const storage::TrialRow& probe, std::optional<double>& bytes) {
  const std::string profile = Param(probe, "hardware.gpu_profile");
  if (const auto* p = sweeps::FindGpuProfile(profile); !profile.empty() && p != nullptr) {
    bytes = static_cast<double>(p->memory_bytes);
    char text[96];
    std::snprintf(text, sizeof(text), "%s (%.2f GiB)", profile.c_str(),
                  static_cast<double>(p->memory_bytes) / (kMiB * 1024));
    return text;
  }
  const auto mib = NumericParam(probe, "hardware.host_memory_mib");
  if (mib && *mib > 0) {
    bytes = *mib * kMiB;
    return std::to_string(static_cast<int64_t>(*mib)) + " MiB of host memory";
  }
  return "";
}

}  // namespace

std::optional<FitAnswer> FitAnswerOf(const storage::SweepRecord& sweep,
                                     const std::vector<storage::TrialRow>& trials) {
  const auto spec = nlohmann::json::parse(sweep.spec_json, nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded() || !spec.is_object() || !spec.contains("search")) return std::nullopt;
  const auto& search = spec.at("search");
  if (!search.is_object() || search.value("kind", "") != "fit" || !search.contains("key")) {
    return std::nullopt;
  }
  FitAnswer answer;
  answer.key = search.value("key", "");
  const int64_t low = search.value("low", int64_t{0});
  const int64_t high = search.value("high", int64_t{0});
  const int64_t step = search.value("step", int64_t{1});  // literal-ok: a key of `search:`
  const storage::TrialRow* fitting = nullptr;
  const storage::TrialRow* failing = nullptr;
  for (const auto& t : trials) {
    const auto value = NumericParam(t, answer.key);
    if (!value) continue;
    const auto v = static_cast<int64_t>(*value);
    if (t.status == protocol::TrialStatus::kDone) {
      ++answer.probes;
      if (!answer.fits || v > *answer.fits) {
        answer.fits = v;
        fitting = &t;
      }
    } else if (t.status == protocol::TrialStatus::kOom) {
      ++answer.probes;
      if (!answer.fails || v < *answer.fails) {
        answer.fails = v;
        failing = &t;
      }
    }
  }
  if (answer.fits && answer.fails && *answer.fails <= *answer.fits) {  // not monotone
    answer.text = answer.key + " " + std::to_string(*answer.fits) + " fits but " +
                  std::to_string(*answer.fails) +
                  " does not: memory does not grow with the key, so there is no boundary";
    return answer;
  }
  std::optional<double> budget_bytes;
  const storage::TrialRow* any = fitting != nullptr ? fitting : failing;
  answer.budget = any != nullptr ? Budget(*any, budget_bytes) : "";
  std::optional<double> peak;
  if (fitting != nullptr) peak = Result(*fitting, protocol::result::kDevicePeakBytes);
  // A GPU's peak is the device's memory in use (context included), what the profile's memory
  // bounds. A CPU trial's is its resident set, while RLIMIT_DATA also counts memory reserved and
  // not yet touched: the peak is shown, not a margin that would overstate the room left.
  const bool host = any != nullptr && Param(*any, "hardware.gpu_profile").empty();
  if (peak && budget_bytes && !host) answer.margin_bytes = *budget_bytes - *peak;
  if (failing != nullptr) {
    answer.fails_phase = failing->oom_phase;
  }
  answer.complete = (answer.fits && answer.fails && *answer.fails - *answer.fits <= step) ||
                    (answer.fits && *answer.fits >= high) || (answer.fails && *answer.fails <= low);
  const std::string longest = answer.key == "data.seq_len" ? "longest " : "largest ";
  const std::string fits_what = answer.budget.empty() ? "" : " fits " + answer.budget;
  std::string failed;
  if (answer.fails) {
    failed = std::to_string(*answer.fails) + " does not (oom" +
             (answer.fails_phase.empty() ? "" : " in " + answer.fails_phase) + ")";
  }
  if (!answer.fits && !answer.fails) {
    answer.text = "no probe of " + answer.key + " recorded yet";
  } else if (!answer.fits) {
    answer.text = "no " + answer.key + " from " + std::to_string(low) + fits_what + ": " + failed;
  } else {
    answer.text = longest + answer.key + " that" + fits_what + ": " + std::to_string(*answer.fits) +
                  (answer.margin_bytes ? " (" + Mib(*answer.margin_bytes) + ")"
                   : peak && host      ? " (resident peak " + Mib(*peak).substr(1) + ")"
                                       : "") +
                  (answer.fails ? "; " + failed : ", the top of the searched range");
  }
  answer.text += "; " + std::to_string(answer.probes) + " probe(s)";
  if (!answer.complete) answer.text += " so far; run the sweep again to continue the search";
  return answer;
}

}  // namespace qlsweep::analysis
