// CUDA visibility from the driver's files and CUDA_VISIBLE_DEVICES, and the trials that need it.
#include "runner/cuda_check.h"

#include <filesystem>
#include <set>

namespace qlsweep::runner {
namespace {

bool DriverLoaded() {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists("/proc/driver/nvidia/version", ec)) return true;
  for (int i = 0; i < 16; ++i) {
    if (fs::exists("/dev/nvidia" + std::to_string(i), ec)) return true;
  }
  return false;
}

}  // namespace

bool CudaVisible(const char* cuda_visible_devices, bool gpus_given) {
  if (!gpus_given && cuda_visible_devices != nullptr) {
    const std::string devices = cuda_visible_devices;
    const std::string first = devices.substr(0, devices.find(','));
    if (first.empty() || first == "-1") return false;
  }
  return DriverLoaded();
}

std::vector<std::string> TrialsNeedingCuda(const sweeps::ExpandedSweep& sweep) {
  std::vector<std::string> names;
  for (const auto& t : sweep.trials) {
    if (!t.hardware.gpu_profile.empty() || t.hardware.device == "cuda") names.push_back(t.name);
  }
  return names;
}

std::string NoCudaMessage(const sweeps::ExpandedSweep& sweep,
                          const std::vector<std::string>& trials) {
  std::set<std::string> profiles;
  for (const auto& t : sweep.trials) {
    if (!t.hardware.gpu_profile.empty()) profiles.insert(t.hardware.gpu_profile);
  }
  std::string why;
  for (const auto& p : profiles) why += (why.empty() ? "gpu profile " : ", ") + p;
  if (why.empty()) why = "hardware.device cuda";
  std::string names;
  for (size_t i = 0; i < trials.size() && i < 3; ++i) names += (i ? ", " : "") + trials[i];
  if (trials.size() > 3) names += ", ...";
  return std::to_string(trials.size()) + " trial(s) need a CUDA GPU (" + why + ": " + names +
         "), but this machine shows none (no NVIDIA driver, or CUDA_VISIBLE_DEVICES hides every "
         "GPU). Run them on a GPU machine, or without the GPU: override hardware.gpu_profile= "
         "(and hardware.device=cpu where a trial asks for cuda)";
}

}  // namespace qlsweep::runner
