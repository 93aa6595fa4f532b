// One attempt of one trial as the coordinator records it, whichever process runs the trial (a
// child of the coordinator, or of an MPI farm's worker): progress lines, run index rows, the
// outcome with its prediction and, in a farm, the series file written from forwarded events.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "runner/coordinator.h"
#include "runner/progress.h"
#include "runner/trial_environment.h"
#include "runner/trial_outcome.h"
#include "storage/run_index.h"
#include "storage/series_file.h"
#include "sweeps/trial_config.h"

namespace qlsweep::runner {

// Where the attempts of one sweep are recorded: the run index, the progress lines, the counts,
// the coordinator's own environment, and <db dir> (series/, trials/, logs/ below it).
struct SweepRecords {
  storage::RunIndex& index;
  Progress& progress;
  RunSummary& summary;
  CoordinatorEnvironment coordinator;
  std::filesystem::path root;
};

// How an attempt's process ended, and what stopped it.
struct AttemptEnd {
  int exit_code = 0;
  int signal = 0;
  bool timed_out = false;
  bool interrupted = false;
  std::string error;  // when not empty: the recorded error instead of the one the events give
};

class TrialAttempt {
 public:
  // Records the start: the progress line "[k/N] id name: starting[ on <where>]", MarkRunning with
  // `host` (where the trial's process runs) and `gpu` (its CUDA_VISIBLE_DEVICES, "" inherited),
  // and the environment rows.
  TrialAttempt(SweepRecords& records, const sweeps::TrialConfig& trial, int position,
               const std::string& host, const std::string& gpu, const std::string& where);
  TrialAttempt(const TrialAttempt&) = delete;
  TrialAttempt& operator=(const TrialAttempt&) = delete;

  // From now on writes h5_path() itself (truncating it) from the step and eval events OnLine
  // sees: the farm's coordinator, whose trials run on other hosts. Throws StorageError.
  void WriteSeries();
  // One stdout line of the trial: its event is accumulated, a step shown as progress, a started
  // event's device and dtype recorded. Returns the event kind ("" for a line that is no event).
  std::string OnLine(const std::string& line);
  // Records the outcome (with the memory prediction; for a failed sharded trial, the launcher's
  // line about the rank that ended it) and counts it. Call once.
  void Finish(const AttemptEnd& end);

  const sweeps::TrialConfig& trial() const { return trial_; }
  int position() const { return position_; }
  double elapsed_s() const;
  std::string h5_path() const;   // <db dir>/series/<id>.h5
  std::string log_path() const;  // <db dir>/logs/<id>.log

 private:
  SweepRecords& records_;
  const sweeps::TrialConfig& trial_;
  int position_;
  CoordinatorEnvironment where_;  // the coordinator's, with the trial's host
  std::string gpu_;
  OutcomeBuilder outcome_;
  std::chrono::steady_clock::time_point start_;
  std::unique_ptr<storage::SeriesFile> series_;
};

// Writes the trial document (sweeps::TrialDocument, pretty-printed) to <dir>/<id>.json and
// returns that path. Throws std::runtime_error when it cannot.
std::string WriteTrialFile(const nlohmann::json& document, const std::string& id,
                           const std::filesystem::path& dir);

}  // namespace qlsweep::runner
