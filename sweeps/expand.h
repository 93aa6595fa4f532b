// Sweep expansion: base x points x axes, minus excludes, plus includes -> resolved, named trials.
#pragma once

#include <string>
#include <vector>

#include "sweeps/config_error.h"
#include "sweeps/sweep_spec.h"
#include "sweeps/trial_config.h"

namespace qlsweep::sweeps {

// Most trials one sweep may expand to; a bigger product is reported instead of expanded. Each
// trial is a training run of minutes to hours: 10,000 of them are weeks of one GPU. (At 100,000,
// expanding and checking a sweep at the limit took 11 s, a minute under ASan: found by
// fuzz/sweep_yaml as a timeout.)
inline constexpr size_t kMaxTrials = 10000;

// The expanded trials, the reference trial's (final) name, and notes for the user.
struct Expansion {
  std::vector<TrialConfig> trials;
  std::string reference;
  std::vector<std::string> notes;  // what a lenient spec dropped instead of reporting it
};

// Expands `spec` (see docs/sweep-file.md for the semantics). Every invalid trial, an exclude
// entry that matches nothing, an unknown reference and clashing names become issues (notes when
// spec.lenient). With `repeat: K` every trial becomes K trials named `<name>,train.seed=<s>`, s
// from its own train.seed to that + K - 1; the reference names the first of its K.
Expansion ExpandSweep(const SweepSpec& spec, const std::string& file,
                      std::vector<ConfigIssue>& issues);

}  // namespace qlsweep::sweeps
