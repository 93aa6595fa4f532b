// Plan-time check: trials that need a CUDA GPU (a GPU profile, hardware.device cuda) on a machine
// that shows none are refused before anything runs, not failed one by one.
#pragma once

#include <string>
#include <vector>

#include "sweeps/load.h"

namespace qlsweep::runner {

// Whether a trial started from here could see a CUDA GPU, judged without initialising CUDA (the
// coordinator never does): the NVIDIA driver is loaded (/proc/driver/nvidia/version or a
// /dev/nvidia<N> device), and, unless `gpus_given` (run --gpus sets each trial's
// CUDA_VISIBLE_DEVICES), `cuda_visible_devices` (the environment's, may be null) does not hide
// every GPU ("" or a first entry of -1).
bool CudaVisible(const char* cuda_visible_devices, bool gpus_given);

// The names of the trials that need CUDA: a hardware.gpu_profile, or hardware.device cuda.
std::vector<std::string> TrialsNeedingCuda(const sweeps::ExpandedSweep& sweep);

// "3 trial(s) need a CUDA GPU (gpu profile rtx4050-laptop-6gb: lora.r=4, lora.r=8, ...), but this
// machine shows none (...)": the message for `trials`, with how to run them anyway.
std::string NoCudaMessage(const sweeps::ExpandedSweep& sweep,
                          const std::vector<std::string>& trials);

}  // namespace qlsweep::runner
