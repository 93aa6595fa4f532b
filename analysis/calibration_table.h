// The estimator's calibration: predicted against measured memory for each finished trial.
#pragma once

#include <vector>

#include "analysis/text_table.h"
#include "storage/run_index.h"

namespace qlsweep::analysis {

// One row per trial that has both a prediction (predicted.* results, stored by the coordinator)
// and a measurement: peak allocated, peak reserved and device-level peak, each as predicted GiB,
// measured GiB and error % = (predicted - measured) / measured. On a CPU the measurement is the
// process's resident set, so only GPU trials calibrate the estimator.
TextTable CalibrationTable(const std::vector<storage::TrialRow>& trials);

}  // namespace qlsweep::analysis
