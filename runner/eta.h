// Time-left estimates for the progress lines: one trial's from its steady step time, the sweep's
// from the trials finished so far.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace qlsweep::runner {

// Seconds left of a trial at step `step` of `total_steps`: the mean time of steps 2..step (step 1
// pays for kernel selection and allocator growth) times the steps left; at step 1, that step's
// time. Loading and the base evaluation are behind it and do not count.
double TrialSecondsLeft(int64_t step, int64_t total_steps, double steady_seconds,
                        int64_t steady_steps, double first_step_seconds);

// Seconds left of a sweep: `unstarted` trials at `mean_trial_s` each, plus what each running trial
// has left (`running_left_s`), shared by `slots` trials at once.
double SweepSecondsLeft(int unstarted, double mean_trial_s,
                        const std::vector<double>& running_left_s, int slots);

// "45s", "2m10s", "1h05m".
std::string DurationText(double seconds);

}  // namespace qlsweep::runner
