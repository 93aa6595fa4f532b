// RunTrial: one QLoRA training trial from a resolved TrialConfig, reporting through an EventSink.
#pragma once

#include "sweeps/trial_config.h"
#include "trainer/train/events.h"

namespace qlsweep::trainer {

// Builds the model and data, evaluates the untuned model, trains cfg.train.steps optimizer steps
// and evaluates again, emitting started / step / eval / done events (or oom / error).
// Never throws: failures become an `error` or `oom` event and the matching ExitCode.
int RunTrial(const sweeps::TrialConfig& cfg, EventSink& sink);

}  // namespace qlsweep::trainer
