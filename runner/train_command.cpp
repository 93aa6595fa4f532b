// Wires the trainer to its outputs: stdout JSON lines for the coordinator, HDF5 series for
// analysis.
#include "runner/train_command.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <memory>

#include "protocol/events.h"
#include "runner/event_fields.h"
#include "protocol/result_keys.h"
#include "storage/series_file.h"
#include "sweeps/config_error.h"
#include "sweeps/load.h"
#include "trainer/train/trial_runner.h"

namespace qlsweep::runner {
namespace {

using nlohmann::json;
namespace ev = protocol::event;
namespace f = protocol::field;
namespace r = protocol::result;

// Writes each event as one flushed JSON line, and appends step/eval rows to the series file.
class TrialSink : public trainer::EventSink {
 public:
  explicit TrialSink(std::unique_ptr<storage::SeriesFile> series) : series_(std::move(series)) {}

  void Emit(const json& event) override {
    const auto text = event.dump();
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    if (!series_) return;
    const auto kind = event.value(ev::kKey, "");
    const auto number = [](const json& from, std::string_view key) {
      return std::pair<std::string, double>(key, NumberOr(from, key));  // NaN stays NaN
    };
    if (kind == ev::kStep) {
      const auto& mem = event[f::kMemory];
      series_->Append(std::string(storage::kTrainGroup), {number(event, f::kStep), number(event, f::kLoss),
                                number(event, f::kLr), number(event, f::kGradNorm),
                                number(event, r::kStepTimeS), number(event, f::kTokens),
                                number(mem, r::kAllocBytes), number(mem, r::kReservedBytes)});
    } else if (kind == ev::kEval) {
      series_->Append(std::string(storage::kEvalGroup), {number(event, f::kStep), number(event, f::kEvalLoss),
                               number(event, r::kPerplexity), number(event, r::kTokenAccuracy)});
    }
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
  std::printf("%s\n", json{{ev::kKey, ev::kError}, {f::kPhase, protocol::phase::kConfig}, {f::kMessage, message}}
                          .dump()
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
