// Recording one trial attempt: start, events (progress, environment, series), outcome.
#include "runner/trial_attempt.h"

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "protocol/events.h"
#include "protocol/trial_status.h"
#include "runner/series_rows.h"
#include "runner/trial_command.h"
#include "runner/trial_prediction.h"

namespace qlsweep::runner {

TrialAttempt::TrialAttempt(SweepRecords& records, const sweeps::TrialConfig& trial, int position,
                           const std::string& host, const std::string& gpu,
                           const std::string& where)
    : records_(records),
      trial_(trial),
      position_(position),
      where_(records.coordinator),
      gpu_(gpu),
      outcome_(trial.id),
      start_(std::chrono::steady_clock::now()) {
  where_.host = host;
  records_.progress.TrialStarted(position, trial.id, trial.name, where);
  records_.index.MarkRunning(trial.id, host, gpu);
  records_.index.RecordEnvironment(trial.id, TrialEnvironment(where_, gpu, nullptr));
}

void TrialAttempt::WriteSeries() {
  series_ = std::make_unique<storage::SeriesFile>(h5_path(), trial_.id, trial_.resolved.dump());
}

std::string TrialAttempt::OnLine(const std::string& line) {
  const auto kind = outcome_.OnLine(line);
  if (kind == protocol::event::kStep) {
    records_.progress.Step(position_, outcome_.last_step(), trial_.train.steps);
  } else if (kind == protocol::event::kProgress) {
    records_.progress.Phase(position_, nlohmann::json::parse(line, nullptr, false));
  } else if (kind == protocol::event::kStarted) {
    records_.index.RecordEnvironment(trial_.id, TrialEnvironment(where_, gpu_, outcome_.started()));
  }
  if (series_ && (kind == protocol::event::kStep || kind == protocol::event::kEval)) {
    try {
      if (auto row = SeriesRowOf(nlohmann::json::parse(line))) {
        series_->Append(row->group, row->values);
      }
    } catch (const std::exception& e) {  // a malformed event costs its row, not the sweep
      records_.progress.Note(trial_.id + ": series row not written: " + e.what());
    }
  }
  return kind;
}

void TrialAttempt::Finish(const AttemptEnd& end) {
  series_.reset();  // closes the file before the outcome names it
  auto outcome =
      outcome_.Finish(end.exit_code, end.signal, end.timed_out, end.interrupted, elapsed_s());
  outcome.h5_path = h5_path();
  // A done trial has no error: its done event came before the stop (the farm's Ctrl-C does not
  // wait for the exit of a trial whose results are whole).
  if (!end.error.empty() && outcome.status != protocol::TrialStatus::kDone) {
    outcome.error = end.error;
  } else if (trial_.hardware.gpus > 1 && outcome.status == protocol::TrialStatus::kFailed) {
    // A rank that died without an event: the launcher's log line names it.
    const auto why = LauncherFailure(log_path());
    if (!why.empty()) outcome.error = "sharded trial ended: " + why;
  }
  if (outcome.status == protocol::TrialStatus::kFailed &&
      outcome.error.starts_with("trial exited with status")) {
    // No event said why: the last words on its stderr do.
    const auto last = LastLogLine(log_path());
    if (!last.empty()) outcome.error += "; its log ends: " + last;
  }
  RecordPrediction(trial_, &outcome.results);
  records_.index.RecordOutcome(outcome);
  ++records_.summary.ran;
  records_.summary.Count(outcome.status);
  const std::string detail =
      outcome.status == protocol::TrialStatus::kOom ? "in " + outcome.oom_phase : outcome.error;
  records_.progress.TrialFinished(position_, outcome.status, outcome.wall_s, detail);
}

double TrialAttempt::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string TrialAttempt::h5_path() const {
  return (records_.root / "series" / (trial_.id + ".h5")).string();
}

std::string TrialAttempt::log_path() const {
  return (records_.root / "logs" / (trial_.id + ".log")).string();
}

std::string WriteTrialFile(const nlohmann::json& document, const std::string& id,
                           const std::filesystem::path& dir) {
  const auto path = dir / (id + ".json");
  std::ofstream out(path);
  out << document.dump(2) << "\n";
  if (!out) throw std::runtime_error("cannot write " + path.string());
  return path.string();
}

}  // namespace qlsweep::runner
