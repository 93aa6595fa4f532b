// "Fits?": a trial's measured peak against the memory of the GPU profile it was held to.
#pragma once

#include <optional>
#include <string>

#include "storage/run_index.h"
#include "sweeps/gpu_profiles.h"

namespace qlsweep::analysis {

// The profile the trial was held to: its `hardware.gpu_profile` parameter, else the sweep's
// `gpu_profile`; nullptr when neither names a built-in profile.
const sweeps::GpuProfile* TrialGpuProfile(const storage::TrialRow& trial,
                                          const std::string& sweep_profile);

// Profile memory minus the trial's measured total (`device_peak_bytes`, CUDA context included);
// nullopt without a profile or a measurement.
std::optional<double> FitMargin(const storage::TrialRow& trial, const sweeps::GpuProfile* profile);

// "yes (+412 MiB)" / "no (-1.20 GiB)" from the margin; "no (oom in backward)" for a trial that
// ran out of memory; "-" without a profile, or for a trial that neither finished nor ran out of
// memory (failed, killed, timeout, planned).
std::string FitVerdict(const storage::TrialRow& trial, const sweeps::GpuProfile* profile);

}  // namespace qlsweep::analysis
