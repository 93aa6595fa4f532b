// RunTrial: one QLoRA training trial from a resolved TrialConfig, reporting through an EventSink.
#pragma once

#include "sweeps/trial_config.h"
#include "trainer/train/events.h"

namespace qlsweep::trainer {

// Where a trial leaves files besides its events (not part of the trial's identity).
struct TrialOutputs {
  std::string adapter_dir;  // non-empty: the trained adapter is saved here in PEFT's format
};

// Builds the model and data (and loads lora.init's adapter), evaluates the untuned base model
// (adapters off), trains cfg.train.steps optimizer steps (0: evaluation only) and evaluates
// again, emitting started / step / eval / done events (or oom / error), then saves the adapter
// when `outputs` asks. Never throws: failures become an `error` or `oom` event and the matching
// ExitCode.
int RunTrial(const sweeps::TrialConfig& cfg, EventSink& sink, const TrialOutputs& outputs = {});

}  // namespace qlsweep::trainer
