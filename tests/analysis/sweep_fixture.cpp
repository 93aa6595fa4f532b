// The fixture sweeps: planned, run and recorded through the storage API as the coordinator does.
#include "tests/analysis/sweep_fixture.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <vector>

#include "protocol/exit_codes.h"
#include "protocol/trial_status.h"
#include "storage/run_index.h"
#include "storage/series_file.h"

namespace qlsweep::analysis::testing {
namespace {

namespace fs = std::filesystem;
using protocol::TrialStatus;

struct FixtureTrial {
  std::string name;
  std::map<std::string, std::string> params;  // on top of the sweep's base parameters
  TrialStatus status;                         // done, oom, failed
  std::string oom_phase;
  std::map<std::string, double> results;
};

// The results of a finished trial (memory in MiB) and of one that stopped early.
std::map<std::string, double> Done(double device_peak_mib, double peak_alloc_mib,
                                   double tokens_per_s, double final_loss, double trainable) {
  return {{"device_peak_bytes", device_peak_mib * kMiB},
          {"peak_alloc_bytes", peak_alloc_mib * kMiB},
          {"peak_reserved_bytes", (peak_alloc_mib + 200) * kMiB},
          {"started.memory.alloc_bytes", 3900 * kMiB},
          {"tokens_per_s", tokens_per_s},
          {"base_eval_loss", 2.0},
          {"final_eval_loss", final_loss},
          {"perplexity", std::exp(final_loss)},
          {"trainable_params", trainable},
          {"started.trainable_params", trainable}};
}
std::map<std::string, double> Stopped(double trainable) {
  return {{"started.memory.alloc_bytes", 3900 * kMiB},
          {"oom.memory.device_used_bytes", 6100 * kMiB},
          {"trainable_params", trainable}};
}

// Trainable parameters of r=16 on all seven projections of the 7B shape, scaled by rank.
double Trainable(double r) { return 39976960.0 * r / 16; }

void WriteSeries(const std::string& path, const std::string& id, double final_loss) {
  storage::SeriesFile series(path, id, "{}");
  series.Append("eval", {{"step", 0}, {"eval_loss", 2.0}, {"perplexity", std::exp(2.0)}});
  for (int step = 1; step <= 4; ++step) {
    const double loss = 2.0 - (2.0 - final_loss) * step / 4 + 0.02 * (step % 2);
    series.Append("train",
                  {{"step", step}, {"loss", loss}, {"lr", 2e-4}, {"tokens", 512.0 * step}});
  }
  series.Append("eval",
                {{"step", 4}, {"eval_loss", final_loss}, {"perplexity", std::exp(final_loss)}});
}

void RecordSweep(storage::RunIndex& index, const std::string& dir, const std::string& sweep,
                 const std::string& reference, const std::map<std::string, std::string>& base,
                 const std::vector<FixtureTrial>& trials) {
  index.UpsertSweep({sweep, "sweeps/" + sweep + ".yaml", kProfile, reference, "{}"});
  for (const auto& t : trials) {
    const std::string id = sweep + "-" + t.name;  // unique across the fixture's sweeps
    auto params = base;
    params["hardware.gpu_profile"] = kProfile;
    for (const auto& [k, v] : t.params) params[k] = v;
    std::string config = "{";
    for (const auto& [k, v] : params)
      config += (config.size() > 1 ? "," : "") + ("\"" + k + "\":\"" + v + "\"");
    index.PlanTrial({id, sweep, t.name, config + "}", params});
    index.MarkRunning(id, "fixture-host", "0");
    storage::TrialOutcome outcome;
    outcome.id = id;
    outcome.status = t.status;
    outcome.oom_phase = t.oom_phase;
    outcome.exit_code = t.status == TrialStatus::kDone  ? protocol::kExitDone
                        : t.status == TrialStatus::kOom ? protocol::kExitOom
                                                        : protocol::kExitFailed;
    outcome.error = t.status == TrialStatus::kFailed ? "CUDA error: an illegal memory access" : "";
    outcome.results = t.results;
    outcome.wall_s = 60;
    if (t.status == TrialStatus::kDone) {
      outcome.h5_path = (fs::path(dir) / "series" / (id + ".h5")).string();
      WriteSeries(outcome.h5_path, id, t.results.at("final_eval_loss"));
    }
    index.RecordOutcome(outcome);
  }
}

}  // namespace

std::string WriteFixtureRuns(const std::string& dir) {
  fs::create_directories(fs::path(dir) / "series");
  const std::string db = (fs::path(dir) / "runs.db").string();
  auto index = storage::RunIndex::OpenForWrite(db);
  const std::map<std::string, std::string> base = {{"model.preset", "llama2-7b"},
                                                   {"data.seq_len", "512"},
                                                   {"lora.r", "16"},
                                                   {"train.micro_batch", "1"},
                                                   {"train.grad_accum", "1"}};
  RecordSweep(
      *index, dir, "rank-4050", "lora.r=64", base,
      {{"lora.r=4",
        {{"lora.r", "4"}},
        TrialStatus::kDone,
        "",
        Done(5366, 4400, 2659, 1.80, Trainable(4))},
       {"lora.r=8",
        {{"lora.r", "8"}},
        TrialStatus::kDone,
        "",
        Done(5424, 4450, 2946, 1.75, Trainable(8))},
       {"lora.r=16",
        {{"lora.r", "16"}},
        TrialStatus::kDone,
        "",
        Done(5642, 4500, 2880, 1.70, Trainable(16))},
       {"lora.r=32",
        {{"lora.r", "32"}},
        TrialStatus::kDone,
        "",
        Done(5888, 4700, 2689, 1.72, Trainable(32))},
       {"lora.r=64",
        {{"lora.r", "64"}},
        TrialStatus::kDone,
        "",
        Done(6124, 4900, 2569, 1.60, Trainable(64))},
       {"lora.r=128", {{"lora.r", "128"}}, TrialStatus::kOom, "backward", Stopped(Trainable(128))},
       {"lora.r=256", {{"lora.r", "256"}}, TrialStatus::kFailed, "", Stopped(Trainable(256))}});
  RecordSweep(*index, dir, "seq-4050", "", base,
              {{"data.seq_len=512",
                {{"data.seq_len", "512"}},
                TrialStatus::kDone,
                "",
                Done(5642, 4500, 2862, 1.70, Trainable(16))},
               {"data.seq_len=1024",
                {{"data.seq_len", "1024"}},
                TrialStatus::kDone,
                "",
                Done(5960, 4800, 4426, 1.68, Trainable(16))},
               {"data.seq_len=2048",
                {{"data.seq_len", "2048"}},
                TrialStatus::kOom,
                "backward",
                Stopped(Trainable(16))},
               {"data.seq_len=4096",
                {{"data.seq_len", "4096"}},
                TrialStatus::kOom,
                "forward",
                Stopped(Trainable(16))}});
  auto batch = [](int mb) {
    return std::map<std::string, std::string>{{"train.micro_batch", std::to_string(mb)},
                                              {"train.grad_accum", std::to_string(16 / mb)}};
  };
  RecordSweep(
      *index, dir, "batch-4050", "", base,
      {{"1x16", batch(1), TrialStatus::kDone, "", Done(5642, 4500, 2984, 1.70, Trainable(16))},
       {"2x8", batch(2), TrialStatus::kDone, "", Done(5960, 4800, 4660, 1.70, Trainable(16))},
       {"4x4", batch(4), TrialStatus::kOom, "backward", Stopped(Trainable(16))},
       {"8x2", batch(8), TrialStatus::kOom, "forward", Stopped(Trainable(16))}});
  return db;
}

}  // namespace qlsweep::analysis::testing
