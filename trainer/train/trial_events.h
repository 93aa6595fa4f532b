// The events a trial emits (docs/events.md), built from the trial's state and measurements.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweeps/trial_config.h"
#include "trainer/memory/memory_stats.h"
#include "trainer/train/evaluate.h"
#include "trainer/train/train_step.h"
#include "trainer/train/trial_state.h"

namespace qlsweep::trainer {

// Step times of a run, for the done event's speed figures. Step 1 pays for kernel selection and
// allocator growth, so tokens_per_s counts steps 2..N.
struct SpeedMeter {
  int64_t tokens_per_step = 0;
  int64_t steps = 0;
  double train_s = 0, steady_s = 0;
  void Add(double step_s) {
    train_s += step_s;
    if (steps > 0) steady_s += step_s;
    ++steps;
  }
  double TokensPerS() const;
  double TokensPerSInclFirst() const;
  double StepTimeS() const;
};

nlohmann::json MemoryJson(const MemorySample& m);
// Before the slow parts ahead of step 1: loading the model (phase load), scoring the base model
// (phase eval, base, the number of sequences).
nlohmann::json LoadProgressEvent();
nlohmann::json BaseEvalProgressEvent(int64_t sequences);
nlohmann::json StartedEvent(const sweeps::TrialConfig& cfg, TrialState& s);
nlohmann::json EvalEvent(int64_t step, const EvalResult& r, bool base);
nlohmann::json StepEvent(int64_t step, const StepResult& r, double lr, int64_t tokens,
                         const MemorySample& memory);

// What the done event reports besides the state.
struct TrialSummary {
  int64_t steps = 0;
  double final_loss = 0;
  EvalResult base, last_eval;
  int64_t last_eval_step = 0;
  int64_t skipped_steps = 0;  // fp16: optimizer steps skipped for inf/NaN gradients
  SpeedMeter speed;
  double wall_s = 0;
  std::vector<int64_t> rank_device_peaks;  // sharded trials: every rank's device peak
};
nlohmann::json DoneEvent(TrialState& s, const TrialSummary& summary);

nlohmann::json OomEvent(const std::string& phase, const std::string& message, int64_t budget_bytes,
                        MemoryMonitor* memory);
nlohmann::json ErrorEvent(const std::string& phase, const std::string& message);

}  // namespace qlsweep::trainer
