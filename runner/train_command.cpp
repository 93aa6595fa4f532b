// Wires the trainer to its outputs: stdout JSON lines for the coordinator, HDF5 series for
// analysis.
#include "runner/train_command.h"

#include <cstdio>
#include <memory>

#include "storage/series_file.h"
#include "sweeps/config_error.h"
#include "sweeps/load.h"
#include "trainer/train/trial_runner.h"

namespace qlsweep::runner {
namespace {

using nlohmann::json;

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
    const auto kind = event.value("event", "");
    if (kind == "step") {
      const auto& mem = event["memory"];
      series_->Append("train", {{"step", event["step"].get<double>()},
                                {"loss", event["loss"].get<double>()},
                                {"lr", event["lr"].get<double>()},
                                {"grad_norm", event["grad_norm"].get<double>()},
                                {"step_time_s", event["step_time_s"].get<double>()},
                                {"tokens", event["tokens"].get<double>()},
                                {"alloc_bytes", mem["alloc_bytes"].get<double>()},
                                {"reserved_bytes", mem["reserved_bytes"].get<double>()}});
    } else if (kind == "eval") {
      series_->Append("eval", {{"step", event["step"].get<double>()},
                               {"eval_loss", event["eval_loss"].get<double>()},
                               {"perplexity", event["perplexity"].get<double>()},
                               {"token_accuracy", event["token_accuracy"].get<double>()}});
    }
  }

 private:
  std::unique_ptr<storage::SeriesFile> series_;
};

void EmitError(const std::string& message) {
  std::printf("%s\n",
              json{{"event", "error"}, {"phase", "config"}, {"message", message}}.dump().c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "%s\n", message.c_str());
}

}  // namespace

int TrainCommand(const std::string& trial_path, const std::string& h5_path,
                 const std::string& adapter_dir) {
  sweeps::TrialConfig trial;
  try {
    trial = sweeps::LoadTrialFile(trial_path);
  } catch (const sweeps::ConfigError& e) {
    EmitError(e.what());
    return trainer::kExitConfig;
  }
  std::unique_ptr<storage::SeriesFile> series;
  if (!h5_path.empty()) {
    try {
      series = std::make_unique<storage::SeriesFile>(h5_path, trial.id, trial.resolved.dump());
    } catch (const std::exception& e) {
      EmitError(e.what());
      return trainer::kExitFailed;
    }
  }
  TrialSink sink(std::move(series));
  return trainer::RunTrial(trial, sink, {.adapter_dir = adapter_dir});
}

}  // namespace qlsweep::runner
