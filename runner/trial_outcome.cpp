// Event stream -> TrialOutcome: statuses, the error text, and the numeric results.
#include "runner/trial_outcome.h"

#include "runner/event_fields.h"

#include "protocol/events.h"
#include "protocol/exit_codes.h"
#include "protocol/result_keys.h"

namespace qlsweep::runner {
namespace {

using nlohmann::json;
using protocol::TrialStatus;
namespace event = protocol::event;
namespace field = protocol::field;
namespace result = protocol::result;

void CopyNumbers(const json& event, const std::string& prefix,
                 std::map<std::string, double>* results) {
  for (const auto& [key, value] : event.items()) {
    if (value.is_number()) (*results)[prefix + key] = value.get<double>();
    if (value.is_object()) CopyNumbers(value, prefix + key + ".", results);
  }
}

// The string field `key` of `e`, or `fallback` when it is absent (or `e` is no event at all).
std::string Text(const json& e, std::string_view key, const std::string& fallback) {
  if (!e.is_object()) return fallback;
  const auto it = e.find(std::string(key));
  return it != e.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// "rank 1 of 2: " for a failure event of a sharded trial's rank, else "".
std::string RankPrefix(const json& e) {
  const double rank = NumberOr(e, field::kRank, -1), size = NumberOr(e, field::kWorldSize, 0);
  if (rank < 0) return "";
  return "rank " + std::to_string(static_cast<int>(rank)) + " of " +
         std::to_string(static_cast<int>(size)) + ": ";
}

}  // namespace

OutcomeBuilder::OutcomeBuilder(std::string trial_id) : id_(std::move(trial_id)) {}

std::string OutcomeBuilder::OnLine(const std::string& line) {
  json e = json::parse(line, nullptr, /*allow_exceptions=*/false);
  const std::string kind_key(event::kKey);
  if (!e.is_object() || !e.contains(kind_key) || !e[kind_key].is_string()) {
    if (!line.empty()) last_text_ = line;
    return "";
  }
  const auto kind = e[kind_key].get<std::string>();
  if (kind == event::kStarted) started_ = e;
  if (kind == event::kStep) last_step_ = e;
  const auto base = e.find(std::string(field::kBase));
  if (kind == event::kEval && base != e.end() && base->is_boolean() && base->get<bool>()) {
    base_eval_ = e;
  }
  if (kind == event::kDone) done_ = e;
  // A sharded trial's first failure is the one to record (the other ranks' follow from it).
  if (kind == event::kOom && oom_.is_null()) oom_ = e;
  if (kind == event::kError && error_.is_null()) error_ = e;
  return kind;
}

storage::TrialOutcome OutcomeBuilder::Finish(int exit_code, int signal, bool timed_out,
                                             bool interrupted, double wall_s) const {
  storage::TrialOutcome out;
  out.id = id_;
  out.exit_code = exit_code;
  out.signal = signal;
  out.wall_s = wall_s;
  const std::string trainable(result::kTrainableParams);
  if (!started_.is_null()) {
    // budget, context, base bytes, ...
    CopyNumbers(started_, std::string(result::kStartedPrefix), &out.results);
    if (started_.contains(trainable)) out.results[trainable] = NumberOr(started_, trainable);
  }
  // The untuned model's evaluation, kept even when the trial fails later (a reference that ran
  // out of memory still tells the base loss).
  const std::string eval_loss(field::kEvalLoss);
  if (!base_eval_.is_null() && base_eval_.contains(eval_loss)) {
    out.results[std::string(result::kBaseEvalLoss)] = NumberOr(base_eval_, eval_loss);
  }
  const std::string memory(field::kMemory);
  if (!last_step_.is_null() && last_step_.contains(memory)) {
    CopyNumbers(last_step_[memory], std::string(result::kLastStepPrefix), &out.results);
  }
  // A trial that ran to its end is done even when the stop (Ctrl-C, the time limit) was sent in
  // the moment it was ending: its results are whole, and recording it killed would lose them.
  const bool completed =
      exit_code == protocol::kExitDone && signal == 0 && !done_.is_null() && oom_.is_null();
  if (completed) {
    out.status = TrialStatus::kDone;
    CopyNumbers(done_, "", &out.results);
  } else if (interrupted) {
    out.status = TrialStatus::kKilled;
    out.error = "stopped by the user (interrupt)";
  } else if (timed_out) {
    out.status = TrialStatus::kTimeout;
    out.error = "trial exceeded its time limit";
  } else if (!oom_.is_null() || exit_code == protocol::kExitOom) {
    out.status = TrialStatus::kOom;
    out.oom_phase = Text(oom_, field::kPhase, "unknown");
    // the memory at the time and the budget
    CopyNumbers(oom_, std::string(result::kOomPrefix), &out.results);
    out.error = RankPrefix(oom_) + Text(oom_, field::kMessage, "out of memory");
  } else if (signal != 0) {
    out.status = TrialStatus::kKilled;
    out.error = "trial process killed by signal " + std::to_string(signal);
  } else {
    out.status = TrialStatus::kFailed;
    out.error = !error_.is_null()     ? RankPrefix(error_) + Text(error_, field::kMessage,
                                                                  "an error event without a message")
                : !last_text_.empty() ? last_text_
                                      : "trial exited with status " + std::to_string(exit_code);
  }
  return out;
}

}  // namespace qlsweep::runner
