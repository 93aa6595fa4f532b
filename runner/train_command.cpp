// Wires the trainer to its outputs: stdout JSON lines for the coordinator, HDF5 series for
// analysis.
#include "runner/train_command.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <utility>

#include "protocol/events.h"
#include "runner/series_rows.h"
#include "storage/series_file.h"
#include "sweeps/config_error.h"
#include "sweeps/load.h"
#include "trainer/train/trial_runner.h"

namespace qlsweep::runner {
namespace {

using nlohmann::json;
namespace ev = protocol::event;
namespace f = protocol::field;

// Writes each event as one flushed JSON line, and appends step/eval rows to the series file.
class TrialSink : public trainer::EventSink {
 public:
  explicit TrialSink(std::unique_ptr<storage::SeriesFile> series) : series_(std::move(series)) {}

  void Emit(const json& event) override {
    // Invalid UTF-8 in a message (a library's text) is replaced, never thrown: an event that cannot
    // be written would end the trial without a word.
    const auto text = event.dump(-1, ' ', false, json::error_handler_t::replace);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    if (!series_) return;
    if (auto row = SeriesRowOf(event)) series_->Append(row->group, row->values);
  }

 private:
  std::unique_ptr<storage::SeriesFile> series_;
};

// This process's rank in the MPI job that started it (Open MPI, PMIx, Slurm, MPICH); 0 when no
// launcher did.
int LauncherRank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID", "PMI_RANK"}) {
    if (const char* value = std::getenv(name); value != nullptr) return std::atoi(value);
  }
  return 0;
}

void EmitError(const std::string& message) {
  std::printf(
      "%s\n",
      json{{ev::kKey, ev::kError}, {f::kPhase, protocol::phase::kConfig}, {f::kMessage, message}}
          .dump(-1, ' ', false, json::error_handler_t::replace)
          .c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "%s\n", message.c_str());
}

}  // namespace

int TrainCommand(const std::string& trial_path, const std::string& h5_path,
                 const std::string& adapter_dir, const std::vector<std::string>& overrides) {
  sweeps::TrialConfig trial;
  try {
    trial = sweeps::LoadTrialFile(trial_path, {overrides, false});
  } catch (const sweeps::ConfigError& e) {
    EmitError(e.what());
    return protocol::kExitConfig;
  }
  std::unique_ptr<storage::SeriesFile> series;
  if (!h5_path.empty() && LauncherRank() == 0) {  // ranks of a sharded trial: rank 0 writes
    try {
      series = std::make_unique<storage::SeriesFile>(h5_path, trial.id, trial.resolved.dump());
    } catch (const std::exception& e) {
      EmitError(e.what());
      return protocol::kExitFailed;
    }
  }
  TrialSink sink(std::move(series));
  return trainer::RunTrial(trial, sink, {.adapter_dir = adapter_dir});
}

}  // namespace qlsweep::runner
