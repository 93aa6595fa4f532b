// The memory budget as a table (the seed report's budget table) with a fits / does-not-fit verdict.
#pragma once

#include <string>

#include "analysis/memory_estimator.h"
#include "analysis/text_table.h"
#include "sweeps/gpu_profiles.h"
#include "sweeps/trial_config.h"

namespace qlsweep::analysis {

// Columns component, bytes, GiB, note: one row per component, then "peak allocated",
// "allocator fragmentation", "CUDA context and workspaces", "total"; with a profile also
// "budget (<name>)" and "margin" (note "fits" or "does not fit"). Bytes are plain integers.
TextTable EstimateTable(const MemoryEstimate& estimate, const sweeps::GpuProfile* profile);

// One line about the trial: preset, quantization, LoRA rank and targets, B x T, checkpointing,
// optimizer, compute dtype.
std::string EstimateHeadline(const sweeps::TrialConfig& cfg);

// What `qlsweep estimate` prints. Markdown: the headline, the table and a verdict sentence (when a
// profile is given); CSV and JSON: the table alone (its last rows carry the verdict).
std::string EstimateReport(const sweeps::TrialConfig& cfg, const sweeps::GpuProfile* profile,
                           TableFormat format);

// What `qlsweep gpus` prints: every built-in profile, one row each.
TextTable GpuProfilesTable();

}  // namespace qlsweep::analysis
