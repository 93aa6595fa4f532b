// Event stream -> TrialOutcome: statuses, the error text, and the numeric results.
#include "runner/trial_outcome.h"

#include "trainer/train/events.h"

namespace qlsweep::runner {
namespace {

using nlohmann::json;

void CopyNumbers(const json& event, const std::string& prefix,
                 std::map<std::string, double>* results) {
  for (const auto& [key, value] : event.items()) {
    if (value.is_number()) (*results)[prefix + key] = value.get<double>();
    if (value.is_object()) CopyNumbers(value, prefix + key + ".", results);
  }
}

}  // namespace

OutcomeBuilder::OutcomeBuilder(std::string trial_id) : id_(std::move(trial_id)) {}

std::string OutcomeBuilder::OnLine(const std::string& line) {
  json event = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!event.is_object() || !event.contains("event") || !event["event"].is_string()) {
    if (!line.empty()) last_text_ = line;
    return "";
  }
  const auto kind = event["event"].get<std::string>();
  if (kind == "started") started_ = event;
  if (kind == "step") last_step_ = event;
  if (kind == "eval" && event.value("base", false)) base_eval_ = event;
  if (kind == "done") done_ = event;
  if (kind == "oom") oom_ = event;
  if (kind == "error") error_ = event;
  return kind;
}

storage::TrialOutcome OutcomeBuilder::Finish(int exit_code, int signal, bool timed_out,
                                             bool interrupted, double wall_s) const {
  storage::TrialOutcome out;
  out.id = id_;
  out.exit_code = exit_code;
  out.signal = signal;
  out.wall_s = wall_s;
  if (!started_.is_null()) {
    CopyNumbers(started_, "started.", &out.results);  // budget, context, base bytes, ...
    if (started_.contains("trainable_params")) {
      out.results["trainable_params"] = started_["trainable_params"].get<double>();
    }
  }
  // The untuned model's evaluation, kept even when the trial fails later (a reference that ran
  // out of memory still tells the base loss).
  if (!base_eval_.is_null() && base_eval_.contains("eval_loss")) {
    out.results["base_eval_loss"] = base_eval_["eval_loss"].get<double>();
  }
  if (!last_step_.is_null() && last_step_.contains("memory")) {
    CopyNumbers(last_step_["memory"], "last_step.", &out.results);
  }
  if (interrupted) {
    out.status = "killed";
    out.error = "stopped by the user (interrupt)";
  } else if (timed_out) {
    out.status = "timeout";
    out.error = "trial exceeded its time limit";
  } else if (!oom_.is_null() || exit_code == trainer::kExitOom) {
    out.status = "oom";
    out.oom_phase = oom_.value("phase", "unknown");
    CopyNumbers(oom_, "oom.", &out.results);  // the memory at the time and the budget
    out.error = oom_.value("message", "out of memory");
  } else if (exit_code == trainer::kExitDone && signal == 0 && !done_.is_null()) {
    out.status = "done";
    CopyNumbers(done_, "", &out.results);
  } else if (signal != 0) {
    out.status = "killed";
    out.error = "trial process killed by signal " + std::to_string(signal);
  } else {
    out.status = "failed";
    out.error = !error_.is_null()     ? error_.value("message", "error")
                : !last_text_.empty() ? last_text_
                                      : "trial exited with status " + std::to_string(exit_code);
  }
  return out;
}

}  // namespace qlsweep::runner
